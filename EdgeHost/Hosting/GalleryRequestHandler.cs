using EdgeLoss.EdgeHost.Protocol;

namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>
/// The wire protocol's requests answered by the Runtime's <see cref="EmbeddingGallery"/>: EdgeHost frames and
/// validates, the gallery does the math (normalization, scoring, durability). Safe for many connections at once: the
/// gallery serializes writes against searches.
/// </summary>
internal sealed class GalleryRequestHandler(EmbeddingGallery gallery, float threshold) : IRequestHandler
{
    public int Dimension => gallery.Dim;

    public float Threshold => threshold;

    public GalleryInfo Ping()
    {
        var (identities, templates) = gallery.Count;
        return new GalleryInfo((uint)identities, (uint)templates, (byte)gallery.Storage);
    }

    public int Identify(ReadOnlySpan<float> query, Span<Match> results) => gallery.Search(query, results.Length, results);

    public VerifyResponse Verify(string id, ReadOnlySpan<float> probe)
    {
        float score = gallery.Verify(id, probe);
        return new VerifyResponse(score, score >= threshold);
    }

    public uint Enroll(string id, ReadOnlySpan<float> embedding) => (uint)gallery.Enroll(id, embedding);

    public uint Remove(string id) => (uint)gallery.Remove(id);
}
