using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.EdgeHost.Transports;

/// <summary>
/// One way bytes reach <c>edgehost</c> (a listening socket or a serial line), run as a hosted service.
/// </summary>
/// <remarks>
/// Start: <see cref="Open"/> runs synchronously, so a transport that cannot start (a port in use, a socket path held
/// by another process) fails the host's start with its message, then <see cref="RunAsync"/> serves in the background.
/// Stop (SIGTERM, Ctrl-C, systemd): stop accepting, cancel the handlers' token so each finishes its request in flight,
/// wait for them until the host's shutdown timeout, then close whatever is left. Disposal releases what
/// <see cref="Open"/> took (a Unix socket file is removed).
/// </remarks>
public abstract partial class Transport : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _running;
    private bool _disposed;

    /// <param name="handler">Serves each connection.</param>
    /// <param name="logger">Where the transport says what it does.</param>
    /// <param name="capacity">The most connections served at once.</param>
    protected Transport(IConnectionHandler handler, ILogger logger, int capacity)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(logger);
        Logger = logger;
        Connections = new ConnectionSet(handler, logger, capacity);
    }

    /// <summary>Where the transport says what it does.</summary>
    protected ILogger Logger { get; }

    internal ConnectionSet Connections { get; }

    /// <summary>How many connections are being served now.</summary>
    public int OpenConnections => Connections.Count;

    /// <summary>What this transport serves, as given on the command line (<c>unix:/run/edgeloss/edgehost.sock</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Takes the transport's resources (binds the socket); throws with a clear message when it cannot.</summary>
    protected abstract void Open();

    /// <summary>Serves until <paramref name="stopping"/> is cancelled, starting connections through <see cref="Connections"/>.</summary>
    protected abstract Task RunAsync(CancellationToken stopping);

    /// <summary>Stops taking new connections (closes the listening socket) so that stopping can begin.</summary>
    protected virtual void StopAccepting() { }

    /// <summary>Releases what <see cref="Open"/> took.</summary>
    protected virtual void Close() { }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Open();
        _running = Task.Run(() => RunGuardedAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task RunGuardedAsync(CancellationToken stopping)
    {
        try
        {
            await RunAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // RunAsync handles what it expects; anything else must still not take the other transports down.
            LogRunFailed(Logger, ex, Name);
        }
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_running is null)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        StopAccepting();
        LogStopping(Logger, Name, Connections.Count);
        try
        {
            // The accept loop ends first, then the handlers, each finishing the request it is serving.
            await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
            await Connections.WhenAllClosedAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shutdown timeout is over: close what is still open.
            Connections.Abort();
            await Task.WhenAny(Connections.WhenAllClosedAsync(), Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
        }
        LogStopped(Logger, Name);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the transport and any connection still open.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
            return;
        _disposed = true;
        _stopping.Cancel();
        StopAccepting();
        Connections.Abort();
        Close();
        // _stopping is not disposed: a connection task may still be unwinding and reading its token.
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping {Transport}: {Open} connection(s) finishing")]
    private static partial void LogStopping(ILogger logger, string transport, int open);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped {Transport}")]
    private static partial void LogStopped(ILogger logger, string transport);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Transport} stopped serving after an unexpected error")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, string transport);
}
