using System.Buffers;
using System.Numerics.Tensors;

namespace EdgeLoss;

public sealed partial class EmbeddingGallery
{
    /// <summary>Queries scored against one block of rows while it is in cache (the batched path).</summary>
    private const int QueryGroup = 8;

    /// <summary>Upper bound of rows per block (scratch size).</summary>
    private const int MaxBlockRows = 256;

    /// <summary>A parallel chunk gets at least this many rows, so splitting never costs more than it saves.</summary>
    private const int MinChunkRows = 256;

    /// <summary>
    /// 1:N identification: writes the top k identities for <paramref name="query"/> (best template each, score
    /// descending, ties by identity ordinal = enrollment order) to <paramref name="results"/> and returns how many
    /// were found (min(k, identities)); the rest of results[..k] is cleared. Allocates nothing for small galleries;
    /// large ones are scanned on all cores.
    /// </summary>
    /// <param name="query"><see cref="Dim"/> finite values, not all zero (normalized here).</param>
    /// <param name="k">How many identities to return, &gt;= 1.</param>
    /// <param name="results">At least k elements.</param>
    public int Search(ReadOnlySpan<float> query, int k, Span<Match> results)
    {
        Guard.Positive(k);
        Guard.Length(query, Dim);
        if (results.Length < k)
            throw new ArgumentException($"results has length {results.Length}, expected at least k = {k}", nameof(results));
        Span<int> found = stackalloc int[1];
        SearchCore(query, 1, k, results[..k], found, batch: false);
        return found[0];
    }

    /// <summary>The top k identities for <paramref name="query"/> as a new array (fewer when the gallery holds fewer).</summary>
    public Match[] Search(ReadOnlySpan<float> query, int k)
    {
        Guard.Positive(k);
        var results = new Match[Math.Max(1, Math.Min(k, Count.Identities))];
        int found = Search(query, results.Length, results);
        return found == results.Length ? results : results[..found];
    }

    /// <summary>
    /// <see cref="Search(ReadOnlySpan{float}, int, Span{Match})"/> for <paramref name="n"/> queries at once:
    /// results of query i go to results[i * k .. i * k + k) and their count to found[i]. Queries are scored in groups
    /// against each block of the matrix while it is in cache, so a batch reads the matrix far fewer times than n
    /// single searches.
    /// </summary>
    /// <param name="queries">n x <see cref="Dim"/> values, row-major.</param>
    /// <param name="n">Number of queries, &gt;= 1.</param>
    /// <param name="k">Identities per query, &gt;= 1.</param>
    /// <param name="results">At least n * k elements.</param>
    /// <param name="found">At least n elements.</param>
    public void SearchBatch(ReadOnlySpan<float> queries, int n, int k, Span<Match> results, Span<int> found)
    {
        Guard.Positive(n);
        Guard.Positive(k);
        if (queries.Length != (long)n * Dim)
            throw new ArgumentException($"queries has length {queries.Length}, expected n x dim = {n} x {Dim} = {(long)n * Dim}", nameof(queries));
        if (results.Length < (long)n * k)
            throw new ArgumentException($"results has length {results.Length}, expected at least n x k = {(long)n * k}", nameof(results));
        if (found.Length < n)
            throw new ArgumentException($"found has length {found.Length}, expected at least n = {n}", nameof(found));
        SearchCore(queries, n, k, results[..(n * k)], found[..n], batch: true);
    }

    /// <summary>
    /// 1:1 verification: the cosine score of <paramref name="probe"/> against the best template of
    /// <paramref name="id"/>. Throws <see cref="IdentityNotFoundException"/> when the identity is not enrolled.
    /// </summary>
    public float Verify(string id, ReadOnlySpan<float> probe)
    {
        CheckId(id, nameof(id), -1);
        Guard.Length(probe, Dim);
        PreparedQueries q = PreparedQueries.Create(_matrix, probe, 1, nameof(probe), batch: false);
        try
        {
            _lock.EnterReadLock();
            try
            {
                ThrowIfDisposed();
                if (!_byId.TryGetValue(id, out Identity? identity))
                    throw new IdentityNotFoundException(id);
                SearchScratch scratch = SearchScratch.Current;
                Span<float> score = scratch.Scores.AsSpan(0, 1);
                float best = float.NegativeInfinity;
                for (int t = 0; t < identity.Count; t++)
                {
                    ScoreRows(q, 0, identity.Rows[t], score, scratch);
                    best = Math.Max(best, score[0]);
                }
                return best;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
        finally
        {
            q.Dispose();
        }
    }

    /// <summary>
    /// 1:1 verification with a decision: <paramref name="score"/> as in <see cref="Verify(string, ReadOnlySpan{float})"/>,
    /// accepted when <c>score &gt;= threshold</c> (e.g. 0.363 for OpenCV SFace; see <see cref="L2ToCosine"/> to
    /// convert a distance threshold).
    /// </summary>
    public bool Verify(string id, ReadOnlySpan<float> probe, float threshold, out float score)
    {
        Guard.Finite(threshold);
        score = Verify(id, probe);
        return score >= threshold;
    }

    /// <summary>
    /// Cosine similarity of two vectors of equal length, each normalized first (accumulated in double), in
    /// [-1, 1]. A zero vector or a non-finite element throws <see cref="NonFiniteInputException"/>.
    /// </summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.IsEmpty)
            throw new ArgumentException("a is empty", nameof(a));
        if (b.Length != a.Length)
            throw new ArgumentException($"b has length {b.Length}, expected {a.Length} (the length of a)", nameof(b));
        double ab = EmbeddingMath.Dot(a, b, out double aa, out double bb);
        if (!double.IsFinite(aa) || aa == 0)
            EmbeddingMath.CheckedSumOfSquares(a, nameof(a), -1);
        if (!double.IsFinite(bb) || bb == 0)
            EmbeddingMath.CheckedSumOfSquares(b, nameof(b), -1);
        return (float)Math.Clamp(ab / Math.Sqrt(aa * bb), -1.0, 1.0);
    }

    /// <summary>y = x / ||x|| (y may be x). A zero vector or a non-finite element throws <see cref="NonFiniteInputException"/>.</summary>
    public static void Normalize(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.IsEmpty)
            throw new ArgumentException("x is empty", nameof(x));
        Guard.Length(y, x.Length);
        EmbeddingMath.Normalize(x, y, nameof(x), -1);
    }

    /// <summary>
    /// The L2 distance between unit vectors with cosine <paramref name="cosine"/>: sqrt(2 - 2 cos), so a cosine
    /// threshold and a distance threshold convert exactly (0.363 is 1.128). Cosines are clamped to [-1, 1].
    /// </summary>
    public static float CosineToL2(float cosine)
    {
        Guard.Finite(cosine);
        return (float)Math.Sqrt(2.0 - 2.0 * Math.Clamp(cosine, -1.0, 1.0));
    }

    /// <summary>The cosine of unit vectors at L2 distance <paramref name="distance"/> in [0, 2]: 1 - d^2 / 2 (dlib's 0.6 is 0.82).</summary>
    public static float L2ToCosine(float distance)
    {
        Guard.Finite(distance);
        if (distance < 0 || distance > 2)
            throw new ArgumentOutOfRangeException(nameof(distance), distance, $"distance = {Guard.Format(distance)} is outside [0, 2], the range of distances between unit vectors");
        return (float)(1.0 - (double)distance * distance / 2.0);
    }

    // ------------------------------------------------------------------------------------------------ search core

    private int BlockRows => Math.Clamp(_tuning.BlockBytes / _matrix.RowBytes, 4, MaxBlockRows);

    private void SearchCore(ReadOnlySpan<float> queries, int n, int k, Span<Match> results, Span<int> found, bool batch)
    {
        // Normalize (and quantize) outside the lock: bad input fails here, and writers are not held up by it.
        PreparedQueries q = PreparedQueries.Create(_matrix, queries, n, batch ? "queries" : "query", batch);
        try
        {
            _lock.EnterReadLock();
            try
            {
                ThrowIfDisposed();
                int kEff = Math.Min(k, _byId.Count);
                if (kEff == 0)
                {
                    found.Clear();
                    results.Clear();
                }
                else if (kEff <= _tuning.StreamingMaxK)
                    SearchStreaming(q, n, k, kEff, results, found);
                else
                    for (int i = 0; i < n; i++)
                        found[i] = SearchAllScores(q, i, kEff, results.Slice(i * k, k));
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
        finally
        {
            q.Dispose();
        }
    }

    /// <summary>
    /// Small k: one pass over the rows feeding a k-heap per query. Work items are (group of queries, chunk of
    /// rows); with several chunks per group each keeps its own heaps and the heaps are merged per query afterwards
    /// (the global top k is always inside the union of the chunks' top k).
    /// </summary>
    private void SearchStreaming(PreparedQueries q, int n, int k, int kEff, Span<Match> results, Span<int> found)
    {
        int rows = _matrix.Count;
        int groups = (n + QueryGroup - 1) / QueryGroup;
        int cores = _parallel.MaxDegreeOfParallelism;
        bool parallel = cores > 1 && (long)rows * _matrix.RowBytes * n >= _tuning.ParallelMinBytes;
        int chunks = parallel && groups < cores ? Math.Clamp((cores + groups - 1) / groups, 1, Math.Max(1, rows / MinChunkRows)) : 1;
        int items = groups * chunks;
        int perItem = QueryGroup * kEff;
        Candidate[] partial = ArrayPool<Candidate>.Shared.Rent(items * perItem);
        int[] counts = ArrayPool<int>.Shared.Rent(items * QueryGroup);
        try
        {
            if (parallel && items > 1)
                ScanItemsInParallel(q, n, kEff, rows, chunks, items, partial, counts);
            else
                for (int item = 0; item < items; item++)
                    ScanItem(q, n, kEff, rows, chunks, item, partial, counts);

            Span<Candidate> merge = SearchScratch.Current.MergeSpace(kEff);
            for (int i = 0; i < n; i++)
            {
                int group = i / QueryGroup, local = i % QueryGroup;
                Span<Candidate> best;
                if (chunks == 1)
                {
                    int at = group * QueryGroup + local;
                    best = partial.AsSpan(at * kEff, counts[at]);
                }
                else
                {
                    int count = 0;
                    for (int c = 0; c < chunks; c++)
                    {
                        int at = (group * chunks + c) * QueryGroup + local;
                        foreach (ref readonly Candidate candidate in partial.AsSpan(at * kEff, counts[at]))
                            TopK.Offer(merge, ref count, candidate.Slot, candidate.Score, candidate.Ordinal);
                    }
                    best = merge[..count];
                }
                found[i] = Emit(best, results.Slice(i * k, k));
            }
        }
        finally
        {
            ArrayPool<Candidate>.Shared.Return(partial);
            ArrayPool<int>.Shared.Return(counts);
        }
    }

    // Separate methods: a lambda's captured variables are hoisted into a closure object allocated on entry to the
    // method that declares them, which would cost every search an allocation even when it runs sequentially.
    private void ScanItemsInParallel(PreparedQueries q, int n, int kEff, int rows, int chunks, int items, Candidate[] partial, int[] counts) =>
        Parallel.For(0, items, _parallel, item => ScanItem(q, n, kEff, rows, chunks, item, partial, counts));

    private void ScoreRangesInParallel(PreparedQueries q, int qi, int rows, int chunks, float[] scores) =>
        Parallel.For(0, chunks, _parallel, c => ScoreRange(q, qi, (int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks), scores));

    private void ScanItem(PreparedQueries q, int n, int kEff, int rows, int chunks, int item, Candidate[] partial, int[] counts)
    {
        int group = item / chunks, chunk = item % chunks;
        int q0 = group * QueryGroup, qn = Math.Min(QueryGroup, n - q0);
        int r0 = (int)((long)rows * chunk / chunks), r1 = (int)((long)rows * (chunk + 1) / chunks);
        SearchScratch scratch = SearchScratch.Current;
        Span<Candidate> heaps = scratch.HeapSpace(qn * kEff);
        Span<int> heapCounts = scratch.Counts.AsSpan(0, qn);
        heapCounts.Clear();

        int block = BlockRows;
        ReadOnlySpan<int> rowSlot = _matrix.Slots;
        long[] ordinals = _slotOrdinal;
        for (int b = r0; b < r1; b += block)
        {
            Span<float> scores = scratch.Scores.AsSpan(0, Math.Min(block, r1 - b));
            for (int qi = 0; qi < qn; qi++)
            {
                ScoreRows(q, q0 + qi, b, scores, scratch);
                Span<Candidate> heap = heaps.Slice(qi * kEff, kEff);
                ref int count = ref heapCounts[qi];
                float threshold = TopK.Threshold(heap, count);
                for (int j = 0; j < scores.Length; j++)
                {
                    float s = scores[j];
                    if (s >= threshold)
                    {
                        int slot = rowSlot[b + j];
                        TopK.Offer(heap, ref count, slot, s, ordinals[slot]);
                        threshold = TopK.Threshold(heap, count);
                    }
                }
            }
        }

        for (int qi = 0; qi < qn; qi++)
        {
            int at = item * QueryGroup + qi;
            heaps.Slice(qi * kEff, heapCounts[qi]).CopyTo(partial.AsSpan(at * kEff));
            counts[at] = heapCounts[qi];
        }
    }

    /// <summary>
    /// Large k: every row's score into a pooled array (on all cores for large galleries), the best per identity,
    /// then one heap selection over identities.
    /// </summary>
    private int SearchAllScores(PreparedQueries q, int qi, int kEff, Span<Match> results)
    {
        int rows = _matrix.Count, slots = _slotHigh;
        float[] scores = ArrayPool<float>.Shared.Rent(rows);
        float[] best = ArrayPool<float>.Shared.Rent(slots);
        Candidate[] heap = ArrayPool<Candidate>.Shared.Rent(kEff);
        try
        {
            int cores = _parallel.MaxDegreeOfParallelism;
            int chunks = cores > 1 && (long)rows * _matrix.RowBytes >= _tuning.ParallelMinBytes ? Math.Clamp(rows / MinChunkRows, 1, cores) : 1;
            if (chunks > 1)
                ScoreRangesInParallel(q, qi, rows, chunks, scores);
            else
                ScoreRange(q, qi, 0, rows, scores);

            Span<float> bestOf = best.AsSpan(0, slots);
            bestOf.Fill(float.NegativeInfinity);
            ReadOnlySpan<int> rowSlot = _matrix.Slots;
            for (int r = 0; r < rows; r++)
            {
                ref float b = ref bestOf[rowSlot[r]];
                b = Math.Max(b, scores[r]);
            }
            Span<Candidate> selected = heap.AsSpan(0, kEff);
            int count = 0;
            for (int slot = 0; slot < slots; slot++)
                if (bestOf[slot] != float.NegativeInfinity)   // free slots have no rows
                    TopK.OfferNew(selected, ref count, new Candidate { Slot = slot, Score = bestOf[slot], Ordinal = _slotOrdinal[slot] });
            return Emit(selected[..count], results);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<float>.Shared.Return(best);
            ArrayPool<Candidate>.Shared.Return(heap);
        }
    }

    private void ScoreRange(PreparedQueries q, int qi, int r0, int r1, float[] scores)
    {
        SearchScratch scratch = SearchScratch.Current;
        for (int b = r0; b < r1; b += MaxBlockRows)
            ScoreRows(q, qi, b, scores.AsSpan(b, Math.Min(MaxBlockRows, r1 - b)), scratch);
    }

    /// <summary>scores[j] = cosine of query <paramref name="qi"/> and row row0 + j, clamped to [-1, 1].</summary>
    private void ScoreRows(in PreparedQueries q, int qi, int row0, Span<float> scores, SearchScratch scratch)
    {
        int stride = _matrix.Stride;
        if (_matrix.Storage == EmbeddingStorage.F32)
        {
            DotKernels.Dots(_tuning.F32Kernel, ref q.F32![qi * stride], ref _matrix.F32Row(row0), stride, scores);
        }
        else
        {
            Span<int> dots = scratch.Dots.AsSpan(0, scores.Length);
            DotKernels.Dots(_tuning.I8Kernel, ref q.I8![qi * stride], ref q.Abs![qi * stride], ref _matrix.I8Row(row0), stride, dots);
            float inverse = q.InverseNorm![qi];
            ReadOnlySpan<float> rowInverse = _matrix.InverseNorms.Slice(row0, scores.Length);
            for (int j = 0; j < scores.Length; j++)
                scores[j] = dots[j] * inverse * rowInverse[j];
        }
        // Rounding can put a unit-vector dot product a few ulps outside [-1, 1]; clamp before selection so that
        // ties created by the clamp are broken by ordinal like any other.
        TensorPrimitives.Min(scores, 1f, scores);
        TensorPrimitives.Max(scores, -1f, scores);
    }

    private int Emit(Span<Candidate> best, Span<Match> results)
    {
        TopK.SortBestFirst(best);
        for (int j = 0; j < best.Length; j++)
            results[j] = new Match(_slots[best[j].Slot]!.Id, best[j].Score);
        results[best.Length..].Clear();
        return best.Length;
    }

    /// <summary>Queries normalized (float32) or quantized (int8, with |q| and 1/||q||), zero-padded to the stride, in pooled arrays.</summary>
    private struct PreparedQueries
    {
        public float[]? F32;
        public sbyte[]? I8;
        public byte[]? Abs;
        public float[]? InverseNorm;

        public static PreparedQueries Create(TemplateMatrix matrix, ReadOnlySpan<float> queries, int n, string name, bool batch)
        {
            int dim = matrix.Dim, stride = matrix.Stride;
            var q = new PreparedQueries();
            try
            {
                if (matrix.Storage == EmbeddingStorage.F32)
                {
                    q.F32 = ArrayPool<float>.Shared.Rent(n * stride);
                    q.F32.AsSpan(0, n * stride).Clear();
                    for (int i = 0; i < n; i++)
                        EmbeddingMath.Normalize(queries.Slice(i * dim, dim), q.F32.AsSpan(i * stride, dim), name, batch ? i : -1);
                }
                else
                {
                    q.I8 = ArrayPool<sbyte>.Shared.Rent(n * stride);
                    q.Abs = ArrayPool<byte>.Shared.Rent(n * stride);
                    q.InverseNorm = ArrayPool<float>.Shared.Rent(n);
                    q.I8.AsSpan(0, n * stride).Clear();
                    q.Abs.AsSpan(0, n * stride).Clear();
                    for (int i = 0; i < n; i++)
                    {
                        Span<sbyte> row = q.I8.AsSpan(i * stride, dim);
                        q.InverseNorm[i] = EmbeddingMath.Quantize(queries.Slice(i * dim, dim), row, name, batch ? i : -1);
                        Span<byte> abs = q.Abs.AsSpan(i * stride, dim);
                        for (int j = 0; j < dim; j++)
                            abs[j] = (byte)Math.Abs(row[j]);
                    }
                }
                return q;
            }
            catch
            {
                q.Dispose();
                throw;
            }
        }

        public readonly void Dispose()
        {
            if (F32 is not null) ArrayPool<float>.Shared.Return(F32);
            if (I8 is not null) ArrayPool<sbyte>.Shared.Return(I8);
            if (Abs is not null) ArrayPool<byte>.Shared.Return(Abs);
            if (InverseNorm is not null) ArrayPool<float>.Shared.Return(InverseNorm);
        }
    }

    /// <summary>Per-thread scratch of the scan (block scores, heaps), so a search allocates nothing once warm.</summary>
    private sealed class SearchScratch
    {
        [ThreadStatic]
        private static SearchScratch? t_current;

        public static SearchScratch Current => t_current ??= new SearchScratch();

        public readonly float[] Scores = new float[MaxBlockRows];
        public readonly int[] Dots = new int[MaxBlockRows];
        public readonly int[] Counts = new int[QueryGroup];
        private Candidate[] _heaps = new Candidate[QueryGroup * 8];
        private Candidate[] _merge = new Candidate[16];

        public Span<Candidate> HeapSpace(int length)
        {
            if (_heaps.Length < length)
                _heaps = new Candidate[length];
            return _heaps.AsSpan(0, length);
        }

        public Span<Candidate> MergeSpace(int length)
        {
            if (_merge.Length < length)
                _merge = new Candidate[length];
            return _merge.AsSpan(0, length);
        }
    }
}
