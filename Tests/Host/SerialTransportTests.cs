using System.Diagnostics;
using System.IO.Ports;
using System.Text.RegularExpressions;
using EdgeLoss.EdgeHost.Transports;

namespace EdgeLoss.Tests.Host;

/// <summary>
/// A pair of connected pseudo-terminals made by socat: what one end writes, the other reads, like two UARTs wired
/// together. Disposing ends socat.
/// </summary>
public sealed partial class PtyPair : IDisposable
{
    private readonly Process _socat;

    private PtyPair(Process socat, string a, string b)
    {
        _socat = socat;
        A = a;
        B = b;
    }

    /// <summary>The device of each end: /dev/pts/N, or the link asked for.</summary>
    public string A { get; }
    public string B { get; }

    public static async Task<PtyPair> StartAsync(string? linkA = null, string? linkB = null)
    {
        var start = new ProcessStartInfo("/usr/bin/socat") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-d", "-d", "pty,raw,echo=0" + Link(linkA), "pty,raw,echo=0" + Link(linkB) })
            start.ArgumentList.Add(arg);
        Process socat = Process.Start(start) ?? throw new InvalidOperationException("socat did not start");
        try
        {
            // socat -d -d says "N PTY is /dev/pts/3" for each end, then "starting data transfer loop" when both are ready.
            var ptys = new List<string>();
            using var timeout = new CancellationTokenSource(Net.Patience);
            while (true)
            {
                string line = await socat.StandardError.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"socat ended before its ptys were ready: {string.Join(", ", ptys)}");
                System.Text.RegularExpressions.Match m = PtyLine().Match(line);
                if (m.Success)
                    ptys.Add(m.Groups[1].Value);
                else if (line.Contains("starting data transfer loop", StringComparison.Ordinal))
                    break;
            }
            Assert.Equal(2, ptys.Count);
            return new PtyPair(socat, linkA ?? ptys[0], linkB ?? ptys[1]);
        }
        catch
        {
            Stop(socat);
            throw;
        }
    }

    private static string Link(string? path) => path is null ? "" : ",link=" + path;

    /// <summary>Ends socat with SIGTERM, as a device going away: it closes both ptys and removes its links.</summary>
    public void Dispose() => Stop(_socat);

    private static void Stop(Process socat)
    {
        try
        {
            if (!socat.HasExited)
            {
                Posix.Terminate(socat.Id);
                if (!socat.WaitForExit(Net.Patience))
                    socat.Kill();
            }
            socat.WaitForExit();
        }
        finally
        {
            socat.Dispose();
        }
    }

    [GeneratedRegex(@"PTY is (/dev/pts/\d+)")]
    private static partial Regex PtyLine();
}

public sealed class SerialTransportTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestLog _log = new();

    public void Dispose() => _dir.Dispose();

    private SerialTransport Create(string device, IConnectionHandler handler) => new(device, 115200, handler, _log.For<SerialTransport>());

    /// <summary>The far end of the line, as the microcontroller would hold it.</summary>
    private static SerialPort OpenPeer(string device)
    {
        var port = new SerialPort(device, 115200, Parity.None, 8, StopBits.One) { Handshake = Handshake.None };
        port.Open();
        return port;
    }

    private static async Task StopAsync(Transport transport)
    {
        using var cts = new CancellationTokenSource(Net.Patience);
        await transport.StopAsync(cts.Token).WaitAsync(Net.Patience);
    }

    [Fact]
    public async Task Bytes_flow_both_ways_through_the_handler_unaltered()
    {
        using PtyPair pty = await PtyPair.StartAsync();
        Assert.Matches(@"^/dev/pts/\d+$", pty.A);
        Assert.Matches(@"^/dev/pts/\d+$", pty.B);

        var handler = new EchoHandler();
        using var transport = Create(pty.A, handler);
        await transport.StartAsync(CancellationToken.None);
        await _log.WhenLogged($"Opened serial:{pty.A} at 115200 baud").WaitAsync(Net.Patience);
        Assert.Equal("serial:" + pty.A, transport.Name);

        using SerialPort peer = OpenPeer(pty.B);
        Assert.Equal(Net.Bytes("hello"), await Net.RoundTripAsync(peer.BaseStream, Net.Bytes("hello")));

        // Every byte value, twice: a raw 8-bit line (no CR/LF translation, no XON/XOFF, no 0x00 dropped), as COBS
        // frames with their 0x00 delimiters need.
        byte[] all = [.. Enumerable.Range(0, 512).Select(i => (byte)i)];
        Assert.Equal(all, await Net.RoundTripAsync(peer.BaseStream, all));
        Assert.Equal(1, transport.OpenCount);
        Assert.Equal(1, handler.Served);

        await StopAsync(transport);
        Assert.Equal(0, transport.OpenConnections);
        Assert.Contains($"Debug SerialTransport: Connection serial:{pty.A} closed", _log.Lines);
    }

    [Fact]
    public async Task The_line_is_opened_again_after_the_device_goes_away()
    {
        string a = _dir.File("ttyA"), b = _dir.File("ttyB");
        var handler = new EchoHandler();
        using var transport = Create(a, handler);
        Task ended;
        using (PtyPair pty = await PtyPair.StartAsync(a, b))
        {
            await transport.StartAsync(CancellationToken.None);
            await _log.WhenLogged($"Opened serial:{a}").WaitAsync(Net.Patience);
            using (SerialPort peer = OpenPeer(b))
                Assert.Equal(Net.Bytes("before"), await Net.RoundTripAsync(peer.BaseStream, Net.Bytes("before")));
            ended = _log.WhenLogged($"SerialTransport: serial:{a} ended (");
        } // socat ends: the device disappears under the transport

        await ended.WaitAsync(Net.Patience);
        Assert.Equal(1, transport.OpenCount);

        using (PtyPair again = await PtyPair.StartAsync(a, b))
        {
            // The transport retries with a growing delay until the device is back.
            await _log.WhenLogged($"Opened serial:{a}", times: 2).WaitAsync(Net.Patience);
            using SerialPort peer = OpenPeer(b);
            Assert.Equal(Net.Bytes("after"), await Net.RoundTripAsync(peer.BaseStream, Net.Bytes("after")));
            Assert.Equal(2, transport.OpenCount);
            Assert.Equal(2, handler.Served);
            await StopAsync(transport);
        }
    }

    [Fact]
    public async Task A_missing_device_is_waited_for_without_failing_the_start()
    {
        string missing = _dir.File("ttyUSB9");
        using var transport = Create(missing, new EchoHandler());
        await transport.StartAsync(CancellationToken.None);
        await _log.WhenLogged($"Warning SerialTransport: Cannot open serial:{missing}: ").WaitAsync(Net.Patience);
        Assert.Contains(_log.Lines, l => l.StartsWith($"Warning SerialTransport: Cannot open serial:{missing}: ", StringComparison.Ordinal)
            && l.EndsWith("; trying again in 0.25 s", StringComparison.Ordinal));
        Assert.Equal(0, transport.OpenCount);
        await StopAsync(transport);
        Assert.Contains($"Information SerialTransport: Stopped serial:{missing}", _log.Lines);
    }

    [Fact]
    public void Refuses_a_baud_rate_that_is_not_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>("baudRate", () => new SerialTransport("/dev/ttyS0", 0, new EchoHandler(), _log.For<SerialTransport>()));
}
