namespace EdgeLoss.Tests.Embeddings;

/// <summary>What a gallery holds and answers, as values that two opens of one file can be compared by.</summary>
internal static class GalleryViews
{
    /// <summary>Every identity with its template count, "id:count", in the gallery's order.</summary>
    public static string[] Snapshot(EmbeddingGallery g) => [.. g.GetIds().Select(id => $"{id}:{g.TemplateCount(id)}")];

    /// <summary>The top <paramref name="k"/> of each of <paramref name="n"/> queries, through SearchBatch.</summary>
    public static (Match[] Results, int[] Found) SearchAll(EmbeddingGallery g, float[] queries, int n, int k)
    {
        var results = new Match[n * k];
        var found = new int[n];
        g.SearchBatch(queries, n, k, results, found);
        return (results, found);
    }
}
