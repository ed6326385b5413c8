namespace EdgeLoss.Tests.Embeddings;

/// <summary>Bad input is rejected at the boundary, names the argument and value, and changes nothing.</summary>
public class GalleryInputTests
{
    private static T Throws<T>(Status status, Action action) where T : Exception
    {
        var e = Assert.Throws<T>(action);
        Assert.Equal(status, StatusMapping.From(e));
        return e;
    }

    [Fact]
    public void Open_checks_dim_storage_and_path()
    {
        Assert.Contains("dim = 0 is outside [1, 65535]", Throws<ArgumentOutOfRangeException>(Status.Argument, () => EmbeddingGallery.Open(null, 0, EmbeddingStorage.F32)).Message);
        Assert.Contains("dim = 65536 is outside", Throws<ArgumentOutOfRangeException>(Status.Argument, () => EmbeddingGallery.Open(null, 65536, EmbeddingStorage.I8)).Message);
        Assert.Contains("storage = 5 is not an EmbeddingStorage", Throws<ArgumentOutOfRangeException>(Status.Argument, () => EmbeddingGallery.Open(null, 4, (EmbeddingStorage)5)).Message);
        Assert.Contains("path is empty", Throws<ArgumentException>(Status.Argument, () => EmbeddingGallery.Open("", 4, EmbeddingStorage.F32)).Message);
        Throws<DirectoryNotFoundException>(Status.Io, () => EmbeddingGallery.Open("/nonexistent-dir-edgeloss/g.gal", 4, EmbeddingStorage.F32));
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void Enroll_rejects_bad_embeddings(EmbeddingStorage storage)
    {
        using var g = EmbeddingGallery.Open(null, 4, storage);
        Assert.Equal("embedding[3] = NaN is not finite (Parameter 'embedding')",
            Throws<NonFiniteInputException>(Status.NonFinite, () => g.Enroll("a", [1, 2, 3, float.NaN])).Message);
        Assert.Contains("embedding[0] = -Infinity is not finite", Throws<NonFiniteInputException>(Status.NonFinite, () => g.Enroll("a", [float.NegativeInfinity, 2, 3, 4])).Message);
        Assert.Contains("embedding has zero norm", Throws<NonFiniteInputException>(Status.NonFinite, () => g.Enroll("a", [0, 0, -0f, 0])).Message);
        Assert.Contains("embedding has length 3, expected 4", Throws<ArgumentException>(Status.Argument, () => g.Enroll("a", [1, 2, 3])).Message);
        Assert.Contains("embedding has length 5, expected 4", Throws<ArgumentException>(Status.Argument, () => g.Enroll("a", [1, 2, 3, 4, 5])).Message);
        Assert.Equal((0, 0), g.Count);
    }

    [Fact]
    public void Int8_storage_takes_the_largest_dimension()
    {
        // A uniform vector of 65535 elements has every element at 1/256 of its norm; scaled by its largest element it
        // still quantizes to all 127 (scaled by the norm it would round to all zeros).
        using var g = EmbeddingGallery.Open(null, 65535, EmbeddingStorage.I8);
        var uniform = new float[65535];
        Array.Fill(uniform, 1f);
        Assert.Equal(1, g.Enroll("u", uniform));
        Assert.Equal(1.0, g.Verify("u", uniform), 1e-7);
        uniform[0] = -1;
        Assert.Equal(1 - 2.0 / 65535, g.Verify("u", uniform), 5e-7);        // float rescale of an exact integer dot
    }

    [Fact]
    public void Ids_are_1_to_63_bytes_of_UTF8_without_NUL()
    {
        using var g = EmbeddingGallery.Open(null, 2, EmbeddingStorage.F32);
        float[] x = [1, 2];
        Assert.Contains("id \"\" is 0 bytes of UTF-8; an id is 1..63 bytes", Throws<ArgumentException>(Status.Argument, () => g.Enroll("", x)).Message);
        string long64 = new('x', 64);
        Assert.Contains($"id \"{long64}\" is 64 bytes of UTF-8", Throws<ArgumentException>(Status.Argument, () => g.Enroll(long64, x)).Message);
        string e32 = string.Concat(Enumerable.Repeat("é", 32));                       // 32 characters, 64 bytes
        Assert.Contains("is 64 bytes of UTF-8", Throws<ArgumentException>(Status.Argument, () => g.Enroll(e32, x)).Message);
        Assert.Contains("id \"a\\x00b\" contains NUL at index 1", Throws<ArgumentException>(Status.Argument, () => g.Enroll("a\0b", x)).Message);
        Assert.Contains("lone UTF-16 surrogate", Throws<ArgumentException>(Status.Argument, () => g.Enroll("a\ud800", x)).Message);
        Throws<ArgumentNullException>(Status.Argument, () => g.Enroll(null!, x));
        Assert.Equal((0, 0), g.Count);

        string e31a = string.Concat(Enumerable.Repeat("é", 31)) + "a";                // 63 bytes: the longest id
        string emoji = "👩‍🔬 Dr. Ana";
        Assert.Equal(1, g.Enroll(e31a, x));
        Assert.Equal(1, g.Enroll(emoji, x));
        Assert.Equal(1, g.Enroll(new string('y', 63), x));
        Assert.Equal([e31a, emoji, new string('y', 63)], g.GetIds());
        // lookups check ids the same way
        Assert.Contains("is 64 bytes", Throws<ArgumentException>(Status.Argument, () => g.Remove(long64)).Message);
        Throws<ArgumentException>(Status.Argument, () => g.Verify("", x));
        Assert.Contains("identity \"nobody\" is not in the gallery", Throws<IdentityNotFoundException>(Status.NotFound, () => g.Remove("nobody")).Message);
        Throws<IdentityNotFoundException>(Status.NotFound, () => g.Verify("nobody", x));
    }

    [Fact]
    public void A_batch_is_checked_whole_before_anything_changes()
    {
        using var g = EmbeddingGallery.Open(null, 2, EmbeddingStorage.F32);
        g.Enroll("keep", [1, 0]);
        float[] rows = [1, 2, 3, 4, 5, float.NaN, 7, 8];
        Assert.Contains("embeddings[2][1] = NaN is not finite", Throws<NonFiniteInputException>(Status.NonFinite, () => g.EnrollBatch(["a", "b", "c", "d"], rows)).Message);
        Assert.Contains("embeddings[1] has zero norm", Throws<NonFiniteInputException>(Status.NonFinite, () => g.EnrollBatch(["a", "b"], [1, 2, 0, 0])).Message);
        Assert.Contains("ids[1] \"\" is 0 bytes", Throws<ArgumentException>(Status.Argument, () => g.EnrollBatch(["a", "", "c"], [1, 2, 3, 4, 5, 6])).Message);
        Assert.Contains("embeddings has length 5, expected 3 x 2 = 6", Throws<ArgumentException>(Status.Argument, () => g.EnrollBatch(["a", "b", "c"], [1, 2, 3, 4, 5])).Message);
        Assert.Contains("ids is empty", Throws<ArgumentException>(Status.Argument, () => g.EnrollBatch([], [])).Message);
        Assert.Contains("templatesHeld has length 1, expected 2", Throws<ArgumentException>(Status.Argument, () => g.EnrollBatch(["a", "b"], [1, 2, 3, 4], new int[1])).Message);
        Assert.Equal((1, 1), g.Count);

        var held = new int[4];
        g.EnrollBatch(["a", "keep", "a", "b"], [1, 2, 3, 4, 5, 6, 7, 8], held);
        Assert.Equal([1, 2, 2, 1], held);
        Assert.Equal((3, 5), g.Count);
    }

    [Fact]
    public void Search_and_verify_check_their_arguments()
    {
        using var g = EmbeddingGallery.Open(null, 3, EmbeddingStorage.I8);
        g.Enroll("a", [1, 2, 3]);
        float[] q = [1, 1, 1];
        Assert.Contains("k = 0 must be >= 1", Throws<ArgumentOutOfRangeException>(Status.Argument, () => g.Search(q, 0, new Match[1])).Message);
        Throws<ArgumentOutOfRangeException>(Status.Argument, () => g.Search(q, -3));
        Assert.Contains("results has length 1, expected at least k = 2", Throws<ArgumentException>(Status.Argument, () => g.Search(q, 2, new Match[1])).Message);
        Assert.Contains("query has length 2, expected 3", Throws<ArgumentException>(Status.Argument, () => g.Search([1, 1], 1)).Message);
        Assert.Contains("query[1] = NaN is not finite", Throws<NonFiniteInputException>(Status.NonFinite, () => g.Search([1, float.NaN, 1], 1)).Message);
        Assert.Contains("query has zero norm", Throws<NonFiniteInputException>(Status.NonFinite, () => g.Search([0, 0, 0], 1)).Message);

        float[] two = [1, 1, 1, 1, float.PositiveInfinity, 1];
        Assert.Contains("queries[1][1] = Infinity is not finite", Throws<NonFiniteInputException>(Status.NonFinite, () => g.SearchBatch(two, 2, 1, new Match[2], new int[2])).Message);
        Assert.Contains("n = 0 must be >= 1", Throws<ArgumentOutOfRangeException>(Status.Argument, () => g.SearchBatch(two, 0, 1, new Match[2], new int[2])).Message);
        Assert.Contains("queries has length 6, expected n x dim = 3 x 3 = 9", Throws<ArgumentException>(Status.Argument, () => g.SearchBatch(two, 3, 1, new Match[3], new int[3])).Message);
        Assert.Contains("results has length 3, expected at least n x k = 4", Throws<ArgumentException>(Status.Argument, () => g.SearchBatch(q.Concat(q).ToArray(), 2, 2, new Match[3], new int[2])).Message);
        Assert.Contains("found has length 1, expected at least n = 2", Throws<ArgumentException>(Status.Argument, () => g.SearchBatch(q.Concat(q).ToArray(), 2, 1, new Match[2], new int[1])).Message);

        Assert.Contains("probe[2] = NaN is not finite", Throws<NonFiniteInputException>(Status.NonFinite, () => g.Verify("a", [1, 1, float.NaN])).Message);
        Assert.Contains("probe has length 4, expected 3", Throws<ArgumentException>(Status.Argument, () => g.Verify("a", [1, 1, 1, 1])).Message);
        Throws<NonFiniteInputException>(Status.NonFinite, () => g.Verify("a", q, float.NaN, out _));
    }

    [Fact]
    public void A_disposed_gallery_refuses_every_call()
    {
        var g = EmbeddingGallery.Open(null, 2, EmbeddingStorage.F32);
        g.Enroll("a", [1, 2]);
        g.Dispose();
        g.Dispose();                                       // twice is fine
        Throws<ObjectDisposedException>(Status.Argument, () => g.Search([1, 2], 1));
        Throws<ObjectDisposedException>(Status.Argument, () => g.Enroll("b", [1, 2]));
        Throws<ObjectDisposedException>(Status.Argument, () => g.Remove("a"));
        Throws<ObjectDisposedException>(Status.Argument, () => _ = g.Count);
        Throws<ObjectDisposedException>(Status.Argument, () => g.Verify("a", [1, 2]));
        Throws<ObjectDisposedException>(Status.Argument, () => g.Compact());
    }
}
