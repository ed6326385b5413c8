using System.Net;
using System.Net.Sockets;
using EdgeLoss.EdgeHost.Transports;

namespace EdgeLoss.Tests.Host;

public sealed class SocketTransportTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestLog _log = new();

    public void Dispose() => _dir.Dispose();

    private SocketTransport Create(ListenEndpoint endpoint, IConnectionHandler handler, int capacity = 64) =>
        new(endpoint, handler, _log.For<SocketTransport>(), capacity);

    private static async Task StopAsync(SocketTransport transport, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Net.Patience);
        await transport.StopAsync(cts.Token).WaitAsync(Net.Patience);
    }

    public static TheoryData<string> Endpoints() => new() { "unix", "tcp4", "tcp6" };

    private ListenEndpoint Endpoint(string kind) => kind switch
    {
        "unix" => new UnixListenEndpoint(_dir.File("s.sock")),
        "tcp4" => new TcpListenEndpoint(IPAddress.Loopback, 0),
        _ => new TcpListenEndpoint(IPAddress.IPv6Loopback, 0),
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Echoes_through_the_handler_and_names_where_it_listens(string kind)
    {
        using var transport = Create(Endpoint(kind), new EchoHandler());
        await transport.StartAsync(CancellationToken.None);

        EndPoint bound = transport.LocalEndPoint!;
        if (kind == "unix")
        {
            Assert.Equal("unix:" + _dir.File("s.sock"), transport.Name);
            Assert.True(File.Exists(_dir.File("s.sock")));
        }
        else
        {
            var ip = Assert.IsType<IPEndPoint>(bound);
            Assert.NotEqual(0, ip.Port); // port 0 asked the system for one; the name shows which
            Assert.Equal(kind == "tcp4" ? $"tcp://127.0.0.1:{ip.Port}" : $"tcp://[::1]:{ip.Port}", transport.Name);
        }
        Assert.Contains($"Information SocketTransport: Listening on {transport.Name}", _log.Lines);

        await using (NetworkStream client = await Net.ConnectAsync(bound))
        {
            Assert.Equal(Net.Bytes("ping 1"), await Net.RoundTripAsync(client, Net.Bytes("ping 1")));
            Assert.Equal(Net.Bytes("second request"), await Net.RoundTripAsync(client, Net.Bytes("second request")));
        }

        await StopAsync(transport);
        if (kind == "unix")
            Assert.False(File.Exists(_dir.File("s.sock")), "the socket file is removed at stop");
        else
            await Assert.ThrowsAsync<SocketException>(() => Net.ConnectAsync(bound));
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Serves_several_connections_at_once(string kind)
    {
        const int Clients = 6;
        // Answers nothing until all six are being served: one-at-a-time serving would never get there.
        using var transport = Create(Endpoint(kind), new RendezvousEchoHandler(Clients));
        await transport.StartAsync(CancellationToken.None);

        var clients = new List<NetworkStream>();
        for (int i = 0; i < Clients; i++)
            clients.Add(await Net.ConnectAsync(transport.LocalEndPoint!));
        byte[][] replies = await Task.WhenAll(clients.Select((c, i) => Net.RoundTripAsync(c, Net.Bytes($"client {i}"))));

        for (int i = 0; i < Clients; i++)
            Assert.Equal($"client {i}", System.Text.Encoding.UTF8.GetString(replies[i]));
        Assert.Equal(Clients, transport.OpenConnections);
        foreach (var c in clients)
            await c.DisposeAsync();
        await StopAsync(transport);
    }

    [Fact]
    public async Task A_handler_that_throws_ends_only_its_connection()
    {
        var handler = new FirstConnectionThrowsHandler();
        using var transport = Create(Endpoint("unix"), handler);
        await transport.StartAsync(CancellationToken.None);

        await using (NetworkStream first = await Net.ConnectAsync(transport.LocalEndPoint!))
        {
            // The failing handler's connection is closed with nothing sent.
            Assert.Equal(0, await Net.ReadToEndAsync(first));
        }
        await _log.WhenLogged("failed; the transport goes on serving others").WaitAsync(Net.Patience);
        Assert.Contains(_log.Lines, l => l.StartsWith("Error SocketTransport: Connection unix:", StringComparison.Ordinal)
            && l.Contains("#1 failed", StringComparison.Ordinal) && l.Contains("[InvalidOperationException: handler bug on unix:", StringComparison.Ordinal));

        await using (NetworkStream second = await Net.ConnectAsync(transport.LocalEndPoint!))
            Assert.Equal(Net.Bytes("still here"), await Net.RoundTripAsync(second, Net.Bytes("still here")));
        Assert.Equal(2, handler.Served);
        await StopAsync(transport);
    }

    [Fact]
    public async Task Connections_beyond_the_capacity_are_closed_at_once_and_the_others_go_on()
    {
        using var transport = Create(Endpoint("tcp4"), new EchoHandler(), capacity: 2);
        await transport.StartAsync(CancellationToken.None);
        await using NetworkStream a = await Net.ConnectAsync(transport.LocalEndPoint!);
        await using NetworkStream b = await Net.ConnectAsync(transport.LocalEndPoint!);
        // Both are being served once they answer.
        Assert.Equal(Net.Bytes("a"), await Net.RoundTripAsync(a, Net.Bytes("a")));
        Assert.Equal(Net.Bytes("b"), await Net.RoundTripAsync(b, Net.Bytes("b")));

        await using (NetworkStream c = await Net.ConnectAsync(transport.LocalEndPoint!))
            Assert.Equal(0, await Net.ReadToEndAsync(c));
        Assert.Contains(_log.Lines, l => l.StartsWith("Warning SocketTransport: Connection tcp://127.0.0.1:", StringComparison.Ordinal)
            && l.EndsWith("refused: 2 connections are already open", StringComparison.Ordinal));

        Assert.Equal(Net.Bytes("a again"), await Net.RoundTripAsync(a, Net.Bytes("a again")));
        await StopAsync(transport);
    }

    [Fact]
    public async Task Stop_lets_the_request_in_flight_finish_then_closes()
    {
        var handler = new GatedEchoHandler();
        using var transport = Create(Endpoint("unix"), handler);
        await transport.StartAsync(CancellationToken.None);
        await using NetworkStream client = await Net.ConnectAsync(transport.LocalEndPoint!);
        Task<byte[]> reply = Net.RoundTripAsync(client, Net.Bytes("slow request"));
        await handler.RequestReceived.WaitAsync(Net.Patience);

        Task stop = transport.StopAsync(new CancellationTokenSource(Net.Patience).Token);
        // Stopping has begun: no new connections, but the request in flight holds the stop.
        await _log.WhenLogged("Stopping unix:").WaitAsync(Net.Patience);
        Assert.False(File.Exists(_dir.File("s.sock")));
        Assert.False(stop.IsCompleted);
        Assert.False(reply.IsCompleted);

        handler.Release();
        Assert.Equal(Net.Bytes("slow request"), await reply);
        await stop.WaitAsync(Net.Patience);
        // Then the connection is closed from our side: the handler saw the stop and returned.
        Assert.Equal(0, await Net.ReadToEndAsync(client));
        Assert.Equal(0, transport.OpenConnections);
        Assert.Contains(_log.Lines, l => l.StartsWith("Debug SocketTransport: Connection unix:", StringComparison.Ordinal) && l.EndsWith("#1 closed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stop_closes_a_handler_that_ignores_it_when_the_shutdown_timeout_is_over()
    {
        var handler = new StubbornHandler();
        using var transport = Create(Endpoint("tcp4"), handler);
        await transport.StartAsync(CancellationToken.None);
        await using NetworkStream client = await Net.ConnectAsync(transport.LocalEndPoint!);
        await handler.Started.WaitAsync(Net.Patience);

        await StopAsync(transport, timeout: TimeSpan.FromMilliseconds(200));

        // Its stream was closed under it, which ended its read (with an error or as an end of stream, as the
        // race between the close and the pending receive goes), and the client sees the end.
        await handler.Ended.WaitAsync(Net.Patience);
        Assert.Equal(0, await Net.ReadToEndAsync(client));
        Assert.Contains(_log.Lines, l => l.StartsWith("Warning SocketTransport: Connection tcp://127.0.0.1:", StringComparison.Ordinal)
            && l.EndsWith("did not finish within the shutdown timeout; closing it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stale_socket_file_is_replaced()
    {
        string path = _dir.File("s.sock");
        LeaveStaleSocket(path);
        Assert.True(File.Exists(path));

        using var transport = Create(new UnixListenEndpoint(path), new EchoHandler());
        await transport.StartAsync(CancellationToken.None);
        Assert.Contains($"Information SocketTransport: Removed the stale socket file {path} (no process listened on it)", _log.Lines);
        await using (NetworkStream client = await Net.ConnectAsync(transport.LocalEndPoint!))
            Assert.Equal(Net.Bytes("x"), await Net.RoundTripAsync(client, Net.Bytes("x")));
        await StopAsync(transport);
    }

    [Fact]
    public async Task A_socket_another_process_listens_on_is_left_alone()
    {
        string path = _dir.File("s.sock");
        using var other = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        other.Bind(new UnixDomainSocketEndPoint(path));
        other.Listen();

        using var transport = Create(new UnixListenEndpoint(path), new EchoHandler());
        var ex = await Assert.ThrowsAsync<IOException>(() => transport.StartAsync(CancellationToken.None));
        Assert.Equal($"cannot listen on unix:{path}: another process is listening on it", ex.Message);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task A_file_that_is_not_a_socket_is_never_deleted()
    {
        string path = _dir.File("gallery.elg");
        File.WriteAllText(path, "precious");

        using var transport = Create(new UnixListenEndpoint(path), new EchoHandler());
        var ex = await Assert.ThrowsAsync<IOException>(() => transport.StartAsync(CancellationToken.None));
        Assert.Equal($"cannot listen on unix:{path}: the path exists and is not a socket", ex.Message);
        transport.Dispose();
        Assert.Equal("precious", File.ReadAllText(path));
    }

    [Fact]
    public async Task A_port_in_use_fails_the_start_with_its_address()
    {
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        other.Listen();
        int port = ((IPEndPoint)other.LocalEndPoint!).Port;

        using var transport = Create(new TcpListenEndpoint(IPAddress.Loopback, port), new EchoHandler());
        var ex = await Assert.ThrowsAsync<IOException>(() => transport.StartAsync(CancellationToken.None));
        Assert.StartsWith($"cannot listen on tcp://127.0.0.1:{port}: ", ex.Message);
    }

    [Fact]
    public void Refuses_a_tcp_endpoint_that_is_not_loopback() =>
        Assert.Throws<ArgumentException>("endpoint", () => Create(new TcpListenEndpoint(IPAddress.Any, 0), new EchoHandler()));

    /// <summary>A socket file whose process is gone: bound by a child process that exits without removing it.</summary>
    private static void LeaveStaleSocket(string path)
    {
        using var python = System.Diagnostics.Process.Start("/usr/bin/python3",
            ["-c", "import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])", path])!;
        Assert.True(python.WaitForExit(Net.Patience), "python3 did not exit");
        Assert.Equal(0, python.ExitCode);
    }
}
