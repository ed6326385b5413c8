using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Embeddings;

public class EmbeddingMathTests
{
    [Fact]
    public void Cosine_of_worked_examples()
    {
        Assert.Equal(0.96f, EmbeddingGallery.Cosine([3, 4], [4, 3]));           // 24 / 25
        Assert.Equal(0f, EmbeddingGallery.Cosine([1, 0], [0, 2]));
        Assert.Equal(-1f, EmbeddingGallery.Cosine([1, 2, 3], [-2, -4, -6]));
        Assert.Equal(1f, EmbeddingGallery.Cosine([0.5f, 0.5f, 0.5f], [7, 7, 7]));
    }

    [Fact]
    public void Cosine_is_scale_free_from_huge_to_subnormal_values()
    {
        // Squares of 3e38 overflow float and squares of 1e-44 underflow it; accumulating in double handles both.
        Assert.Equal(0.96f, EmbeddingGallery.Cosine([2.4e38f, 3.2e38f], [4, 3]));
        Assert.Equal(0.96f, EmbeddingGallery.Cosine([3e-44f, 4e-44f], [4e30f, 3e30f]), 1e-2f);   // subnormals hold few digits
        Assert.Equal(1f, EmbeddingGallery.Cosine([1e-45f, 0], [1, 0]));
    }

    [Fact]
    public void Cosine_matches_double_reference_at_512_dimensions()
    {
        var random = new Random(1);
        for (int t = 0; t < 20; t++)
        {
            float[] a = Data.Gaussian(random, 512), b = Data.Gaussian(random, 512);
            if (t % 2 == 1) b = Data.Noisy(random, a, 0.5);   // strongly correlated pairs too
            Approx.Equal(Data.Cosine(Data.Unit(a), Data.Unit(b)), EmbeddingGallery.Cosine(a, b), 0, 2e-7, $"pair {t}");
        }
    }

    [Fact]
    public void Cosine_rejects_bad_input_naming_it()
    {
        var zero = Assert.Throws<NonFiniteInputException>(() => EmbeddingGallery.Cosine([0, 0, 0], [1, 2, 3]));
        Assert.Contains("a has zero norm", zero.Message);
        Assert.Equal(Status.NonFinite, StatusMapping.From(zero));
        var nan = Assert.Throws<NonFiniteInputException>(() => EmbeddingGallery.Cosine([1, 2, 3], [1, 2, float.NaN]));
        Assert.Contains("b[2] = NaN is not finite", nan.Message);
        var inf = Assert.Throws<NonFiniteInputException>(() => EmbeddingGallery.Cosine([float.PositiveInfinity, 2], [1, 2]));
        Assert.Contains("a[0] = Infinity is not finite", inf.Message);
        var length = Assert.Throws<ArgumentException>(() => EmbeddingGallery.Cosine([1, 2, 3], [1, 2]));
        Assert.Contains("b has length 2, expected 3", length.Message);
        Assert.Equal(Status.Argument, StatusMapping.From(length));
        Assert.Throws<ArgumentException>(() => EmbeddingGallery.Cosine([], []));
    }

    [Fact]
    public void Normalize_gives_unit_vectors_at_any_scale()
    {
        float[] y = new float[2];
        EmbeddingGallery.Normalize([3, 4], y);
        Assert.Equal([0.6f, 0.8f], y);
        EmbeddingGallery.Normalize([2.4e38f, 3.2e38f], y);
        Assert.Equal([0.6f, 0.8f], y);
        EmbeddingGallery.Normalize([3e-44f, 4e-44f], y);                 // subnormal input: 3e-44 is 21 ulps of 1.4e-45
        Approx.Equal([0.6, 0.8], y, 0, 0.02);
        float[] x = [1, 1, 1, 1];
        EmbeddingGallery.Normalize(x, x);                                   // in place
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f], x);
        Assert.Throws<NonFiniteInputException>(() => EmbeddingGallery.Normalize([0f, -0f], y));
    }

    [Fact]
    public void L2_and_cosine_thresholds_convert_exactly()
    {
        // semantics.md: OpenCV SFace cosine 0.363 = L2 1.128 (OpenCV prints sqrt(1.274) = 1.12872 truncated);
        // dlib distance 0.6 = cosine 0.82.
        Approx.Equal(Math.Sqrt(1.274), EmbeddingGallery.CosineToL2(0.363f), 0, 1e-6);
        Assert.Equal(1.128, Math.Truncate(EmbeddingGallery.CosineToL2(0.363f) * 1000) / 1000);
        Approx.Equal(0.363, EmbeddingGallery.L2ToCosine(1.128f), 0, 1e-3);
        Approx.Equal(0.82, EmbeddingGallery.L2ToCosine(0.6f), 0, 1e-7);
        Assert.Equal(0f, EmbeddingGallery.CosineToL2(1f));
        Assert.Equal(2f, EmbeddingGallery.CosineToL2(-1f));
        Assert.Equal(MathF.Sqrt(2), EmbeddingGallery.CosineToL2(0f));
        Assert.Equal(0f, EmbeddingGallery.CosineToL2(1.0000001f));          // a rounding above 1 is clamped
        for (float c = -1; c <= 1; c += 0.125f)
            Approx.Equal(c, EmbeddingGallery.L2ToCosine(EmbeddingGallery.CosineToL2(c)), 0, 1e-6, $"cos {c}");
        // and the distance really is the L2 distance of the unit vectors
        float[] a = [0.6f, 0.8f], b = [0.8f, 0.6f];
        Approx.Equal(Math.Sqrt(0.2 * 0.2 * 2), EmbeddingGallery.CosineToL2(EmbeddingGallery.Cosine(a, b)), 0, 1e-6);
        Assert.Throws<NonFiniteInputException>(() => EmbeddingGallery.CosineToL2(float.NaN));
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingGallery.L2ToCosine(2.5f));
        Assert.Contains("distance = 2.5 is outside [0, 2]", range.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingGallery.L2ToCosine(-0.1f));
    }

    [Fact]
    public void Quantization_scales_the_largest_element_to_127_and_rounds_half_to_even()
    {
        var q = new sbyte[3];
        float inv = EmbeddingMath.Quantize([0.6f, 0.8f, 0f], q, "x", -1);
        Assert.Equal(new sbyte[] { 95, 127, 0 }, q);                        // 0.6 / 0.8 * 127 = 95.25
        Approx.Equal(1 / Math.Sqrt(95 * 95 + 127 * 127), inv, 1e-7, 0);
        EmbeddingMath.Quantize([3 * float.Epsilon, -4 * float.Epsilon, 0f], q, "x", -1);   // subnormals: the scale is computed in double
        Assert.Equal(new sbyte[] { 95, -127, 0 }, q);
        EmbeddingMath.Quantize([254, 1, -3], q, "x", -1);                   // 0.5 -> 0 and -1.5 -> -2: half to even
        Assert.Equal(new sbyte[] { 127, 0, -2 }, q);
        EmbeddingMath.Quantize([-1e30f, 1e30f, 2.5e29f], q, "x", -1);
        Assert.Equal(new sbyte[] { -127, 127, 32 }, q);                     // 31.75 -> 32
        // every element of a uniform vector is the largest: all 127, at any dimension
        var uniform = new sbyte[65535];
        EmbeddingMath.Quantize(Enumerable.Repeat(1 / MathF.Sqrt(65535), 65535).ToArray(), uniform, "x", -1);
        Assert.All(uniform, v => Assert.Equal(127, v));
        Assert.Contains("embedding[1] = NaN", Assert.Throws<NonFiniteInputException>(() => EmbeddingMath.Quantize([1, float.NaN, 2], q, "embedding", -1)).Message);
        Assert.Contains("embedding has zero norm", Assert.Throws<NonFiniteInputException>(() => EmbeddingMath.Quantize([0, 0, 0], q, "embedding", -1)).Message);
    }
}
