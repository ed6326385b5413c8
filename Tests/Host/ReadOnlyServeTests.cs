using System.Net.Sockets;
using System.Security.Cryptography;
using EdgeLoss.EdgeHost.Protocol;
using EdgeLoss.Tests.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.Tests.Host;

/// <summary>
/// <c>edgehost serve --read-only</c>, built by its own code in this process: it serves a gallery file it may not
/// write, refuses changes with the protocol's status, and leaves the file exactly as it found it.
/// </summary>
/// <remarks>
/// The suite may run as root, which opens a mode-0444 file for writing regardless, so "it started on a 0444 file"
/// proves nothing for root by itself. What does, for anyone: the host's gallery says it is read-only, the kernel
/// reports its only descriptor on the file as O_RDONLY with a shared flock (/proc/self/fdinfo), and after a session
/// that tried ENROLL and REMOVE the file's bytes and mtime are unchanged. What root cannot show here is the failure a
/// non-root writer would meet on 0444 (EACCES); GalleryReadOnlyTests checks that when not run as root.
/// </remarks>
[Collection(EnvironmentCollection.Name)]
public sealed class ReadOnlyServeTests : IDisposable
{
    private const int Dim = 8;

    private readonly TempDir _dir = new();
    private readonly TestLog _log = new();

    public void Dispose() => _dir.Dispose();

    private string Gallery => _dir.File("gallery.elg");

    private string Socket => _dir.File("s.sock");

    private IHost Build(params string[] extra)
    {
        var (builder, _) = Serve.Prepare(_dir.Path, ["--gallery", Gallery, "--dim", $"{Dim}", "--listen", "unix:" + Socket, .. extra]);
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(_log);
        return builder.Build();
    }

    private static (string Sha256, DateTime Modified) Fingerprint(string path) =>
        (Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))), File.GetLastWriteTimeUtc(path));

    private static float[] Vector(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Dim).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    /// <summary>Five people (alice holding two templates), one removed; the probes and what a writable gallery answers.</summary>
    private (float[][] Probes, Match[][] Expected) WriteGallery()
    {
        float[][] probes = [.. Enumerable.Range(100, 4).Select(Vector)];
        using var g = EmbeddingGallery.Open(Gallery, Dim, EmbeddingStorage.F32);
        foreach (var (id, seed) in new[] { ("alice", 1), ("bob", 2), ("carol", 3), ("dave", 4), ("erin", 5), ("alice", 6) })
            g.Enroll(id, Vector(seed));
        g.Remove("dave");
        return (probes, [.. probes.Select(p => g.Search(p, 3))]);
    }

    private static async Task<ProtocolException> RefusedAsync(Func<Task> request, string message)
    {
        ProtocolException e = await Assert.ThrowsAsync<ProtocolException>(request);
        Assert.Equal(Status.Argument, e.Status);
        Assert.Equal(message, e.HostMessage);
        return e;
    }

    [Fact]
    public async Task Serves_a_0444_gallery_refuses_changes_and_leaves_the_file_as_it_was()
    {
        var (probes, expected) = WriteGallery();
        FileModes.Set(Gallery, FileModes.ReadOnly);
        var before = Fingerprint(Gallery);

        using (IHost host = Build("--read-only"))
        {
            await host.StartAsync().WaitAsync(Net.Patience);
            var gallery = host.Services.GetRequiredService<EmbeddingGallery>();
            Assert.True(gallery.IsReadOnly);
            Assert.Equal(Gallery, gallery.Path);
            if (OpenFiles.Supported)
                Assert.Equal([(OpenFiles.Access.ReadOnly, OpenFiles.FlockMode.Shared)], OpenFiles.Of(Gallery).Select(d => (d.Access, d.Flock)));

            await using (var stream = await Net.ConnectAsync(new UnixDomainSocketEndPoint(Socket)))
            using (var client = new ProtocolClient(stream, leaveOpen: true))
            {
                Assert.Equal(new PingResponse(1, Dim, 4, 5, 0), await client.PingAsync());
                for (int i = 0; i < probes.Length; i++)
                    Assert.Equal(expected[i], await client.IdentifyAsync(probes[i], 3));   // bit for bit what the writer answered
                Assert.True((await client.VerifyAsync("alice", Vector(6))).Accepted);

                // The session refuses before the gallery is asked: the protocol's status and message, not the
                // gallery's InvalidOperationException (which would be EL_ERR_INTERNAL).
                await RefusedAsync(() => client.EnrollAsync("mallory", Vector(7)), "ENROLL: refused, this host's gallery is read-only");
                await RefusedAsync(() => client.RemoveAsync("alice"), "REMOVE: refused, this host's gallery is read-only");
                Assert.Equal(new PingResponse(1, Dim, 4, 5, 0), await client.PingAsync());
            }

            // Another read-only reader (a second read-only host) may share the file; a writer may not.
            using (var other = EmbeddingGallery.Open(Gallery, Dim, EmbeddingStorage.F32, readOnly: true))
                Assert.Equal((4, 5), other.Count);
            Assert.Throws<GalleryLockedException>(() => EmbeddingGallery.Open(Gallery, Dim, EmbeddingStorage.F32));

            await host.StopAsync().WaitAsync(Net.Patience);
        }
        Assert.Equal(before, Fingerprint(Gallery));
        Assert.Equal(FileModes.ReadOnly, FileModes.Get(Gallery));
        Assert.DoesNotContain(_log.Lines, l => l.StartsWith("Warning GalleryWarmup", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_torn_tail_is_served_around_and_logged_read_only_and_cut_and_logged_writable()
    {
        var (probes, expected) = WriteGallery();
        File.AppendAllText(Gallery, "torn");                                     // 4 bytes: less than a record header
        FileModes.Set(Gallery, FileModes.ReadOnly);
        var before = Fingerprint(Gallery);
        long length = new FileInfo(Gallery).Length;

        using (IHost host = Build("--read-only"))
        {
            await host.StartAsync().WaitAsync(Net.Patience);
            Assert.Contains($"Warning GalleryWarmup: Gallery {Gallery}: ignoring a torn tail of 4 bytes left by a crash; "
                + "read-only, so it stays in the file until a writable open cuts it", _log.Lines);
            await using (var stream = await Net.ConnectAsync(new UnixDomainSocketEndPoint(Socket)))
            using (var client = new ProtocolClient(stream, leaveOpen: true))
                Assert.Equal(expected[0], await client.IdentifyAsync(probes[0], 3));
            await host.StopAsync().WaitAsync(Net.Patience);
        }
        Assert.Equal(before, Fingerprint(Gallery));

        FileModes.Set(Gallery, FileModes.Writable);
        using (IHost host = Build())
        {
            await host.StartAsync().WaitAsync(Net.Patience);
            Assert.False(host.Services.GetRequiredService<EmbeddingGallery>().IsReadOnly);
            Assert.Contains($"Warning GalleryWarmup: Gallery {Gallery}: cut a torn tail of 4 bytes left by a crash (a write that was never acknowledged)", _log.Lines);
            await host.StopAsync().WaitAsync(Net.Patience);
        }
        Assert.Equal(length - 4, new FileInfo(Gallery).Length);
    }

    [Fact]
    public async Task A_read_only_host_cannot_start_while_a_writer_holds_the_gallery()
    {
        WriteGallery();
        using var writer = EmbeddingGallery.Open(Gallery, Dim, EmbeddingStorage.F32);
        using IHost host = Build("--read-only");
        var e = await Assert.ThrowsAsync<GalleryLockedException>(() => host.StartAsync().WaitAsync(Net.Patience));
        Assert.Equal($"gallery file '{Gallery}' is open elsewhere (another process or another EmbeddingGallery holds its lock)", e.Message);
        Assert.False(File.Exists(Socket), "no transport started");
    }
}
