using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Embeddings;

/// <summary>
/// Read-only galleries: opened without write access under a shared lock, they serve exactly what a writable open
/// serves, never change the file (not even to cut a torn tail or compact), refuse every change, and share the file
/// with other read-only opens but not with a writer.
/// </summary>
/// <remarks>
/// The suite may run as root, and root opens a mode-0444 file for writing anyway: for root, a 0444 file alone proves
/// nothing about how it was opened. So besides "the bytes and mtime did not change", these tests read the access mode
/// and the flock of the gallery's descriptor from /proc/self/fdinfo, which the kernel reports whoever we are. When not
/// root, the writable open of the same 0444 file is also shown to fail, so the premise is tested too.
/// </remarks>
public class GalleryReadOnlyTests
{
    private const int Dim = 24;


    /// <summary>The file's content hash and modification time: what "untouched" means.</summary>
    private static (string Sha256, DateTime Modified, long Length) Fingerprint(string path) =>
        (Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))), File.GetLastWriteTimeUtc(path), new FileInfo(path).Length);

    /// <summary>
    /// A file with enrollments, a batch, removals (tombstones) and identities holding several templates: 40 people make
    /// 36 identities of 46 templates, 5 people make 4 identities of 12 templates.
    /// </summary>
    private static Dictionary<string, float[]> Build(string path, EmbeddingStorage storage, int people = 40, int seed = 21)
    {
        var random = new Random(seed);
        var vectors = new Dictionary<string, float[]>();
        using var g = EmbeddingGallery.Open(path, Dim, storage);
        for (int i = 0; i < people; i++)
        {
            float[] x = Data.Gaussian(random, Dim);
            g.Enroll($"p{i}", x);
            vectors[$"p{i}"] = x;
        }
        g.EnrollBatch([.. Enumerable.Range(0, 10).Select(i => $"p{3 * i % people}")], Data.Gaussian(random, 10 * Dim));
        foreach (int i in new[] { 1, 7, 8, 30 }.Where(i => i < people))
        {
            g.Remove($"p{i}");
            vectors.Remove($"p{i}");
        }
        return vectors;
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void A_0444_file_opens_read_only_answers_like_a_writable_open_and_is_not_touched(EmbeddingStorage storage)
    {
        using var dir = new TempDir();
        string path = dir.File("ro.gal");
        var vectors = Build(path, storage);
        float[] queries = Data.Gaussian(new Random(22), 12 * Dim);

        string[] snapshot;
        (Match[] Results, int[] Found) expected;
        Match[] single;
        float[] verify;
        using (var writable = EmbeddingGallery.Open(path, Dim, storage))
        {
            Assert.False(writable.IsReadOnly);
            snapshot = GalleryViews.Snapshot(writable);
            expected = GalleryViews.SearchAll(writable, queries, 12, 5);
            single = writable.Search(queries.AsSpan(0, Dim), 3);
            verify = [.. vectors.Select(v => writable.Verify(v.Key, v.Value))];
        }
        FileModes.Set(path, FileModes.ReadOnly);
        var before = Fingerprint(path);
        if (!Environment.IsPrivilegedProcess)
            Assert.Throws<UnauthorizedAccessException>(() => EmbeddingGallery.Open(path, Dim, storage));   // the premise: 0444 stops a writer

        using (var g = EmbeddingGallery.Open(path, Dim, storage, readOnly: true))
        {
            Assert.True(g.IsReadOnly);
            Assert.Equal(path, g.Path);
            Assert.Equal((36, 46), g.Count);                                     // 40 + 10 templates, 4 identities of 4 removed
            Assert.Equal(snapshot, GalleryViews.Snapshot(g));
            var again = GalleryViews.SearchAll(g, queries, 12, 5);
            Assert.Equal(expected.Found, again.Found);
            Assert.Equal(expected.Results, again.Results);                       // same ids, bit-identical scores
            Assert.Equal(single, g.Search(queries.AsSpan(0, Dim), 3));
            Assert.Equal(verify, vectors.Select(v => g.Verify(v.Key, v.Value)));
            Assert.True(g.Verify("p0", vectors["p0"], 0.99f, out _));
            Assert.Equal(0, g.RepairedTailBytes);
            Assert.Equal(0, g.IgnoredTailBytes);
            Assert.Equal(before.Length, g.FileLength);
            if (OpenFiles.Supported)
                Assert.Equal([(OpenFiles.Access.ReadOnly, OpenFiles.FlockMode.Shared)], OpenFiles.Of(path).Select(d => (d.Access, d.Flock)));
        }
        Assert.Equal(before, Fingerprint(path));
        Assert.Equal(FileModes.ReadOnly, FileModes.Get(path));
        if (OpenFiles.Supported)
            Assert.Empty(OpenFiles.Of(path));                                    // Dispose closed it
    }

    [Fact]
    public void The_proc_check_tells_a_writable_open_from_a_read_only_one()
    {
        // The control for the fdinfo assertions above and below: they can fail, because a writer looks different.
        if (!OpenFiles.Supported)
            return;
        using var dir = new TempDir();
        string path = dir.File("w.gal");
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32))
            Assert.Equal([(OpenFiles.Access.ReadWrite, OpenFiles.FlockMode.Exclusive)], OpenFiles.Of(path).Select(d => (d.Access, d.Flock)));
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, readOnly: true))
            Assert.Equal([(OpenFiles.Access.ReadOnly, OpenFiles.FlockMode.Shared)], OpenFiles.Of(path).Select(d => (d.Access, d.Flock)));
    }

    public static TheoryData<string> Tails() => ["cut record", "few bytes", "zeros", "bad last checksum"];

    [Theory]
    [MemberData(nameof(Tails))]
    public void A_torn_tail_is_skipped_and_left_on_disk_and_a_writable_open_still_cuts_it(string kind)
    {
        using var dir = new TempDir();
        string path = dir.File("torn.gal");
        var random = new Random(23);
        var ends = new List<long>();
        var states = new List<string[]>();
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32))
        {
            for (int i = 0; i < 6; i++)
            {
                g.Enroll($"id{i}", Data.Gaussian(random, Dim));
                ends.Add(g.FileLength);
                states.Add(GalleryViews.Snapshot(g));
            }
        }
        byte[] clean = File.ReadAllBytes(path);
        byte[] torn = kind switch
        {
            "cut record" => clean[..(int)(ends[^1] - 9)],                          // the last record's write was cut short
            "few bytes" => [.. clean, 1, 2, 3, 4, 5, 6, 7],                         // less than a record header
            "zeros" => [.. clean, .. new byte[4096]],                               // extended before the data landed
            "bad last checksum" => Flip(clean, (int)ends[^2] + 20),                 // the last record's payload is damaged
            _ => throw new ArgumentException(kind),
        };
        long good = kind is "cut record" or "bad last checksum" ? ends[^2] : ends[^1];
        string[] state = kind is "cut record" or "bad last checksum" ? states[^2] : states[^1];
        File.WriteAllBytes(path, torn);
        FileModes.Set(path, FileModes.ReadOnly);
        var before = Fingerprint(path);

        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, readOnly: true))
        {
            Assert.Equal(state, GalleryViews.Snapshot(g));
            Assert.Equal(torn.Length - good, g.IgnoredTailBytes);
            Assert.Equal(0, g.RepairedTailBytes);
            Assert.Equal(good, g.FileLength);                                    // what was loaded
        }
        Assert.Equal(before, Fingerprint(path));                                 // the tail is still there, byte for byte
        Assert.Equal(torn.Length, new FileInfo(path).Length);

        // A second read-only open sees the same tail again; a writable one repairs it as it always did.
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, readOnly: true))
            Assert.Equal(torn.Length - good, g.IgnoredTailBytes);
        FileModes.Set(path, FileModes.Writable);
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32))
        {
            Assert.Equal(state, GalleryViews.Snapshot(g));
            Assert.Equal(torn.Length - good, g.RepairedTailBytes);
            Assert.Equal(0, g.IgnoredTailBytes);
        }
        Assert.Equal(clean[..(int)good], File.ReadAllBytes(path));

        static byte[] Flip(byte[] bytes, int at)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[at] ^= 0x10;
            return copy;
        }
    }

    [Fact]
    public void An_interrupted_creation_opens_empty_and_stays_as_it_is()
    {
        // A writable open would write the header into a file cut inside it; a read-only one serves the same empty
        // gallery and writes nothing. A short file that is not a prefix of the header is still corrupt.
        using var dir = new TempDir();
        byte[] header;
        using (var g = EmbeddingGallery.Open(dir.File("full.gal"), Dim, EmbeddingStorage.I8))
            g.Enroll("a", Data.Gaussian(new Random(24), Dim));
        header = File.ReadAllBytes(dir.File("full.gal"))[..32];
        byte[][] shorts = [[], header[..20], new byte[31]];
        foreach (byte[] bytes in shorts)
        {
            string path = dir.File($"short{bytes.Length}.gal");
            File.WriteAllBytes(path, bytes);
            using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.I8, readOnly: true))
            {
                Assert.Equal((0, 0), g.Count);
                Assert.Empty(g.Search(Data.Gaussian(new Random(25), Dim), 3));
                Assert.Equal(bytes.Length, g.IgnoredTailBytes);
            }
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }
        string other = dir.File("other.gal");
        File.WriteAllText(other, "hello");
        Assert.Contains("shorter than a 32-byte gallery header",
            Assert.Throws<GalleryCorruptException>(() => EmbeddingGallery.Open(other, Dim, EmbeddingStorage.I8, readOnly: true)).Message);
    }

    [Fact]
    public void Corruption_and_mismatches_are_reported_as_for_a_writable_open()
    {
        using var dir = new TempDir();
        string path = dir.File("c.gal");
        Build(path, EmbeddingStorage.F32, people: 6);
        byte[] clean = File.ReadAllBytes(path);
        void AssertRefused<T>(string name, byte[] bytes, string message) where T : Exception
        {
            string p = dir.File(name);
            File.WriteAllBytes(p, bytes);
            var e = Assert.Throws<T>(() => EmbeddingGallery.Open(p, Dim, EmbeddingStorage.F32, readOnly: true));
            Assert.Contains(message, e.Message);
            Assert.Equal(bytes, File.ReadAllBytes(p));
            // the failed open released its lock: a writable open gets in (and reports the same problem)
            Assert.Throws<T>(() => EmbeddingGallery.Open(p, Dim, EmbeddingStorage.F32));
        }
        byte[] flipped = (byte[])clean.Clone();
        flipped[50] ^= 0x01;                                                     // inside the first record's payload
        AssertRefused<GalleryCorruptException>("flip.gal", flipped, "record checksum mismatch, and more records follow it");
        AssertRefused<GalleryCorruptException>("garbage.gal", [.. clean, .. "this is not a record at all"u8], "record header check failed");
        byte[] text = "This is a text file, not an EdgeLoss gallery at all.\n"u8.ToArray();
        AssertRefused<GalleryCorruptException>("text.gal", text, "not an EdgeLoss gallery file (bad magic)");

        var mismatch = Assert.Throws<ArgumentException>(() => EmbeddingGallery.Open(path, 2 * Dim, EmbeddingStorage.F32, readOnly: true));
        Assert.Contains($"holds dim {Dim} and storage F32, but dim {2 * Dim} and storage F32 were requested", mismatch.Message);
        Assert.Equal(clean, File.ReadAllBytes(path));
    }

    /// <summary>Every public instance method of <see cref="EmbeddingGallery"/> that may change it, with a call.</summary>
    private static readonly Dictionary<string, Action<EmbeddingGallery>> Changes = new()
    {
        ["Enroll"] = g => g.Enroll("newcomer", Data.Gaussian(new Random(26), Dim)),
        ["EnrollBatch"] = g => g.EnrollBatch(["p0", "newcomer"], Data.Gaussian(new Random(27), 2 * Dim)),
        ["Remove"] = g => g.Remove("p0"),
        ["Compact"] = g => g.Compact(),
    };

    /// <summary>The public instance methods that only read (Dispose closes the gallery and writes nothing).</summary>
    private static readonly string[] Reads = ["Search", "SearchBatch", "Verify", "TemplateCount", "GetIds", "Dispose"];

    [Fact]
    public void Every_public_method_is_known_to_read_or_to_change_the_gallery()
    {
        // A method added later must be sorted into one list or the other, and a change refused when read-only.
        string[] methods = [.. typeof(EmbeddingGallery).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName).Select(m => m.Name).Distinct().Order(StringComparer.Ordinal)];
        Assert.Equal([.. Changes.Keys.Concat(Reads).Order(StringComparer.Ordinal)], methods);
    }

    [Fact]
    public void Every_change_is_refused_naming_the_member_and_the_file_and_nothing_moves()
    {
        using var dir = new TempDir();
        string path = dir.File("refuse.gal");
        Build(path, EmbeddingStorage.F32);
        var before = Fingerprint(path);
        using var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, readOnly: true);
        var (count, ids, deadBefore) = (g.Count, GalleryViews.Snapshot(g), g.DeadTemplates);
        foreach (var (member, change) in Changes)
        {
            var e = Assert.Throws<InvalidOperationException>(() => change(g));  // exactly that type: not disposed, not capacity
            Assert.Equal($"the gallery {path} was opened read-only: {member} is refused", e.Message);
            Assert.Equal(count, g.Count);
            Assert.Equal(ids, GalleryViews.Snapshot(g));
            Assert.Equal(deadBefore, g.DeadTemplates);
        }
        // Refused whatever the arguments: a read-only gallery says so before it looks at them.
        Assert.Throws<InvalidOperationException>(() => g.Enroll(null!, new float[Dim + 1]));
        Assert.Throws<InvalidOperationException>(() => g.EnrollBatch([], [], new int[5]));
        Assert.Throws<InvalidOperationException>(() => g.Remove("not enrolled"));
        Assert.Equal(count, g.Count);
        Assert.Equal(before, Fingerprint(path));
    }

    [Fact]
    public void A_read_only_open_does_not_compact_a_file_of_mostly_removed_templates()
    {
        using var dir = new TempDir();
        string path = dir.File("dead.gal");
        var tuning = GalleryTuning.Default with { AutoCompactMinDead = 10 };
        var random = new Random(28);
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, tuning))
        {
            for (int i = 0; i < 40; i++)
                g.Enroll($"p{i}", Data.Gaussian(random, Dim));
            for (int i = 0; i < 25; i++)
                g.Remove($"p{i}");                                               // 25 dead, 15 live: a writable open compacts
        }
        var before = Fingerprint(path);
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, tuning, readOnly: true))
        {
            Assert.Equal(25, g.DeadTemplates);
            Assert.Equal((15, 15), g.Count);
            Assert.Equal(before.Length, g.FileLength);
        }
        Assert.Equal(before, Fingerprint(path));
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, tuning))
            Assert.Equal(0, g.DeadTemplates);                                    // the control: writable does compact
        Assert.True(new FileInfo(path).Length < before.Length);
    }

    [Fact]
    public void Read_only_opens_share_the_file_and_a_writer_excludes_them_and_is_excluded()
    {
        using var dir = new TempDir();
        string path = dir.File("lock.gal");
        Build(path, EmbeddingStorage.F32, people: 5);

        // A writer holds it: a read-only open is refused (flock is per open file description, so even in one process).
        using (var writer = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32))
        {
            var e = Assert.Throws<GalleryLockedException>(() => EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, readOnly: true));
            Assert.Equal(Status.Locked, StatusMapping.From(e));
            Assert.Contains("is open elsewhere", e.Message);
            writer.Enroll("late", Data.Gaussian(new Random(29), Dim));          // and the writer never noticed
        }

        var before = Fingerprint(path);
        using (var first = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, readOnly: true))
        {
            using (var second = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, readOnly: true))
            {
                Assert.Equal(first.Count, second.Count);
                Assert.Equal(GalleryViews.Snapshot(first), GalleryViews.Snapshot(second));
                if (OpenFiles.Supported)
                    Assert.Equal([(OpenFiles.Access.ReadOnly, OpenFiles.FlockMode.Shared), (OpenFiles.Access.ReadOnly, OpenFiles.FlockMode.Shared)],
                        OpenFiles.Of(path).Select(d => (d.Access, d.Flock)));
                var e = Assert.Throws<GalleryLockedException>(() => EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32));
                Assert.Equal(Status.Locked, StatusMapping.From(e));
            }
            // One reader left is still enough to keep a writer out.
            Assert.Throws<GalleryLockedException>(() => EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32));
            Assert.Equal((5, 13), first.Count);
        }
        Assert.Equal(before, Fingerprint(path));
        using (var writer = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32))   // every reader gone: the writer gets in
            Assert.Equal((5, 13), writer.Count);
    }

    [Fact]
    public void Read_only_opens_share_the_file_across_processes_and_a_writer_in_either_process_is_excluded()
    {
        using var dir = new TempDir();
        string path = dir.File("procs.gal");
        Build(path, EmbeddingStorage.F32, people: 5);
        string dim = Dim.ToString(System.Globalization.CultureInfo.InvariantCulture);

        static (string Output, int Exit) Run(params string[] args)
        {
            using Process child = GalleryCrashTests.StartChild(args);
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            return (output.Trim(), child.ExitCode);
        }

        using (EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, readOnly: true))
        {
            Assert.Equal(("Ok", 0), Run("try-ro", path, dim, "F32"));                           // another reader gets in
            Assert.Equal(("Locked", (int)Status.Locked), Run("try", path, dim, "F32"));        // a writer does not
        }
        using (var writer = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32))
            Assert.Equal(("Locked", (int)Status.Locked), Run("try-ro", path, dim, "F32"));     // nor a reader while we write

        using Process holder = GalleryCrashTests.StartChild("hold-ro", path, dim, "F32");
        Assert.Equal("held", holder.StandardOutput.ReadLine());
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, readOnly: true))
            Assert.Equal((4, 12), g.Count);
        Assert.Throws<GalleryLockedException>(() => EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32));
        holder.StandardInput.Close();
        holder.WaitForExit();
        Assert.Equal(0, holder.ExitCode);
        using (EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32)) { }
    }

    [Fact]
    public void A_read_only_gallery_needs_an_existing_file()
    {
        using var dir = new TempDir();
        var none = Assert.Throws<ArgumentNullException>(() => EmbeddingGallery.Open(null, Dim, EmbeddingStorage.F32, readOnly: true));
        Assert.Equal("path", none.ParamName);
        Assert.StartsWith("path is null, but a read-only gallery is an existing file", none.Message);
        Assert.Equal(Status.Argument, StatusMapping.From(none));

        string missing = dir.File("missing.gal");
        var gone = Assert.Throws<FileNotFoundException>(() => EmbeddingGallery.Open(missing, Dim, EmbeddingStorage.F32, readOnly: true));
        Assert.Equal($"path = '{missing}': gallery file '{missing}' does not exist, and a read-only open cannot create it", gone.Message);
        Assert.Equal(missing, gone.FileName);
        Assert.False(File.Exists(missing));

        // a relative path is named as given and as resolved
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, missing);
        Assert.Contains($"path = '{relative}': gallery file '{missing}'",
            Assert.Throws<FileNotFoundException>(() => EmbeddingGallery.Open(relative, Dim, EmbeddingStorage.F32, readOnly: true)).Message);

        var empty = Assert.Throws<ArgumentException>(() => EmbeddingGallery.Open("", Dim, EmbeddingStorage.F32, readOnly: true));
        Assert.Equal("path", empty.ParamName);

        // readOnly: false is the three-argument Open: null is an in-memory gallery, a missing file is created
        using (var memory = EmbeddingGallery.Open(null, Dim, EmbeddingStorage.F32, readOnly: false))
        {
            Assert.False(memory.IsReadOnly);
            Assert.Null(memory.Path);
            memory.Enroll("a", Data.Gaussian(new Random(30), Dim));
        }
        using (EmbeddingGallery.Open(missing, Dim, EmbeddingStorage.F32, readOnly: false)) { }
        Assert.Equal(32, new FileInfo(missing).Length);
    }
}
