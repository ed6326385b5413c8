using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.EdgeHost.Transports;

/// <summary>
/// Accepts stream connections on a Unix domain socket or a loopback TCP port and serves each one independently.
/// </summary>
public sealed partial class SocketTransport : Transport
{
    private const int Backlog = 16;
    private readonly ListenEndpoint _endpoint;
    private Socket? _listener;
    private EndPoint? _localEndPoint;
    private string _name;
    private bool _ownsSocketFile;

    /// <param name="endpoint">Where to listen.</param>
    /// <param name="handler">Serves each connection.</param>
    /// <param name="logger">Where the transport says what it does.</param>
    /// <param name="capacity">The most connections served at once; more are closed as they arrive.</param>
    public SocketTransport(ListenEndpoint endpoint, IConnectionHandler handler, ILogger<SocketTransport> logger, int capacity)
        : base(handler, logger, capacity)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint is TcpListenEndpoint tcp && !IPAddress.IsLoopback(tcp.Address))
            throw new ArgumentException($"{endpoint} is not a loopback address", nameof(endpoint));
        _endpoint = endpoint;
        _name = endpoint.ToString();
    }

    /// <inheritdoc/>
    public override string Name => _name;

    /// <summary>The address the listener is bound to once started (for TCP port 0, the port the system chose).</summary>
    public EndPoint? LocalEndPoint => _localEndPoint;

    /// <inheritdoc/>
    protected override void Open()
    {
        switch (_endpoint)
        {
            case UnixListenEndpoint unix:
                _listener = BindUnix(unix.Path);
                _ownsSocketFile = true;
                break;
            case TcpListenEndpoint tcp:
                _listener = BindTcp(tcp);
                // With port 0 the name shows the port that clients must use.
                _name = TcpListenEndpoint.Format((IPEndPoint)_listener.LocalEndPoint!);
                break;
            default:
                throw new NotSupportedException($"unknown endpoint {_endpoint}");
        }
        _localEndPoint = _listener.LocalEndPoint;
        LogListening(Logger, _name);
    }

    private Socket BindUnix(string path)
    {
        RemoveStaleSocketFile(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on unix:{path}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// A socket file left by a process that died is removed; one that a running process still listens on is not
    /// (two hosts on one socket would be a mistake to report, not to hide), nor is anything that is not a socket.
    /// </summary>
    private void RemoveStaleSocketFile(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
            return;
        if (Directory.Exists(path) || !IsSocketFile(path))
            throw new IOException($"cannot listen on unix:{path}: the path exists and is not a socket");

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new IOException($"cannot listen on unix:{path}: another process is listening on it");
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: left behind by a process that did not stop cleanly.
            }
        }
        File.Delete(path);
        LogRemovedStale(Logger, path);
    }

    /// <summary>
    /// .NET has no public "is this a socket" test. open(2) on a socket file fails with ENXIO, which is how Linux says
    /// so; a regular file or a device opens, and those must never be deleted to make room for the socket.
    /// </summary>
    private static bool IsSocketFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            return false;
        }
        catch (IOException ex) when (ex.HResult == ENXIO)
        {
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private const int ENXIO = 6;

    private static Socket BindTcp(TcpListenEndpoint tcp)
    {
        var socket = new Socket(tcp.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (tcp.Address.AddressFamily == AddressFamily.InterNetworkV6)
                socket.DualMode = false;
            socket.Bind(new IPEndPoint(tcp.Address, tcp.Port));
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {tcp}: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    protected override async Task RunAsync(CancellationToken stopping)
    {
        Socket listener = _listener!;
        var delay = TimeSpan.Zero;
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(false);
                delay = TimeSpan.Zero;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex)
            {
                // EMFILE and the like: wait a little rather than spin; the listener itself stays usable.
                delay = delay == TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.TicksPerSecond));
                LogAcceptFailed(Logger, ex, Name, delay.TotalMilliseconds);
                await Task.Delay(delay, stopping).ConfigureAwait(false);
                continue;
            }

            if (client.AddressFamily != AddressFamily.Unix)
                client.NoDelay = true; // replies are small frames a client waits for
            string remote = client.RemoteEndPoint is IPEndPoint ip ? TcpListenEndpoint.Format(ip) : "";
            // Not awaited: each connection runs on its own; ConnectionSet keeps track of them for the stop.
            _ = Connections.TryServe(new NetworkStream(client, ownsSocket: true),
                id => remote.Length > 0 ? remote : $"{Name}#{id}", stopping);
        }
    }

    /// <inheritdoc/>
    protected override void StopAccepting()
    {
        _listener?.Dispose();
        RemoveSocketFile();
    }

    /// <inheritdoc/>
    protected override void Close() => RemoveSocketFile();

    private void RemoveSocketFile()
    {
        if (!_ownsSocketFile || _endpoint is not UnixListenEndpoint unix)
            return;
        _ownsSocketFile = false;
        try
        {
            File.Delete(unix.Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRemoveFailed(Logger, unix.Path, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening on {Transport}")]
    private static partial void LogListening(ILogger logger, string transport);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the stale socket file {Path} (no process listened on it)")]
    private static partial void LogRemovedStale(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting on {Transport} failed; retrying in {DelayMs} ms")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception, string transport, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the socket file {Path}: {Reason}")]
    private static partial void LogRemoveFailed(ILogger logger, string path, string reason);
}
