namespace EdgeLoss.Tests.EndToEnd;

/// <summary>
/// What a host's gallery must answer, computed here independently in double precision from the embeddings the test
/// sent: a score is the cosine of the two normalized vectors, an identity scores with its best template, IDENTIFY
/// orders by score descending and breaks ties by enrollment order (an identity removed and enrolled again counts from
/// its new enrollment).
/// </summary>
internal sealed class GalleryModel
{
    private readonly List<(string Id, List<float[]> Templates)> _identities = [];   // in enrollment order

    public int Identities => _identities.Count;

    public int Templates => _identities.Sum(i => i.Templates.Count);

    /// <summary>Adds a template; returns the templates <paramref name="id"/> holds now.</summary>
    public int Enroll(string id, float[] embedding)
    {
        int at = _identities.FindIndex(i => i.Id == id);
        if (at < 0)
        {
            _identities.Add((id, [embedding]));
            return 1;
        }
        _identities[at].Templates.Add(embedding);
        return _identities[at].Templates.Count;
    }

    /// <summary>Removes every template of <paramref name="id"/>; returns how many.</summary>
    public int Remove(string id)
    {
        int at = _identities.FindIndex(i => i.Id == id);
        Assert.True(at >= 0, $"the test removes {id}, which the model does not hold");
        int count = _identities[at].Templates.Count;
        _identities.RemoveAt(at);
        return count;
    }

    /// <summary>The best score of <paramref name="id"/> for <paramref name="probe"/>.</summary>
    public double Verify(string id, float[] probe) =>
        _identities.Single(i => i.Id == id).Templates.Max(t => Cosine(t, probe));

    /// <summary>The top <paramref name="k"/> identities for <paramref name="probe"/>.</summary>
    public (string Id, double Score)[] Identify(float[] probe, int k)
    {
        // OrderByDescending is stable: equal scores keep enrollment order.
        (string Id, double Score)[] ranked = [.. _identities
            .Select(i => (i.Id, Score: i.Templates.Max(t => Cosine(t, probe))))
            .OrderByDescending(m => m.Score)
            .Take(k)];
        // The host computes in float32: two different scores this close could come back in either order. The test's
        // vectors are chosen so that this never happens (exact ties, from identical templates, are fine).
        for (int i = 1; i < ranked.Length; i++)
            Assert.True(ranked[i - 1].Score == ranked[i].Score || ranked[i - 1].Score - ranked[i].Score > 1e-4,
                $"test premise: {ranked[i - 1]} and {ranked[i]} are too close to order reliably in float32");
        return ranked;
    }

    public static double Cosine(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return dot / (Math.Sqrt(aa) * Math.Sqrt(bb));
    }

    /// <summary>A random direction (not normalized: the host normalizes every embedding it receives).</summary>
    public static float[] Random(Random rng, int dim, float scale = 1f)
    {
        var v = new float[dim];
        for (int i = 0; i < dim; i++)
            v[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return v;
    }

    /// <summary><paramref name="center"/> plus noise of relative size <paramref name="noise"/>: another view of the same face.</summary>
    public static float[] Near(Random rng, float[] center, double noise)
    {
        double norm = Math.Sqrt(center.Sum(x => (double)x * x));
        float[] n = Random(rng, center.Length);
        double nn = Math.Sqrt(n.Sum(x => (double)x * x));
        return [.. center.Select((x, i) => (float)(x + noise * norm * n[i] / nn))];
    }
}
