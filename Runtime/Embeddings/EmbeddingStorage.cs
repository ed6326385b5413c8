namespace EdgeLoss;

/// <summary>How an <see cref="EmbeddingGallery"/> stores its templates. The values are the C ABI's <c>EL_STORE_*</c>.</summary>
public enum EmbeddingStorage
{
    /// <summary>float32 unit vectors, scored with float dot products (4 bytes per element).</summary>
    F32 = 0,
    /// <summary>
    /// int8: each vector is scaled so that its largest element is +-127 and rounded to the nearest integer (half to
    /// even), 1 byte per element. Scores are integer dot products divided by the norms of the quantized vectors,
    /// i.e. exact cosines of the quantized vectors: about 4x less memory and bandwidth than float32, for a score
    /// error of about 5e-4 (rms) at 512 dimensions.
    /// </summary>
    I8 = 1,
}

/// <summary>
/// One result of <see cref="EmbeddingGallery.Search(ReadOnlySpan{float}, int, Span{Match})"/>: an identity and the
/// cosine score of its best template. <see cref="Id"/> is the gallery's own string for the identity, so filling a
/// span of matches allocates nothing.
/// </summary>
/// <param name="Id">The identity (1..63 bytes of UTF-8, no NUL).</param>
/// <param name="Score">Cosine similarity in [-1, 1] of the query and the identity's best template.</param>
public readonly record struct Match(string Id, float Score);
