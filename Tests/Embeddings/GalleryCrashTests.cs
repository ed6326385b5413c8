using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using EdgeLoss.GalleryCrash;

namespace EdgeLoss.Tests.Embeddings;

/// <summary>
/// Crash safety: torn tails are cut back to the last whole record, any other damage is GalleryCorruptException and
/// leaves the file as it was, acknowledged writes survive SIGKILL, and one opener at a time holds the file.
/// </summary>
public class GalleryCrashTests
{
    private const int Dim = 16;

    /// <summary>A file with a known history: after each operation, the file length and the gallery's state.</summary>
    private static (byte[] File, List<(long End, string[] State)> History, Dictionary<string, float[]> Vectors) BuildHistory(string path, EmbeddingStorage storage)
    {
        var random = new Random(9);
        var vectors = new Dictionary<string, float[]>();
        var history = new List<(long, string[])>();
        using (var g = EmbeddingGallery.Open(path, Dim, storage))
        {
            history.Add((g.FileLength, State(g)));
            for (int i = 0; i < 30; i++)
            {
                if (i % 9 == 8)
                    g.Remove($"id{i - 5}");
                else if (i % 5 == 4)
                {
                    float[] rows = Data.Gaussian(random, 2 * Dim);
                    g.EnrollBatch([$"id{i}", $"id{i - 1}"], rows);
                    vectors[$"id{i}"] = rows[..Dim];
                }
                else
                {
                    float[] x = Data.Gaussian(random, Dim);
                    g.Enroll($"id{i}", x);
                    vectors[$"id{i}"] = x;
                }
                history.Add((g.FileLength, State(g)));
            }
        }
        return (File.ReadAllBytes(path), history, vectors);
    }

    private static string[] State(EmbeddingGallery g) => [.. g.GetIds().Select(id => $"{id}:{g.TemplateCount(id)}")];

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void Every_truncation_reopens_as_the_records_before_the_cut(EmbeddingStorage storage)
    {
        using var dir = new TempDir();
        var (file, history, vectors) = BuildHistory(dir.File("full.gal"), storage);
        var random = new Random(10);
        var cuts = new SortedSet<long>();
        foreach (var (end, _) in history)
            foreach (long c in new[] { end - 1, end, end + 1, end + 8, end + 12 })
                if (c >= 32 && c <= file.Length) cuts.Add(c);
        for (int i = 0; i < 40; i++)
            cuts.Add(random.NextInt64(32, file.Length + 1));

        foreach (long cut in cuts)
        {
            string path = dir.File($"cut{cut}.gal");
            File.WriteAllBytes(path, file[..(int)cut]);
            var (end, state) = history.Last(h => h.End <= cut);
            using var g = EmbeddingGallery.Open(path, Dim, storage);
            Assert.Equal(state, State(g));
            Assert.Equal(cut - end, g.RepairedTailBytes);
            Assert.Equal(end, g.FileLength);
            Assert.Equal(end, new FileInfo(path).Length);                       // the torn tail is gone from disk
            foreach (string id in g.GetIds().Where(vectors.ContainsKey))
                Assert.True(g.Verify(id, vectors[id]) > 0.999f, $"cut {cut}: {id} does not match its own vector");
        }
    }

    [Fact]
    public void A_file_cut_inside_its_header_was_never_a_gallery_and_starts_over()
    {
        using var dir = new TempDir();
        var (file, _, _) = BuildHistory(dir.File("full.gal"), EmbeddingStorage.F32);
        foreach (int cut in new[] { 1, 8, 20, 31 })
        {
            string path = dir.File($"h{cut}.gal");
            File.WriteAllBytes(path, file[..cut]);
            using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32))
                Assert.Equal((0, 0), g.Count);
            Assert.Equal(file[..32], File.ReadAllBytes(path));
        }
        // a short file that is not the start of our header is not ours to overwrite
        string other = dir.File("other.gal");
        File.WriteAllText(other, "hello");
        var e = Assert.Throws<GalleryCorruptException>(() => EmbeddingGallery.Open(other, Dim, EmbeddingStorage.F32));
        Assert.Contains("shorter than a 32-byte gallery header", e.Message);
        Assert.Equal("hello", File.ReadAllText(other));
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void A_flipped_byte_before_the_last_record_is_corruption_and_nothing_is_touched(EmbeddingStorage storage)
    {
        using var dir = new TempDir();
        var (file, history, _) = BuildHistory(dir.File("full.gal"), storage);
        long lastStart = history[^2].End;
        var random = new Random(11);
        var positions = new SortedSet<int>(Enumerable.Range(0, 32));           // every header byte
        foreach (var (end, _) in history.Take(history.Count - 2))
            for (int k = 0; k < 12; k++) positions.Add((int)end + k);            // every record header byte but the last one's
        for (int i = 0; i < 40; i++)
            positions.Add(random.Next(32, (int)lastStart));
        foreach (int p in positions)
        {
            string path = dir.File($"flip{p}.gal");
            byte[] damaged = (byte[])file.Clone();
            damaged[p] ^= (byte)(1 << random.Next(8));
            File.WriteAllBytes(path, damaged);
            var e = Record.Exception(() => EmbeddingGallery.Open(path, Dim, storage).Dispose());
            Assert.True(e is GalleryCorruptException, $"byte {p} flipped: {e?.ToString() ?? "opened"}");
            Assert.Equal(Status.Corrupt, StatusMapping.From(e!));
            Assert.Equal(damaged, File.ReadAllBytes(path));                      // never truncated, never rewritten
        }
    }

    [Fact]
    public void A_damaged_last_record_is_a_torn_tail()
    {
        // A checksum that fails on the very last record is what a crash during its write leaves: it is cut.
        using var dir = new TempDir();
        var (file, history, _) = BuildHistory(dir.File("full.gal"), EmbeddingStorage.F32);
        long lastStart = history[^2].End;
        file[(int)lastStart + 20] ^= 0x40;
        string path = dir.File("last.gal");
        File.WriteAllBytes(path, file);
        using var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32);
        Assert.Equal(history[^2].State, State(g));
        Assert.Equal(file.Length - lastStart, g.RepairedTailBytes);
    }

    [Fact]
    public void Tails_of_zeros_or_a_few_bytes_are_torn_and_longer_garbage_is_corruption()
    {
        using var dir = new TempDir();
        var (file, history, _) = BuildHistory(dir.File("full.gal"), EmbeddingStorage.F32);
        string zeros = dir.File("zeros.gal");
        File.WriteAllBytes(zeros, [.. file, .. new byte[4096]]);                // a file system that extended the file before the data landed
        using (var g = EmbeddingGallery.Open(zeros, Dim, EmbeddingStorage.F32))
        {
            Assert.Equal(history[^1].State, State(g));
            Assert.Equal(4096, g.RepairedTailBytes);
        }
        string few = dir.File("few.gal");
        File.WriteAllBytes(few, [.. file, 1, 2, 3, 4, 5, 6, 7]);                 // shorter than a record header
        using (var g = EmbeddingGallery.Open(few, Dim, EmbeddingStorage.F32))
            Assert.Equal(7, g.RepairedTailBytes);
        string garbage = dir.File("garbage.gal");
        byte[] bad = [.. file, .. "this is not a record at all"u8];
        File.WriteAllBytes(garbage, bad);
        Assert.Contains("record header check failed", Assert.Throws<GalleryCorruptException>(() => EmbeddingGallery.Open(garbage, Dim, EmbeddingStorage.F32)).Message);
        Assert.Equal(bad, File.ReadAllBytes(garbage));
    }

    /// <summary>A record as the gallery frames it: length, ~length, CRC-32 of the payload, payload.</summary>
    private static byte[] Framed(params byte[] payload)
    {
        var r = new byte[12 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(r, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(4), ~(uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(8), Crc32.HashToUInt32(payload));
        payload.CopyTo(r, 12);
        return r;
    }

    private static byte[] Enroll(uint count, string id, float[] vector) =>
        [1, .. BitConverter.GetBytes(count), (byte)System.Text.Encoding.UTF8.GetByteCount(id), .. System.Text.Encoding.UTF8.GetBytes(id),
         .. vector.SelectMany(BitConverter.GetBytes)];

    public static TheoryData<string, string> ImpossibleRecords() => new()
    {
        { "type", "unknown record type 9" },
        { "remove", "REMOVE of identity \"ghost\", which holds no template" },
        { "norm", "template of \"big\" is not a stored unit vector" },
        { "nan", "template of \"nan\" is not a stored unit vector" },
        { "count", "ENROLL record ends inside template 1 of 2" },
        { "zero", "ENROLL record holds 0 templates" },
        { "nul", "id of 3 bytes is empty, too long or holds NUL" },
        { "utf8", "id of 2 bytes is not valid UTF-8" },
        { "extra", "ENROLL record has 1 bytes after its last template" },
    };

    [Theory]
    [MemberData(nameof(ImpossibleRecords))]
    public void A_record_with_a_good_checksum_but_impossible_contents_is_corruption(string kind, string message)
    {
        using var dir = new TempDir();
        var (file, _, _) = BuildHistory(dir.File("full.gal"), EmbeddingStorage.F32);
        float[] unit = [.. Enumerable.Repeat(0.25f, Dim)];
        byte[] payload = kind switch
        {
            "type" => [9, 1, 2],
            "remove" => [2, 5, .. "ghost"u8],
            "norm" => Enroll(1, "big", [.. Enumerable.Repeat(0.5f, Dim)]),
            "nan" => Enroll(1, "nan", [float.NaN, .. unit[1..]]),
            "count" => Enroll(2, "two", unit),
            "zero" => [1, 0, 0, 0, 0],
            "nul" => Enroll(1, "a\0b", unit),
            "utf8" => [1, 1, 0, 0, 0, 2, 0xC3, 0x28, .. unit.SelectMany(BitConverter.GetBytes)],
            "extra" => [.. Enroll(1, "x", unit), 0],
            _ => throw new ArgumentException(kind),
        };
        string path = dir.File($"{kind}.gal");
        byte[] bytes = [.. file, .. Framed(payload)];                           // the last record: a checksum this good is not a torn write
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<GalleryCorruptException>(() => EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32));
        Assert.Contains(message, e.Message);
        Assert.Contains($"at byte {file.Length}", e.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Impossible_lengths_and_bad_headers_are_corruption()
    {
        using var dir = new TempDir();
        var (file, _, _) = BuildHistory(dir.File("full.gal"), EmbeddingStorage.F32);
        void AssertCorrupt(string name, byte[] bytes, string message)
        {
            string path = dir.File(name);
            File.WriteAllBytes(path, bytes);
            Assert.Contains(message, Assert.Throws<GalleryCorruptException>(() => EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32)).Message);
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }
        var huge = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(huge, 0x7FFF_FFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(huge.AsSpan(4), ~0x7FFF_FFFFu);
        AssertCorrupt("huge.gal", [.. file, .. huge], "impossible record length 2147483647");
        AssertCorrupt("tiny.gal", [.. file, .. Framed(1, 2), .. Framed(2, 1, 0x41)], "impossible record length 2");

        byte[] text = "This is a text file, not an EdgeLoss gallery at all.\n"u8.ToArray();
        AssertCorrupt("text.gal", text, "not an EdgeLoss gallery file (bad magic)");
        byte[] v2 = (byte[])file.Clone();
        v2[8] = 2;
        BinaryPrimitives.WriteUInt32LittleEndian(v2.AsSpan(28), Crc32.HashToUInt32(v2.AsSpan(0, 28)));
        AssertCorrupt("v2.gal", v2, "format version 2 is not supported (this library reads version 1)");
        byte[] dim = (byte[])file.Clone();
        dim[12] = 32;                                                             // the dim without its checksum: damage, not a mismatch
        AssertCorrupt("dim.gal", dim, "header checksum mismatch");
    }

    // ------------------------------------------------------------------------------------------ child processes

    internal static Process StartChild(params string[] args)
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var start = new ProcessStartInfo(host is { Length: > 0 } && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gallery-crash.dll"));
        foreach (string a in args)
            start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32, 1)]
    [InlineData(EmbeddingStorage.F32, 2)]
    [InlineData(EmbeddingStorage.F32, 3)]
    [InlineData(EmbeddingStorage.I8, 4)]
    [InlineData(EmbeddingStorage.I8, 5)]
    [InlineData(EmbeddingStorage.I8, 6)]
    public void Acknowledged_writes_survive_SIGKILL(EmbeddingStorage storage, int seed)
    {
        using var dir = new TempDir();
        string path = dir.File("crash.gal");
        int target = new Random(seed).Next(1, 120);                              // kill after at least this many acknowledgements
        var lines = new List<string>();
        using (Process child = StartChild("enroll", path, Dim.ToString(System.Globalization.CultureInfo.InvariantCulture), storage.ToString(), seed.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var enough = new ManualResetEventSlim();
            var reader = new Thread(() =>
            {
                while (child.StandardOutput.ReadLine() is { } line)
                    lock (lines)
                    {
                        lines.Add(line);
                        if (lines.Count > target) enough.Set();
                    }
                enough.Set();
            });
            reader.Start();
            bool signaled = enough.Wait(TimeSpan.FromSeconds(60));
            child.Kill();                                                         // SIGKILL on Unix: no finally, no flush
            child.WaitForExit();
            reader.Join();
            Assert.True(signaled, "the child did not acknowledge enough writes in time");
            Assert.True(lines.Count > target, $"the child stopped early: {child.StandardError.ReadToEnd()}");
        }
        Assert.Equal("ready", lines[0]);
        int acknowledged = lines.Count - 1;

        // The state after the acknowledged operations, or after one more (done, but killed before it printed).
        var plan = Workload.Plan(seed).Take(acknowledged + 1).ToList();
        var live = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Operation op in plan.Take(acknowledged))
            Apply(live, op);
        var oneMore = new SortedSet<string>(live, StringComparer.Ordinal);
        Apply(oneMore, plan[acknowledged]);

        using var g = EmbeddingGallery.Open(path, Dim, storage);
        var ids = new SortedSet<string>(g.GetIds(), StringComparer.Ordinal);
        Assert.True(ids.SetEquals(live) || ids.SetEquals(oneMore),
            $"after {acknowledged} acknowledged writes the gallery holds [{string.Join(", ", ids.Except(live))}] more and [{string.Join(", ", live.Except(ids))}] less");
        foreach (string id in ids)
        {
            Assert.Equal(1, g.TemplateCount(id));
            Assert.True(g.Verify(id, Workload.Vector(id, Dim)) > 0.9999f, $"{id} does not match its vector");
        }

        static void Apply(SortedSet<string> live, Operation op)
        {
            foreach (string id in op.Ids)
                if (op.Remove) live.Remove(id);
                else live.Add(id);
        }
    }

    [Fact]
    public void One_opener_at_a_time_in_this_process_and_across_processes()
    {
        using var dir = new TempDir();
        string path = dir.File("lock.gal");
        string dim = Dim.ToString(System.Globalization.CultureInfo.InvariantCulture);

        using (var first = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32))
        {
            var same = Assert.Throws<GalleryLockedException>(() => EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32));
            Assert.Equal(Status.Locked, StatusMapping.From(same));
            Assert.Contains("is open elsewhere", same.Message);

            using Process child = StartChild("try", path, dim, "F32");
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            Assert.Equal("Locked", output.Trim());
            Assert.Equal((int)Status.Locked, child.ExitCode);
        }

        using (Process holder = StartChild("hold", path, dim, "F32"))
        {
            Assert.Equal("held", holder.StandardOutput.ReadLine());
            Assert.Throws<GalleryLockedException>(() => EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32));
            holder.StandardInput.Close();                                         // the holder closes the gallery and exits
            holder.WaitForExit();
            Assert.Equal(0, holder.ExitCode);
        }
        using (var again = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32))
            Assert.Equal((0, 0), again.Count);
    }
}
