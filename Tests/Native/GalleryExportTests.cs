using System.Runtime.InteropServices;
using System.Text;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Native;

/// <summary>The gallery exports of libedgeloss.so, called as a C host calls them, checked against the managed gallery.</summary>
[Collection(NativeCollection.Name)]
public sealed unsafe class GalleryExportTests(NativeLibraryFixture lib) : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("edgeloss-native-").FullName;

    [StructLayout(LayoutKind.Sequential)]
    private struct ElMatch
    {
        public float Score;
        public fixed byte Id[64];

        public readonly string IdString()
        {
            fixed (byte* p = Id) return Marshal.PtrToStringUTF8((IntPtr)p)!;
        }
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string LastError() => Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<byte*>)lib.Export("el_last_error"))())!;

    private int Open(string? path, int dim, int storage, out nint g)
    {
        var f = (delegate* unmanaged<byte*, int, int, nint*, int>)lib.Export("el_gallery_open");
        byte[]? p = path is null ? null : Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pp = p) fixed (nint* pg = &g) return f(pp, dim, storage, pg);
    }

    private int Close(nint g) => ((delegate* unmanaged<nint, int>)lib.Export("el_gallery_close"))(g);

    private int Enroll(nint g, byte[] id, float[] e)
    {
        var f = (delegate* unmanaged<nint, byte*, float*, int>)lib.Export("el_gallery_enroll");
        fixed (byte* pi = id) fixed (float* pe = e) return f(g, pi, pe);
    }

    private int Enroll(nint g, string id, float[] e) => Enroll(g, Encoding.UTF8.GetBytes(id + "\0"), e);

    private int Remove(nint g, string id)
    {
        var f = (delegate* unmanaged<nint, byte*, int>)lib.Export("el_gallery_remove");
        fixed (byte* pi = Encoding.UTF8.GetBytes(id + "\0")) return f(g, pi);
    }

    private (int Status, int Identities, int Templates) Count(nint g)
    {
        int i = -1, t = -1;
        int s = ((delegate* unmanaged<nint, int*, int*, int>)lib.Export("el_gallery_count"))(g, &i, &t);
        return (s, i, t);
    }

    private int Search(nint g, float[] q, int k, ElMatch[] output, out int found)
    {
        var f = (delegate* unmanaged<nint, float*, int, ElMatch*, int*, int>)lib.Export("el_gallery_search");
        fixed (float* pq = q) fixed (ElMatch* po = output) fixed (int* pf = &found) return f(g, pq, k, po, pf);
    }

    private int Verify(nint g, string id, float[] probe, out float score)
    {
        var f = (delegate* unmanaged<nint, byte*, float*, float*, int>)lib.Export("el_gallery_verify");
        fixed (byte* pi = Encoding.UTF8.GetBytes(id + "\0")) fixed (float* pp = probe) fixed (float* ps = &score) return f(g, pi, pp, ps);
    }

    private static float[] Vector(Random r, int dim) => Enumerable.Range(0, dim).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

    [Fact]
    public void El_match_is_68_bytes_as_in_the_header() => Assert.Equal(68, sizeof(ElMatch));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Enroll_search_verify_remove_match_the_managed_gallery(int storage)
    {
        const int dim = 32;
        var r = new Random(5 + storage);
        using var managed = EmbeddingGallery.Open(null, dim, (EmbeddingStorage)storage);
        Assert.Equal(0, Open(null, dim, storage, out nint g));
        for (int p = 0; p < 20; p++)
            for (int t = 0; t < 2; t++)
            {
                float[] e = Vector(r, dim);
                Assert.Equal(0, Enroll(g, $"person-{p}", e));
                managed.Enroll($"person-{p}", e);
            }
        Assert.Equal((0, 20, 40), Count(g));

        float[] q = Vector(r, dim);
        var output = new ElMatch[5];
        Assert.Equal(0, Search(g, q, 5, output, out int found));
        Match[] expected = managed.Search(q, 5);
        Assert.Equal(expected.Length, found);
        for (int i = 0; i < found; i++)
        {
            Assert.Equal(expected[i].Id, output[i].IdString());
            Approx.Equal(expected[i].Score, output[i].Score, 1e-5, 1e-6, $"score[{i}]");
        }

        // Batch: row i of out holds query i's matches.
        float[] queries = [.. q, .. Vector(r, dim), .. Vector(r, dim)];
        var batch = new ElMatch[3 * 4];
        var counts = new int[3];
        var searchBatch = (delegate* unmanaged<nint, float*, int, int, ElMatch*, int*, int>)lib.Export("el_gallery_search_batch");
        fixed (float* pq = queries) fixed (ElMatch* pb = batch) fixed (int* pc = counts)
            Assert.Equal(0, searchBatch(g, pq, 3, 4, pb, pc));
        for (int qi = 0; qi < 3; qi++)
        {
            Match[] one = managed.Search(queries.AsSpan(qi * dim, dim), 4);
            Assert.Equal(one.Length, counts[qi]);
            for (int i = 0; i < one.Length; i++) Assert.Equal(one[i].Id, batch[qi * 4 + i].IdString());
        }

        Assert.Equal(0, Verify(g, "person-3", q, out float score));
        Approx.Equal(managed.Verify("person-3", q), score, 1e-5, 1e-6, "verify");

        Assert.Equal(0, Remove(g, "person-3"));
        Assert.Equal((0, 19, 38), Count(g));
        Assert.Equal(3, Remove(g, "person-3"));
        Assert.Contains("person-3", LastError());
        Assert.Equal(3, Verify(g, "person-3", q, out _));
        Assert.Equal(0, Close(g));
    }

    [Fact]
    public void Enroll_batch_stores_every_row_or_none()
    {
        const int dim = 4;
        Assert.Equal(0, Open(null, dim, 0, out nint g));
        var f = (delegate* unmanaged<nint, byte**, float*, int, int>)lib.Export("el_gallery_enroll_batch");
        byte[] a = Encoding.UTF8.GetBytes("ann\0"), b = Encoding.UTF8.GetBytes("bob\0");
        float[] good = [1, 0, 0, 0, 0, 1, 0, 0];
        float[] bad = [1, 0, 0, 0, 0, 0, 0, 0]; // row 1 is a zero vector
        fixed (byte* pa = a, pb = b)
        {
            byte** ids = stackalloc byte*[2] { pa, pb };
            fixed (float* pbad = bad) Assert.Equal(2, f(g, ids, pbad, 2));
            Assert.Equal((0, 0, 0), Count(g));
            fixed (float* pgood = good) Assert.Equal(0, f(g, ids, pgood, 2));
        }
        Assert.Equal((0, 2, 2), Count(g));
        Assert.Equal(0, Close(g));
    }

    [Fact]
    public void File_gallery_persists_locks_and_refuses_a_mismatch()
    {
        string path = Path.Combine(dir, "faces.elg");
        Assert.Equal(0, Open(path, 8, 1, out nint g));
        Assert.Equal(0, Enroll(g, "ann", [1, 2, 3, 4, 5, 6, 7, 8]));
        Assert.Equal(7, Open(path, 8, 1, out _));
        Assert.Contains(path, LastError());
        Assert.Equal(0, Close(g));

        Assert.Equal(1, Open(path, 16, 1, out _));
        Assert.Contains("16", LastError());
        Assert.Equal(1, Open(path, 8, 0, out _));

        Assert.Equal(0, Open(path, 8, 1, out g));
        Assert.Equal((0, 1, 1), Count(g));
        Assert.Equal(0, Close(g));

        // A flipped byte inside a record that is not the last is damage, not a torn tail: nothing is served.
        Assert.Equal(0, Open(path, 8, 1, out g));
        Assert.Equal(0, Enroll(g, "bob", [8, 7, 6, 5, 4, 3, 2, 1]));
        Assert.Equal(0, Close(g));
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        Assert.Equal(5, Open(path, 8, 1, out _));
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Bad_input_gets_its_status_and_a_message_naming_it()
    {
        Assert.Equal(0, Open(null, 4, 0, out nint g));
        Assert.Equal(1, Enroll(g, "", [1, 0, 0, 0]));
        Assert.Equal("id is empty", LastError());
        Assert.Equal(1, Enroll(g, new string('x', 64), [1, 0, 0, 0]));
        Assert.Equal("id is longer than 63 bytes", LastError());
        Assert.Equal(0, Enroll(g, new string('x', 63), [1, 0, 0, 0]));
        Assert.Equal(1, Enroll(g, [0xff, 0xfe, 0], [1, 0, 0, 0]));
        Assert.Equal("id is not valid UTF-8", LastError());
        Assert.Equal(2, Enroll(g, "nan", [1, float.NaN, 0, 0]));
        Assert.Contains("NaN", LastError());
        Assert.Equal(2, Enroll(g, "zero", [0, 0, 0, 0]));
        var output = new ElMatch[1];
        Assert.Equal(1, Search(g, [1, 0, 0, 0], 0, output, out _));
        Assert.Equal("k = 0 must be >= 1", LastError());
        Assert.Equal(1, Open(null, 4, 2, out _));
        Assert.Equal("storage = 2 is not EL_STORE_F32 (0) or EL_STORE_I8 (1)", LastError());
        Assert.Equal(1, Open(null, 0, 0, out _));
        Assert.Equal("dim = 0 must be >= 1", LastError());

        Assert.Equal(0, Close(g));
        Assert.Equal(1, Close(g));                       // closed twice: an error, not a crash
        Assert.Contains("is not an open gallery handle", LastError());
        Assert.Equal(1, Count(g).Status);
        Assert.Equal(0, Close(0));                       // NULL is a no-op
        Assert.Equal(1, Enroll(0, "ann", [1, 0, 0, 0]));
        Assert.Equal("g is NULL", LastError());
    }

    [Fact]
    public void A_message_longer_than_the_buffer_is_cut_at_a_character_boundary()
    {
        // A 1500-character path of 2-byte characters in a folder that does not exist: the message names the path.
        string path = Path.Combine(dir, "missing", new string('é', 1500));
        Assert.NotEqual(0, Open(path, 4, 0, out _));
        var f = (delegate* unmanaged<byte*>)lib.Export("el_last_error");
        byte* p = f();
        int length = 0;
        while (p[length] != 0) length++;
        Assert.InRange(length, 1000, 1023);
        string message = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(p, length); // whole characters only
        Assert.EndsWith("é", message);
    }

    [Fact]
    public void Cosine_of_two_vectors_and_of_a_zero_vector()
    {
        var f = (delegate* unmanaged<float*, float*, int, float*, int>)lib.Export("el_cosine");
        float[] a = [1, 2, 3], b = [3, 2, 1], z = [0, 0, 0];
        float c;
        fixed (float* pa = a, pb = b, pz = z)
        {
            Assert.Equal(0, f(pa, pb, 3, &c));
            Approx.Equal(10.0 / 14.0, c, 1e-6, 1e-7, "cosine");
            Assert.Equal(2, f(pa, pz, 3, &c));
        }
    }
}
