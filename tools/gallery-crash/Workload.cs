using EdgeLoss;

namespace EdgeLoss.GalleryCrash;

/// <summary>One write of the crash workload: an enrollment of one or more templates, or a removal.</summary>
/// <param name="Remove">True for a removal of Ids[0].</param>
/// <param name="Ids">The ids written (each enrolled id is new, so the test can tell every template apart).</param>
public sealed record Operation(bool Remove, string[] Ids);

/// <summary>
/// The crash test's write workload, shared with the test (which references this assembly) so that both derive the
/// same operations and vectors from the seed.
/// </summary>
public static class Workload
{
    /// <summary>The embedding enrolled under <paramref name="id"/>.</summary>
    public static float[] Vector(string id, int dim)
    {
        var random = new Random(StableHash(id));
        var v = new float[dim];
        for (int i = 0; i < dim; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>
    /// The endless, deterministic sequence of writes for <paramref name="seed"/>: single enrollments, batches of
    /// three, and every 11th step the removal of an identity enrolled earlier.
    /// </summary>
    public static IEnumerable<Operation> Plan(int seed)
    {
        var live = new List<string>();
        for (int step = 0; ; step++)
        {
            if (step % 11 == 10 && live.Count > 0)
            {
                string victim = live[(step * 7 + seed) % live.Count];
                live.Remove(victim);
                yield return new Operation(true, [victim]);
            }
            else
            {
                string[] ids = step % 7 == 6 ? [$"s{seed}-{step}a", $"s{seed}-{step}b", $"s{seed}-{step}c"] : [$"s{seed}-{step}"];
                live.AddRange(ids);
                yield return new Operation(false, ids);
            }
        }
    }

    /// <summary>
    /// Runs <see cref="Plan"/> against the gallery at <paramref name="path"/> until killed. Prints "ready" once open
    /// and one line per operation, written and flushed only after the call returned, i.e. after it was fsynced.
    /// </summary>
    public static void Run(string path, int dim, EmbeddingStorage storage, int seed, TextWriter log)
    {
        using var gallery = EmbeddingGallery.Open(path, dim, storage);
        log.WriteLine("ready");
        log.Flush();
        foreach (Operation op in Plan(seed))
        {
            if (op.Remove)
                gallery.Remove(op.Ids[0]);
            else if (op.Ids.Length == 1)
                gallery.Enroll(op.Ids[0], Vector(op.Ids[0], dim));
            else
                gallery.EnrollBatch(op.Ids, [.. op.Ids.SelectMany(id => Vector(id, dim))]);
            log.WriteLine((op.Remove ? "-" : "+") + string.Join(' ', op.Ids));
            log.Flush();
        }
    }

    private static int StableHash(string s)
    {
        int h = 17;
        foreach (char c in s)
            h = unchecked(h * 31 + c);
        return h;
    }
}
