namespace EdgeLoss.Tests.Embeddings;

/// <summary>Random embeddings of a realistic shape, and the brute-force double-precision reference search.</summary>
internal static class Data
{
    /// <summary>count standard-normal floats (Box-Muller), deterministic for a given <paramref name="random"/>.</summary>
    public static float[] Gaussian(Random random, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u = 1.0 - random.NextDouble(), v = random.NextDouble();
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
        return x;
    }

    /// <summary>
    /// A probe of the same person: the unit template plus Gaussian noise of total norm about <paramref name="noise"/>
    /// (cosine to the template about 1 / sqrt(1 + noise^2)).
    /// </summary>
    public static float[] Noisy(Random random, ReadOnlySpan<float> template, double noise)
    {
        double[] unit = Unit(template);
        float[] n = Gaussian(random, template.Length);
        var probe = new float[template.Length];
        double scale = noise / Math.Sqrt(template.Length);
        for (int i = 0; i < probe.Length; i++)
            probe[i] = (float)(unit[i] + scale * n[i]);
        return probe;
    }

    public static double[] Unit(ReadOnlySpan<float> x)
    {
        double ss = 0;
        foreach (float v in x) ss += (double)v * v;
        double inv = 1 / Math.Sqrt(ss);
        var u = new double[x.Length];
        for (int i = 0; i < x.Length; i++) u[i] = x[i] * inv;
        return u;
    }

    /// <summary>What an int8 gallery stores for x: round-half-even(127 x_i / max|x|).</summary>
    public static double[] Quantized(ReadOnlySpan<float> x)
    {
        double max = 0;
        foreach (float v in x) max = Math.Max(max, Math.Abs((double)v));
        var q = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
            q[i] = Math.Round(x[i] * (127 / max), MidpointRounding.ToEven);
        return q;
    }

    public static double Cosine(double[] a, double[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }

    public static float[] Row(float[] matrix, int row, int dim) => matrix.AsSpan(row * dim, dim).ToArray();
}

/// <summary>
/// The same gallery as a list, searched by brute force in double precision: a model to compare every search with.
/// Templates are kept as the vectors the gallery scores (unit in double for F32, the quantized integers for I8).
/// </summary>
internal sealed class ReferenceGallery(EmbeddingStorage storage)
{
    private readonly List<(string Id, double[] Vector)> _templates = [];
    private readonly List<string> _order = [];        // identities in enrollment order (the tie rule)

    public void Enroll(string id, ReadOnlySpan<float> x)
    {
        if (!_order.Contains(id)) _order.Add(id);
        _templates.Add((id, Vectorize(x)));
    }

    public void Remove(string id)
    {
        _order.Remove(id);
        _templates.RemoveAll(t => t.Id == id);
    }

    public int Identities => _order.Count;

    public double[] Vectorize(ReadOnlySpan<float> x) => storage == EmbeddingStorage.F32 ? Data.Unit(x) : Data.Quantized(x);

    /// <summary>Best score of every identity for <paramref name="query"/>, best first, ties by enrollment order.</summary>
    public List<(string Id, double Score)> Ranking(ReadOnlySpan<float> query)
    {
        double[] q = Vectorize(query);
        var best = new Dictionary<string, double>();
        foreach (var (id, v) in _templates)
        {
            double s = Data.Cosine(q, v);
            best[id] = best.TryGetValue(id, out double b) ? Math.Max(b, s) : s;
        }
        return [.. _order.Select((id, ordinal) => (id, best[id], ordinal)).OrderByDescending(t => t.Item2).ThenBy(t => t.ordinal).Select(t => (t.id, t.Item2))];
    }

    /// <summary>
    /// Asserts that <paramref name="found"/> results are the top k of the reference: the j-th score equals the j-th
    /// best score, each id really has the score reported, ids are distinct, and where the ranking has no near tie
    /// (within 2 tol) the id is the reference's.
    /// </summary>
    public void AssertTopK(ReadOnlySpan<float> query, int k, ReadOnlySpan<Match> results, int found, double tol, string what = "search")
    {
        var ranking = Ranking(query);
        var score = ranking.ToDictionary(r => r.Id, r => r.Score);
        int expected = Math.Min(k, ranking.Count);
        Assert.True(found == expected, $"{what}: found {found}, expected {expected}");
        var seen = new HashSet<string>();
        for (int j = 0; j < found; j++)
        {
            Match m = results[j];
            Assert.True(seen.Add(m.Id), $"{what}: {m.Id} returned twice");
            Assert.True(score.ContainsKey(m.Id), $"{what}: {m.Id} is not enrolled");
            Assert.True(Math.Abs(m.Score - ranking[j].Score) <= tol, $"{what}[{j}]: score {m.Score:R}, expected {ranking[j].Score:R}");
            Assert.True(Math.Abs(m.Score - score[m.Id]) <= tol, $"{what}[{j}]: {m.Id} scored {m.Score:R}, its reference score is {score[m.Id]:R}");
            bool nearTie = (j > 0 && ranking[j - 1].Score - ranking[j].Score <= 2 * tol)
                           || (j + 1 < ranking.Count && ranking[j].Score - ranking[j + 1].Score <= 2 * tol);
            if (!nearTie)
                Assert.True(m.Id == ranking[j].Id, $"{what}[{j}]: {m.Id}, expected {ranking[j].Id}");
        }
    }
}

/// <summary>A scratch directory deleted at the end of a test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgeloss-gallery-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
