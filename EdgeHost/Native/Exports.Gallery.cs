using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeLoss.Native;

/// <summary>el_match, as edgeloss.h declares it: a score and a NUL-terminated UTF-8 id of at most 63 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ElMatch
{
    public float Score;
    public fixed byte Id[64];

    public void Set(in Match match)
    {
        Score = match.Score;
        fixed (byte* id = Id)
        {
            int n = Encoding.UTF8.GetBytes(match.Id, new Span<byte>(id, 63)); // ids are 1..63 bytes: the gallery checks
            id[n] = 0;
        }
    }
}

/// <summary>
/// The embedding-comparison exports of edgeloss.h. A gallery handle is an opaque number looked up in a table, not a
/// pointer into managed memory: a handle that was closed (or never opened) gives EL_ERR_ARGUMENT instead of a crash.
/// </summary>
internal static unsafe partial class Exports
{
    private static readonly ConcurrentDictionary<nint, EmbeddingGallery> Galleries = new();
    private static long lastHandle;

    [UnmanagedCallersOnly(EntryPoint = "el_cosine")]
    public static int ElCosine(float* a, float* b, int dim, float* output)
    {
        try
        {
            Check.NotNull(a, "a");
            Check.NotNull(b, "b");
            Check.Size(dim, "dim");
            Check.NotNull(output, "out");
            *output = EmbeddingGallery.Cosine(new ReadOnlySpan<float>(a, dim), new ReadOnlySpan<float>(b, dim));
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_gallery_open")]
    public static int ElGalleryOpen(byte* path, int dim, int storage, nint* output)
    {
        try
        {
            Check.NotNull(output, "out");
            Check.Size(dim, "dim");
            if (storage is not (0 or 1))
                throw new ArgumentOutOfRangeException(nameof(storage), $"storage = {storage} is not EL_STORE_F32 (0) or EL_STORE_I8 (1)");
            string? file = path == null ? null : Utf8(path, "path", int.MaxValue);
            EmbeddingGallery gallery = EmbeddingGallery.Open(file, dim, (EmbeddingStorage)storage);
            nint handle = (nint)Interlocked.Increment(ref lastHandle);
            Galleries[handle] = gallery;
            *output = handle;
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_gallery_close")]
    public static int ElGalleryClose(nint g)
    {
        try
        {
            if (g == 0) return 0;
            if (!Galleries.TryRemove(g, out EmbeddingGallery? gallery))
                throw new ArgumentException($"g = {g} is not an open gallery handle", nameof(g));
            gallery.Dispose();
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_gallery_enroll")]
    public static int ElGalleryEnroll(nint g, byte* id, float* embedding)
    {
        try
        {
            EmbeddingGallery gallery = Gallery(g);
            string name = Id(id, "id");
            Check.NotNull(embedding, "embedding");
            gallery.Enroll(name, new ReadOnlySpan<float>(embedding, gallery.Dim));
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_gallery_enroll_batch")]
    public static int ElGalleryEnrollBatch(nint g, byte** ids, float* embeddings, int n)
    {
        try
        {
            EmbeddingGallery gallery = Gallery(g);
            Check.NotNull(ids, "ids");
            Check.NotNull(embeddings, "embeddings");
            Check.Size(n, "n");
            var names = new string[n];
            for (int i = 0; i < n; i++)
                names[i] = Id(ids[i], $"ids[{i}]");
            gallery.EnrollBatch(names, new ReadOnlySpan<float>(embeddings, Check.Product(n, gallery.Dim, "embeddings")));
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_gallery_remove")]
    public static int ElGalleryRemove(nint g, byte* id)
    {
        try
        {
            Gallery(g).Remove(Id(id, "id"));
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_gallery_count")]
    public static int ElGalleryCount(nint g, int* identities, int* templates)
    {
        try
        {
            var (i, t) = Gallery(g).Count;
            if (identities != null) *identities = i;
            if (templates != null) *templates = t;
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_gallery_search")]
    public static int ElGallerySearch(nint g, float* query, int k, ElMatch* output, int* found)
    {
        try
        {
            EmbeddingGallery gallery = Gallery(g);
            Check.NotNull(query, "query");
            Check.Size(k, "k");
            Check.NotNull(output, "out");
            Check.NotNull(found, "found");
            Match[] matches = ArrayPool<Match>.Shared.Rent(k);
            try
            {
                int n = gallery.Search(new ReadOnlySpan<float>(query, gallery.Dim), k, matches.AsSpan(0, k));
                for (int i = 0; i < n; i++) output[i].Set(matches[i]);
                *found = n;
            }
            finally { ArrayPool<Match>.Shared.Return(matches, clearArray: true); }
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_gallery_search_batch")]
    public static int ElGallerySearchBatch(nint g, float* queries, int n, int k, ElMatch* output, int* found)
    {
        try
        {
            EmbeddingGallery gallery = Gallery(g);
            Check.NotNull(queries, "queries");
            Check.Size(n, "n");
            Check.Size(k, "k");
            Check.NotNull(output, "out");
            Check.NotNull(found, "found");
            int total = Check.Product(n, k, "out");
            Match[] matches = ArrayPool<Match>.Shared.Rent(total);
            int[] counts = ArrayPool<int>.Shared.Rent(n);
            try
            {
                gallery.SearchBatch(new ReadOnlySpan<float>(queries, Check.Product(n, gallery.Dim, "queries")), n, k,
                    matches.AsSpan(0, total), counts.AsSpan(0, n));
                for (int q = 0; q < n; q++)
                {
                    for (int i = 0; i < counts[q]; i++) output[q * k + i].Set(matches[q * k + i]);
                    found[q] = counts[q];
                }
            }
            finally
            {
                ArrayPool<Match>.Shared.Return(matches, clearArray: true);
                ArrayPool<int>.Shared.Return(counts);
            }
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_gallery_verify")]
    public static int ElGalleryVerify(nint g, byte* id, float* probe, float* score)
    {
        try
        {
            EmbeddingGallery gallery = Gallery(g);
            string name = Id(id, "id");
            Check.NotNull(probe, "probe");
            Check.NotNull(score, "score");
            *score = gallery.Verify(name, new ReadOnlySpan<float>(probe, gallery.Dim));
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    private static EmbeddingGallery Gallery(nint g)
    {
        if (g == 0) throw new ArgumentNullException(nameof(g), "g is NULL");
        return Galleries.TryGetValue(g, out EmbeddingGallery? gallery)
            ? gallery
            : throw new ArgumentException($"g = {g} is not an open gallery handle (closed already?)", nameof(g));
    }

    /// <summary>An identity from a C string: 1..63 bytes of UTF-8 (the 64th byte of el_match.id is the NUL).</summary>
    private static string Id(byte* id, string name) => Utf8(id, name, EmbeddingGallery.MaxIdBytes);

    private static string Utf8(byte* s, string name, int maxBytes)
    {
        Check.NotNull(s, name);
        // Look for the NUL no further than one byte past the limit, so an unterminated id is not read forever.
        int length = 0;
        while (s[length] != 0)
        {
            if (++length > maxBytes)
                throw new ArgumentException($"{name} is longer than {maxBytes} bytes", name);
        }
        if (length == 0) throw new ArgumentException($"{name} is empty", name);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(s, length);
        }
        catch (DecoderFallbackException)
        {
            throw new ArgumentException($"{name} is not valid UTF-8", name);
        }
    }
}
