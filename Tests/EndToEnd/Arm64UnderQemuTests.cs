using EdgeLoss.EdgeHost.Hosting;
using EdgeLoss.EdgeHost.Protocol;
using EdgeLoss.Tests.Host;

namespace EdgeLoss.Tests.EndToEnd;

/// <summary>
/// The linux-arm64 binary (what a Raspberry Pi or a Jetson runs) under qemu-user on this x64 machine: it starts,
/// serves a pseudo-terminal and a Unix socket, answers, and stops cleanly. qemu translates every instruction, so the
/// waits are long and the requests few; speed on a real board is not measured here.
/// </summary>
public sealed class Arm64UnderQemuTests : IDisposable
{
    private const int Dim = 8;

    /// <summary>qemu-user starts the binary in one to a few seconds; on a loaded machine, allow far more.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_arm64_binary_answers_over_a_pseudo_terminal_and_a_unix_socket()
    {
        string[] edgehost = PublishedBinary.Command("linux-arm64");
        using PtyPair pty = await PtyPair.StartAsync();
        string gallery = _dir.File("faces.elg"), socket = _dir.File("edgehost.sock");
        using ChildProcess host = ChildProcess.Start(edgehost, "serve", "--gallery", gallery, "--dim", "8", "--storage", "i8",
            "--serial", pty.A, "--listen", "unix:" + socket);
        await host.WaitForLineAsync($"Listening on unix:{socket}", Patience);
        await host.WaitForLineAsync($"Opened serial:{pty.A} at 115200 baud", Patience);

        using var serial = new ProtocolClient(await Connect.OpenAsync("serial:" + pty.B, 115200, CancellationToken.None).WaitAsync(Patience)) { Timeout = Patience };
        using var unix = new ProtocolClient(await Connect.OpenAsync("unix:" + socket, 115200, CancellationToken.None).WaitAsync(Patience)) { Timeout = Patience };
        Assert.Equal(new PingResponse(1, Dim, 0, 0, 1), await serial.PingAsync());

        var rng = new Random(64);
        var model = new GalleryModel();
        float[] alice = GalleryModel.Random(rng, Dim), bob = GalleryModel.Random(rng, Dim), probe = GalleryModel.Near(rng, alice, 0.3);
        Assert.Equal((uint)model.Enroll("alice", alice), await unix.EnrollAsync("alice", alice));
        Assert.Equal((uint)model.Enroll("bob", bob), await unix.EnrollAsync("bob", bob));

        // int8 storage: each template is quantized to 8 bits, so scores match the float model to about 1e-2.
        foreach (ProtocolClient client in new[] { serial, unix })
        {
            EdgeLoss.Match[] top = await client.IdentifyAsync(probe, 2);
            (string Id, double Score)[] expected = model.Identify(probe, 2);
            Assert.Equal(expected.Select(m => m.Id), top.Select(m => m.Id));
            for (int i = 0; i < 2; i++)
                Assert.Equal(expected[i].Score, top[i].Score, 0.02);
        }
        Assert.Equal(new PingResponse(1, Dim, 2, 2, 1), await serial.PingAsync());

        serial.Dispose();
        unix.Dispose();
        Assert.Equal(0, await host.TerminateAsync(Patience));
        Assert.False(File.Exists(socket), "the socket file is removed at stop");
        Assert.Contains("edgehost stopped", host.StandardOutput);
    }
}
