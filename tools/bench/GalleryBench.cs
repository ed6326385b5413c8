using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace EdgeLoss.Bench;

/// <summary>
/// 1:N identification over galleries of 512-d unit vectors: EmbeddingGallery (float32 and int8 storage, single
/// queries and batches of 64) against the obvious loops over a float32 matrix: a scalar dot product per row, and
/// TensorPrimitives.Dot per row, each followed by a top-5 insertion. Batch methods report the time per query.
/// Run: dotnet run -c Release --project tools/bench -- --filter '*GalleryBench*'
/// </summary>
[MemoryDiagnoser]
public class GalleryBench
{
    private const int Dim = 512, K = 5, Batch = 64;

    [Params(10_000, 100_000)]
    public int Identities { get; set; }

    /// <summary>Storage of the gallery; the baselines always scan the float32 matrix (their int8 rows repeat them).</summary>
    [Params(EmbeddingStorage.F32, EmbeddingStorage.I8)]
    public EmbeddingStorage Storage { get; set; }

    private EmbeddingGallery _gallery = null!;
    private float[] _matrix = null!;      // Identities x Dim unit rows, for the baselines
    private float[] _queries = null!;     // Batch x Dim unit rows
    private readonly Match[] _results = new Match[Batch * K];
    private readonly int[] _found = new int[Batch];
    private readonly int[] _topIndex = new int[K];
    private readonly float[] _topScore = new float[K];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _matrix = UnitRows(random, Identities);
        _queries = UnitRows(random, Batch);
        _gallery = EmbeddingGallery.Open(null, Dim, Storage);
        string[] ids = [.. Enumerable.Range(0, Identities).Select(i => $"id{i}")];
        _gallery.EnrollBatch(ids, _matrix);
    }

    [GlobalCleanup]
    public void Cleanup() => _gallery.Dispose();

    [Benchmark(Baseline = true, Description = "naive loop, top-5")]
    public int NaiveLoop()
    {
        ReadOnlySpan<float> q = _queries.AsSpan(0, Dim);
        ResetTop();
        for (int r = 0; r < Identities; r++)
        {
            ReadOnlySpan<float> row = _matrix.AsSpan(r * Dim, Dim);
            float dot = 0;
            for (int i = 0; i < Dim; i++)
                dot += q[i] * row[i];
            Offer(r, dot);
        }
        return _topIndex[0];
    }

    [Benchmark(Description = "TensorPrimitives.Dot per row, top-5")]
    public int TensorPrimitivesDot() => DotTop5(_queries.AsSpan(0, Dim));

    [Benchmark(Description = "EmbeddingGallery.Search top-5")]
    public int GallerySearch() => _gallery.Search(_queries.AsSpan(0, Dim), K, _results);

    [Benchmark(OperationsPerInvoke = Batch, Description = "TensorPrimitives.Dot per row, 64 queries, per query")]
    public int TensorPrimitivesDotBatch()
    {
        int sum = 0;
        for (int b = 0; b < Batch; b++)
            sum += DotTop5(_queries.AsSpan(b * Dim, Dim));
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "EmbeddingGallery.SearchBatch 64 queries, per query")]
    public int GallerySearchBatch()
    {
        _gallery.SearchBatch(_queries, Batch, K, _results, _found);
        return _found[0];
    }

    private int DotTop5(ReadOnlySpan<float> q)
    {
        ResetTop();
        for (int r = 0; r < Identities; r++)
            Offer(r, TensorPrimitives.Dot(q, _matrix.AsSpan(r * Dim, Dim)));
        return _topIndex[0];
    }

    private void ResetTop()
    {
        Array.Fill(_topScore, float.NegativeInfinity);
        Array.Fill(_topIndex, -1);
    }

    /// <summary>Insertion into a sorted top-5: what a hand-written loop would do.</summary>
    private void Offer(int index, float score)
    {
        if (score <= _topScore[K - 1])
            return;
        int j = K - 1;
        for (; j > 0 && _topScore[j - 1] < score; j--)
        {
            _topScore[j] = _topScore[j - 1];
            _topIndex[j] = _topIndex[j - 1];
        }
        _topScore[j] = score;
        _topIndex[j] = index;
    }

    /// <summary>Random 512-d unit rows (shared with GalleryThreadsBench so both measure the same data).</summary>
    internal static float[] UnitRows(Random random, int rows)
    {
        var m = new float[rows * Dim];
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = m.AsSpan(r * Dim, Dim);
            for (int i = 0; i < Dim; i++)
                row[i] = (float)(random.NextDouble() * 2 - 1);
            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }
        return m;
    }
}
