namespace EdgeLoss.Tests.Embeddings;

/// <summary>Searches running while another thread enrolls and removes see only whole templates and consistent counts.</summary>
public class GalleryConcurrencyTests
{
    public static TheoryData<EmbeddingStorage, bool> Cases() => new()
    {
        { EmbeddingStorage.F32, false }, { EmbeddingStorage.I8, false },
        { EmbeddingStorage.F32, true }, { EmbeddingStorage.I8, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Searches_during_writes_see_only_whole_templates(EmbeddingStorage storage, bool parallelScans)
    {
        // Every template is +u or -u (all elements equal), so each whole template scores exactly +1 or -1 against u.
        // A row read while half written, or half moved by a removal's row swap, mixes the two and scores in between.
        const int dim = 256, writes = 3000;
        var tuning = parallelScans ? GalleryTuning.Default with { ParallelMinBytes = 0, MaxDegreeOfParallelism = 2 } : GalleryTuning.Default;
        using var g = EmbeddingGallery.Open(null, dim, storage, tuning);
        float[] plus = [.. Enumerable.Repeat(1f, dim)], minus = [.. Enumerable.Repeat(-1f, dim)];
        g.Enroll("seed+", plus);
        g.Enroll("seed-", minus);

        int done = 0, searches = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var writer = new Thread(() =>
        {
            try
            {
                var random = new Random(1);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < writes; i++)
                {
                    // Pace the writes to the searches (at most 8 writes per search) so that the two really overlap.
                    while (Volatile.Read(ref searches) * 8 < i && failures.IsEmpty && clock.Elapsed < TimeSpan.FromSeconds(20))
                        Thread.Yield();
                    int r = random.Next(10);
                    if (r < 3 && i > 10)
                    {
                        int victim = random.Next(i);
                        try { g.Remove($"w{victim}{(victim % 2 == 0 ? "+" : "-")}"); }
                        catch (IdentityNotFoundException) { }
                    }
                    else if (r < 4)
                        g.EnrollBatch([$"w{i}{(i % 2 == 0 ? "+" : "-")}", $"b{i}-"], [.. i % 2 == 0 ? plus : minus, .. minus]);
                    else
                        g.Enroll($"w{i}{(i % 2 == 0 ? "+" : "-")}", i % 2 == 0 ? plus : minus);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"writer: {e}");
            }
            finally
            {
                Volatile.Write(ref done, 1);
            }
        });

        void Reader(int seed)
        {
            var results = new Match[8];
            var batch = new Match[3 * 8];
            var found = new int[3];
            float[] queries = [.. plus, .. minus, .. plus];
            try
            {
                while (Volatile.Read(ref done) == 0)
                {
                    int n = g.Search(plus, 8, results);
                    Check(results.AsSpan(0, n), +1);
                    g.SearchBatch(queries, 3, 8, batch, found);
                    Check(batch.AsSpan(0, found[0]), +1);
                    Check(batch.AsSpan(8, found[1]), -1);
                    Check(batch.AsSpan(16, found[2]), +1);
                    var (identities, templates) = g.Count;
                    if (identities > templates || identities < 2)
                        failures.Enqueue($"count ({identities}, {templates})");
                    float verify = g.Verify("seed-", plus);
                    if (verify != -1f)
                        failures.Enqueue($"verify seed- = {verify:R}");
                    Interlocked.Increment(ref searches);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"reader {seed}: {e}");
            }
        }

        void Check(ReadOnlySpan<Match> matches, int sign)
        {
            foreach (Match m in matches)
            {
                // Ids say what was enrolled: "+" templates must score +1 against +u; "-" ones -1.
                int expected = (m.Id.EndsWith('+') ? 1 : -1) * sign;
                if (Math.Abs(m.Score - expected) > 2e-6f)
                    failures.Enqueue($"{m.Id} scored {m.Score:R}, expected {expected}");
            }
            for (int j = 1; j < matches.Length; j++)
                if (matches[j].Score > matches[j - 1].Score)
                    failures.Enqueue("results out of order");
        }

        writer.Start();
        var readers = Enumerable.Range(0, 2).Select(i => new Thread(() => Reader(i))).ToArray();
        foreach (var t in readers) t.Start();
        writer.Join();
        foreach (var t in readers) t.Join();

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        Assert.True(searches >= writes / 8, $"only {searches} searches ran during the writes");
        // and afterwards the gallery is exactly what the writer left
        foreach (Match m in g.Search(plus, 10_000))
            Assert.Equal(m.Id.EndsWith('+') ? 1f : -1f, m.Score, 1e-6f);
    }
}
