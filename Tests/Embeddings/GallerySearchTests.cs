namespace EdgeLoss.Tests.Embeddings;

/// <summary>Search and verify against the brute-force double-precision <see cref="ReferenceGallery"/>.</summary>
public class GallerySearchTests
{
    /// <summary>Tolerance of a float32 score against double: a few ulps of a 512-term unit dot product.</summary>
    private const double F32Tol = 2e-6;

    /// <summary>Tolerance of an int8 score against the double cosine of the same quantized vectors (float rescale only).</summary>
    private const double I8Tol = 2e-6;

    private static double Tol(EmbeddingStorage s) => s == EmbeddingStorage.F32 ? F32Tol : I8Tol;

    /// <summary>A gallery and its reference with <paramref name="identities"/> ids, some holding 2-3 templates.</summary>
    private static (EmbeddingGallery Gallery, ReferenceGallery Reference, Random Random) Build(
        EmbeddingStorage storage, int identities, int dim, int seed, GalleryTuning? tuning = null) =>
        Build(storage, identities, dim, seed, tuning, []);

    private static (EmbeddingGallery Gallery, ReferenceGallery Reference, Random Random) Build(
        EmbeddingStorage storage, int identities, int dim, int seed, GalleryTuning? tuning, List<float[]> persons)
    {
        var random = new Random(seed);
        var gallery = EmbeddingGallery.Open(null, dim, storage, tuning ?? GalleryTuning.Default);
        var reference = new ReferenceGallery(storage);
        for (int i = 0; i < identities; i++)
        {
            int templates = i % 5 == 0 ? 3 : i % 7 == 0 ? 2 : 1;
            float[] person = Data.Gaussian(random, dim);
            persons.Add(person);
            for (int t = 0; t < templates; t++)
            {
                float[] x = t == 0 ? person : Data.Noisy(random, person, 0.8);
                Assert.Equal(t + 1, gallery.Enroll($"id{i}", x));
                reference.Enroll($"id{i}", x);
            }
        }
        return (gallery, reference, random);
    }

    public static TheoryData<EmbeddingStorage, int> Shapes() => new()
    {
        { EmbeddingStorage.F32, 512 }, { EmbeddingStorage.I8, 512 },
        { EmbeddingStorage.F32, 3 }, { EmbeddingStorage.I8, 3 },
        { EmbeddingStorage.F32, 100 }, { EmbeddingStorage.I8, 100 },
        { EmbeddingStorage.F32, 128 }, { EmbeddingStorage.I8, 130 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Search_returns_the_reference_top_k(EmbeddingStorage storage, int dim)
    {
        var persons = new List<float[]>();
        var (gallery, reference, random) = Build(storage, 150, dim, dim, null, persons);
        using var _ = gallery;
        var results = new Match[200];
        for (int t = 0; t < 40; t++)
        {
            int k = new[] { 1, 2, 5, 10, 64, 65, 100, 150, 200 }[t % 9];
            // half the queries are noisy copies of an enrolled person, half unrelated
            float[] query = t % 2 == 0 ? Data.Gaussian(random, dim) : Data.Noisy(random, persons[t * 37 % persons.Count], 0.7);
            int found = gallery.Search(query, k, results);
            reference.AssertTopK(query, k, results, found, Tol(storage), $"{storage} dim {dim} query {t} k {k}");
            Assert.All(results[found..k], m => Assert.Equal(default, m));
        }
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void Best_template_of_each_identity_counts(EmbeddingStorage storage)
    {
        using var gallery = EmbeddingGallery.Open(null, 4, storage);
        Assert.Equal(1, gallery.Enroll("alice", [1, 0, 0, 0]));
        Assert.Equal(2, gallery.Enroll("alice", [0, 1, 0, 0]));
        Assert.Equal(3, gallery.Enroll("alice", [0, 0, 1, 0]));
        Assert.Equal(1, gallery.Enroll("bob", [1, 1, 0, 0]));
        Assert.Equal((2, 4), gallery.Count);
        Assert.Equal(3, gallery.TemplateCount("alice"));

        Match[] top = gallery.Search([0, 0, 1, 0.1f], 5);
        Assert.Equal(2, top.Length);                                       // k > identities: one entry per identity
        Assert.Equal("alice", top[0].Id);
        Assert.Equal(1 / Math.Sqrt(1.01), top[0].Score, storage == EmbeddingStorage.F32 ? 1e-6 : 4e-3);   // i8: 127 / |(127, 13)|
        Assert.Equal("bob", top[1].Id);
        Assert.Equal(0.0, top[1].Score, 1e-7);

        Assert.Equal(1.0, gallery.Verify("alice", [0, 5, 0, 0]), 1e-6);
        Assert.True(gallery.Verify("bob", [0, 5, 0, 0], 0.7f, out float s));     // cos 45 degrees = 0.7071
        Assert.Equal(Math.Sqrt(0.5), s, 1e-6);                                  // i8: 90 * 127 / (127 * 90 sqrt 2) exactly
        Assert.False(gallery.Verify("bob", [0, 5, 0, 0], 0.71f, out _));
    }

    [Fact]
    public void Int8_scores_are_cosines_of_the_quantized_vectors()
    {
        // [3, 4] and [4, 3] quantize to [95, 127] and [127, 95]: cos = 2 * 95 * 127 / (95^2 + 127^2) = 24130 / 25154.
        using var i8 = EmbeddingGallery.Open(null, 2, EmbeddingStorage.I8);
        i8.Enroll("a", [3, 4]);
        Assert.Equal(24130.0 / 25154.0, i8.Verify("a", [4, 3]), 1e-7);
        Assert.Equal(1.0, i8.Verify("a", [30, 40]), 1e-7);
        using var f32 = EmbeddingGallery.Open(null, 2, EmbeddingStorage.F32);
        f32.Enroll("a", [3, 4]);
        Assert.Equal(0.96, f32.Verify("a", [4, 3]), 1e-7);
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void Ties_go_to_the_identity_enrolled_first(EmbeddingStorage storage)
    {
        using var gallery = EmbeddingGallery.Open(null, 8, storage);
        float[] same = [1, 2, 3, 4, 5, 6, 7, 8], other = [8, -7, 6, -5, 4, -3, 2, -1];
        gallery.Enroll("zed", same);
        gallery.Enroll("other", other);
        gallery.Enroll("amy", same);
        gallery.Enroll("mia", same);
        Assert.Equal(["zed", "amy", "mia", "other"], gallery.Search(same, 4).Select(m => m.Id));   // not alphabetical
        Assert.Equal(["zed", "amy"], gallery.Search(same, 2).Select(m => m.Id));
        // A removed identity enrolled again counts from its new enrollment.
        gallery.Remove("zed");
        gallery.Enroll("zed", same);
        Assert.Equal(["amy", "mia", "zed"], gallery.Search(same, 3).Select(m => m.Id));
        // Another template for an existing identity does not change its ordinal.
        gallery.Enroll("amy", other);
        Assert.Equal(["amy", "mia", "zed"], gallery.Search(same, 3).Select(m => m.Id));
        Assert.Equal(["other", "amy", "mia", "zed"], gallery.GetIds());
        // Large k (the all-scores path) breaks ties the same way.
        var tuning = GalleryTuning.Default with { StreamingMaxK = 1 };
        using var allScores = EmbeddingGallery.Open(null, 8, storage, tuning);
        foreach (string id in new[] { "zed", "amy", "mia" }) allScores.Enroll(id, same);
        Assert.Equal(["zed", "amy", "mia"], allScores.Search(same, 3).Select(m => m.Id));
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void Search_after_removals_matches_the_reference(EmbeddingStorage storage)
    {
        var (gallery, reference, random) = Build(storage, 120, 64, seed: 7);
        using var _ = gallery;
        for (int i = 0; i < 120; i += 3)
        {
            int expected = i % 5 == 0 ? 3 : i % 7 == 0 ? 2 : 1;
            Assert.Equal(expected, gallery.Remove($"id{i}"));
            reference.Remove($"id{i}");
        }
        Assert.Equal(80, gallery.Count.Identities);
        Assert.Throws<IdentityNotFoundException>(() => gallery.Remove("id0"));
        Assert.Throws<IdentityNotFoundException>(() => gallery.Verify("id3", Data.Gaussian(random, 64)));
        Assert.Equal(0, gallery.TemplateCount("id0"));
        // enroll a few more into the freed slots and rows
        for (int i = 0; i < 10; i++)
        {
            float[] x = Data.Gaussian(random, 64);
            gallery.Enroll($"new{i}", x);
            reference.Enroll($"new{i}", x);
        }
        var results = new Match[100];
        for (int t = 0; t < 30; t++)
        {
            float[] query = Data.Gaussian(random, 64);
            int k = t % 3 == 0 ? 90 : 5;
            reference.AssertTopK(query, k, results, gallery.Search(query, k, results), Tol(storage), $"query {t}");
        }
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void Batches_parallel_scans_and_every_kernel_agree_exactly_with_single_searches(EmbeddingStorage storage)
    {
        const int dim = 96, identities = 700;
        var (gallery, reference, random) = Build(storage, identities, dim, seed: 11);
        using var _ = gallery;
        int n = 21;                                                        // groups of 8, 8 and 5
        float[] queries = Data.Gaussian(random, n * dim);

        int[] ks = [1, 7, 64, 80];
        var single = new Dictionary<int, (Match[] Results, int[] Found)>();
        foreach (int k in ks)
        {
            var results = new Match[n * k];
            var found = new int[n];
            for (int i = 0; i < n; i++)
                found[i] = gallery.Search(queries.AsSpan(i * dim, dim), k, results.AsSpan(i * k, k));
            for (int i = 0; i < n; i++)
                reference.AssertTopK(queries.AsSpan(i * dim, dim), k, results.AsSpan(i * k, k), found[i], Tol(storage), $"k {k} query {i}");
            single[k] = (results, found);
        }

        var tunings = new List<GalleryTuning>
        {
            GalleryTuning.Default,
            GalleryTuning.Default with { ParallelMinBytes = 0, MaxDegreeOfParallelism = 2 },
            GalleryTuning.Default with { ParallelMinBytes = 0, MaxDegreeOfParallelism = 3 },     // uneven chunks
            GalleryTuning.Default with { BlockBytes = 1 },                                       // 4-row blocks
        };
        if (storage == EmbeddingStorage.F32)
            tunings.AddRange(Enum.GetValues<F32Kernel>().Where(DotKernels.IsSupported).Select(x => GalleryTuning.Default with { F32Kernel = x }));
        else
            tunings.AddRange(Enum.GetValues<I8Kernel>().Where(DotKernels.IsSupported).Select(x => GalleryTuning.Default with { I8Kernel = x }));

        foreach (GalleryTuning tuning in tunings)
        {
            using EmbeddingGallery g = Rebuild(gallery, storage, dim, tuning, seed: 11, identities);
            // The same kernel gives bit-identical scores; another float kernel sums in another order.
            bool exact = storage == EmbeddingStorage.I8 || tuning.F32Kernel == GalleryTuning.Default.F32Kernel;
            foreach (int k in ks)
            {
                var batch = new Match[n * k];
                var found = new int[n];
                g.SearchBatch(queries, n, k, batch, found);
                Assert.Equal(single[k].Found, found);
                for (int i = 0; i < n; i++)
                    AssertSame(single[k].Results.AsSpan(i * k, k), batch.AsSpan(i * k, k), found[i], exact, $"{tuning} k {k} batch query {i}");
                // single queries too: with parallel tuning these split the rows into chunks and merge the heaps
                for (int i = 0; i < 3; i++)
                {
                    var one = new Match[k];
                    Assert.Equal(found[i], g.Search(queries.AsSpan(i * dim, dim), k, one));
                    AssertSame(single[k].Results.AsSpan(i * k, k), one, found[i], exact, $"{tuning} k {k} query {i}");
                }
            }
        }
    }

    private static void AssertSame(ReadOnlySpan<Match> expected, ReadOnlySpan<Match> actual, int found, bool exact, string what)
    {
        for (int j = 0; j < expected.Length; j++)
        {
            if (exact || j >= found)
            {
                Assert.True(expected[j] == actual[j], $"{what}[{j}]: {actual[j]}, expected {expected[j]}");
                continue;
            }
            Assert.Equal(expected[j].Score, actual[j].Score, 1e-6);
            // ids may differ only inside a near tie
            bool nearTie = (j > 0 && Math.Abs(expected[j - 1].Score - expected[j].Score) < 2e-6)
                           || (j + 1 < found && Math.Abs(expected[j + 1].Score - expected[j].Score) < 2e-6);
            Assert.True(nearTie || expected[j].Id == actual[j].Id, $"{what}[{j}]: {actual[j]}, expected {expected[j]}");
        }
    }

    /// <summary>The gallery <see cref="Build"/> makes for the same seed, opened with other tuning.</summary>
    private static EmbeddingGallery Rebuild(EmbeddingGallery original, EmbeddingStorage storage, int dim, GalleryTuning tuning, int seed, int identities)
    {
        var (g, _, _) = Build(storage, identities, dim, seed, tuning);
        Assert.Equal(original.Count, g.Count);
        return g;
    }

    [Fact]
    public void An_empty_gallery_finds_nothing()
    {
        using var gallery = EmbeddingGallery.Open(null, 4, EmbeddingStorage.F32);
        var results = new Match[3];
        results[1] = new Match("stale", 0.5f);
        Assert.Equal(0, gallery.Search([1, 2, 3, 4], 3, results));
        Assert.All(results, m => Assert.Equal(default, m));
        Assert.Empty(gallery.Search([1, 2, 3, 4], 3));
        var found = new[] { 9, 9 };
        gallery.SearchBatch(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2, 3, new Match[6], found);
        Assert.Equal([0, 0], found);
        Assert.Equal((0, 0), gallery.Count);
        Assert.Throws<IdentityNotFoundException>(() => gallery.Verify("x", [1, 2, 3, 4]));
    }

    [Fact]
    public void Searches_allocate_nothing_once_warm()
    {
        var (gallery, _, random) = Build(EmbeddingStorage.F32, 300, 128, seed: 5);
        using var _ = gallery;
        float[] query = Data.Gaussian(random, 128);
        var results = new Match[5];
        var batchResults = new Match[5 * 16];
        var found = new int[16];
        float[] queries = Data.Gaussian(random, 16 * 128);
        gallery.Search(query, 5, results);
        gallery.SearchBatch(queries, 16, 5, batchResults, found);
        gallery.Verify("id1", query);
        // Shared pools can be drained by tests running on other threads, so one window may see a refill; a search
        // that allocates does so in every window. Steady state is proven by one clean window of three.
        var windows = new List<long>();
        for (int w = 0; w < 3 && (windows.Count == 0 || windows[^1] != 0); w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++)
            {
                gallery.Search(query, 5, results);
                gallery.SearchBatch(queries, 16, 5, batchResults, found);
                gallery.Verify("id1", query);
            }
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(windows[^1] == 0, $"bytes allocated per window of 20 searches: {string.Join(", ", windows)}");
    }
}
