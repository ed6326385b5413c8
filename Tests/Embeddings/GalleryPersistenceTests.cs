namespace EdgeLoss.Tests.Embeddings;

/// <summary>File-backed galleries: what is written is what a reopen serves, compaction changes nothing but size.</summary>
public class GalleryPersistenceTests
{
    private const int Dim = 48;

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void Reopening_serves_the_same_gallery(EmbeddingStorage storage)
    {
        using var dir = new TempDir();
        string path = dir.File("g.gal");
        var random = new Random(3);
        float[] queries = Data.Gaussian(random, 20 * Dim);
        string[] snapshot;
        (Match[] Results, int[] Found) before;
        long length;
        using (var g = EmbeddingGallery.Open(path, Dim, storage))
        {
            Assert.Equal(path, g.Path);
            for (int i = 0; i < 50; i++)
                g.Enroll($"person {i}", Data.Gaussian(random, Dim));
            g.EnrollBatch([.. Enumerable.Range(0, 30).Select(i => $"person {i % 10 * 7}")], Data.Gaussian(random, 30 * Dim));
            foreach (int i in new[] { 3, 14, 15, 92 % 50, 49 })
                g.Remove($"person {i}");
            snapshot = GalleryViews.Snapshot(g);
            before = GalleryViews.SearchAll(g, queries, 20, 7);
            length = g.FileLength;
            Assert.Equal(length, new FileInfo(path).Length);
        }
        using (var g = EmbeddingGallery.Open(path, Dim, storage))
        {
            Assert.Equal(snapshot, GalleryViews.Snapshot(g));
            Assert.Equal((47, 66), g.Count);                      // 52 ids, 80 templates; 5 ids of 14 templates removed
            var after = GalleryViews.SearchAll(g, queries, 20, 7);
            Assert.Equal(before.Found, after.Found);
            Assert.Equal(before.Results, after.Results);          // same ids and bit-identical scores
            Assert.Equal(0, g.RepairedTailBytes);
            Assert.Equal(length, g.FileLength);
        }
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void Ties_keep_their_order_through_reopen_and_compaction(EmbeddingStorage storage)
    {
        using var dir = new TempDir();
        string path = dir.File("ties.gal");
        float[] same = [.. Enumerable.Range(1, Dim).Select(i => (float)i)];
        using (var g = EmbeddingGallery.Open(path, Dim, storage))
        {
            foreach (string id in new[] { "zed", "amy", "mia", "bob" })
                g.Enroll(id, same);
            g.Remove("zed");
            g.Enroll("zed", same);
            g.Remove("bob");
            Assert.Equal(["amy", "mia", "zed"], g.Search(same, 3).Select(m => m.Id));
        }
        using (var g = EmbeddingGallery.Open(path, Dim, storage))
        {
            Assert.Equal(["amy", "mia", "zed"], g.Search(same, 3).Select(m => m.Id));
            g.Compact();
            Assert.Equal(["amy", "mia", "zed"], g.Search(same, 3).Select(m => m.Id));
        }
        using (var g = EmbeddingGallery.Open(path, Dim, storage))
            Assert.Equal(["amy", "mia", "zed"], g.Search(same, 3).Select(m => m.Id));
    }

    [Theory]
    [InlineData(EmbeddingStorage.F32)]
    [InlineData(EmbeddingStorage.I8)]
    public void Compaction_drops_removed_templates_and_changes_no_result(EmbeddingStorage storage)
    {
        using var dir = new TempDir();
        string path = dir.File("c.gal");
        var random = new Random(5);
        float[] queries = Data.Gaussian(random, 10 * Dim);
        (Match[] Results, int[] Found) before, afterMore;
        long compacted, final;
        string[] snapshot;
        using (var g = EmbeddingGallery.Open(path, Dim, storage))
        {
            for (int i = 0; i < 200; i++)
                g.Enroll($"p{i}", Data.Gaussian(random, Dim));
            g.Enroll("p7", Data.Gaussian(random, Dim));                          // a second template
            for (int i = 0; i < 200; i++)
                if (i % 4 != 0)
                    g.Remove($"p{i}");
            Assert.Equal(151, g.DeadTemplates);
            long length = g.FileLength;
            before = GalleryViews.SearchAll(g, queries, 10, 5);

            g.Compact();
            compacted = g.FileLength;
            Assert.Equal(0, g.DeadTemplates);
            Assert.True(compacted < length / 3, $"compacted {compacted} of {length} bytes");
            Assert.Equal(compacted, new FileInfo(path).Length);
            Assert.False(File.Exists(path + ".compact"));
            // the compacted file took the old one's place already locked: no moment when a second opener gets in
            Assert.Throws<GalleryLockedException>(() => EmbeddingGallery.Open(path, Dim, storage));
            Assert.Equal(before.Results, GalleryViews.SearchAll(g, queries, 10, 5).Results);

            // the gallery keeps appending to the compacted file
            g.Enroll("late", Data.Gaussian(random, Dim));
            g.Remove("p0");
            afterMore = GalleryViews.SearchAll(g, queries, 10, 5);
            snapshot = GalleryViews.Snapshot(g);
            final = g.FileLength;
        }
        using (var g = EmbeddingGallery.Open(path, Dim, storage))
        {
            Assert.Equal(final, g.FileLength);
            Assert.Equal(snapshot, GalleryViews.Snapshot(g));
            Assert.Equal(afterMore.Results, GalleryViews.SearchAll(g, queries, 10, 5).Results);
        }
    }

    [Fact]
    public void Opening_compacts_a_file_that_is_mostly_removed_templates()
    {
        using var dir = new TempDir();
        string path = dir.File("auto.gal");
        var tuning = GalleryTuning.Default with { AutoCompactMinDead = 10 };
        var random = new Random(6);
        float[] query = Data.Gaussian(random, Dim);
        Match[] before;
        long length;
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, tuning))
        {
            for (int i = 0; i < 40; i++)
                g.Enroll($"p{i}", Data.Gaussian(random, Dim));
            for (int i = 0; i < 20; i++)
                g.Remove($"p{i}");                                               // 20 dead, 20 live: not yet
            length = g.FileLength;
        }
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, tuning))
        {
            Assert.Equal(length, g.FileLength);
            Assert.Equal(20, g.DeadTemplates);
            g.Remove("p20");                                                      // 21 dead, 19 live
            before = g.Search(query, 5);
            length = g.FileLength;
        }
        using (var g = EmbeddingGallery.Open(path, Dim, EmbeddingStorage.F32, tuning))
        {
            Assert.Equal(0, g.DeadTemplates);
            Assert.True(g.FileLength < length * 0.6, $"{g.FileLength} of {length} bytes after opening");
            Assert.Equal(before, g.Search(query, 5));
            Assert.Equal((19, 19), g.Count);
        }
    }

    [Fact]
    public void A_dim_or_storage_mismatch_is_an_argument_error_and_leaves_the_file_alone()
    {
        using var dir = new TempDir();
        string path = dir.File("m.gal");
        using (var g = EmbeddingGallery.Open(path, 8, EmbeddingStorage.F32))
            g.Enroll("a", [1, 2, 3, 4, 5, 6, 7, 8]);
        byte[] bytes = File.ReadAllBytes(path);
        var dim = Assert.Throws<ArgumentException>(() => EmbeddingGallery.Open(path, 16, EmbeddingStorage.F32));
        Assert.Contains("holds dim 8 and storage F32, but dim 16 and storage F32 were requested", dim.Message);
        Assert.Equal(Status.Argument, StatusMapping.From(dim));
        var storage = Assert.Throws<ArgumentException>(() => EmbeddingGallery.Open(path, 8, EmbeddingStorage.I8));
        Assert.Contains("holds dim 8 and storage F32, but dim 8 and storage I8 were requested", storage.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        using (var g = EmbeddingGallery.Open(path, 8, EmbeddingStorage.F32))      // and the failed opens released the lock
            Assert.Equal((1, 1), g.Count);
    }

    [Fact]
    public void New_and_empty_files_become_galleries_with_just_a_header()
    {
        using var dir = new TempDir();
        string created = dir.File("new.gal"), empty = dir.File("empty.gal");
        File.WriteAllBytes(empty, []);
        foreach (string path in new[] { created, empty })
        {
            using (var g = EmbeddingGallery.Open(path, 512, EmbeddingStorage.I8))
                Assert.Equal((0, 0), g.Count);
            byte[] header = File.ReadAllBytes(path);
            Assert.Equal(32, header.Length);
            Assert.Equal([0x89, (byte)'E', (byte)'L', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], header[..8]);   // magic
            Assert.Equal([1, 0, 1, 0, 0, 2, 0, 0], header[8..16]);        // version 1, storage 1, dim 512 (little-endian)
            Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(header.AsSpan(0, 28)), BitConverter.ToUInt32(header, 28));
        }
    }

    [Fact]
    public void An_in_memory_gallery_has_no_file()
    {
        using var g = EmbeddingGallery.Open(null, 4, EmbeddingStorage.F32);
        Assert.Null(g.Path);
        g.Enroll("a", [1, 2, 3, 4]);
        g.Compact();                                                              // nothing to do
        Assert.Equal(0, g.FileLength);
        Assert.Equal((1, 1), g.Count);
    }

    [Fact]
    public void Directories_can_be_flushed_on_Linux()
    {
        // Creating and renaming files is only durable once their directory is fsynced; .NET has no API for it.
        if (!OperatingSystem.IsLinux())
            return;
        Assert.True(DirectorySync.IsSupported);
        using var dir = new TempDir();
        DirectorySync.Flush(dir.Path);
        var e = Assert.Throws<IOException>(() => DirectorySync.Flush(dir.File("missing")));
        Assert.Contains("errno 2", e.Message);                                    // ENOENT
    }
}
