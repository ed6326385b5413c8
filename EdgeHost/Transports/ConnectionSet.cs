using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.EdgeHost.Transports;

/// <summary>
/// The open connections of one transport: each served by the <see cref="IConnectionHandler"/> on its own task,
/// at most <see cref="Capacity"/> at once. A connection's failure is logged and ends only that connection.
/// Stopping is two-step: the handlers' token is cancelled (they finish the request in flight and return),
/// <see cref="WhenAllClosedAsync"/> waits for them, and <see cref="Abort"/> closes the streams of any that did not
/// return in time.
/// </summary>
internal sealed partial class ConnectionSet
{
    private readonly IConnectionHandler _handler;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, Connection> _open = new();
    private long _nextId;

    private sealed record Connection(Stream Stream, string Peer, Task Task);

    public ConnectionSet(IConnectionHandler handler, ILogger logger, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _handler = handler;
        _logger = logger;
        Capacity = capacity;
    }

    /// <summary>The most connections served at once; one more is closed at once.</summary>
    public int Capacity { get; }

    /// <summary>How many connections are being served now.</summary>
    public int Count => _open.Count;

    /// <summary>
    /// Serves <paramref name="stream"/> on a new task and returns that task, or returns null and closes the stream
    /// when <see cref="Capacity"/> connections are already open. The task never faults: it completes with null when
    /// the handler returned (or was stopped), else with what ended the connection.
    /// </summary>
    /// <param name="describePeer">Turns the connection's number (1, 2, ... per transport) into its peer name.</param>
    public Task<Exception?>? TryServe(Stream stream, Func<long, string> describePeer, CancellationToken stopping)
    {
        long id = Interlocked.Increment(ref _nextId);
        string peer = describePeer(id);
        if (_open.Count >= Capacity)
        {
            LogRefused(peer, Capacity);
            stream.Dispose();
            return null;
        }

        // The task waits for this gate so that it is in the set before it can remove itself from it.
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<Exception?> task = Task.Run(async () =>
        {
            await registered.Task.ConfigureAwait(false);
            Exception? failure = await ServeOneAsync(stream, peer, stopping).ConfigureAwait(false);
            _open.TryRemove(id, out _);
            return failure;
        }, CancellationToken.None);
        _open[id] = new Connection(stream, peer, task);
        registered.SetResult();
        return task;
    }

    private async Task<Exception?> ServeOneAsync(Stream stream, string peer, CancellationToken stopping)
    {
        LogOpened(peer);
        try
        {
            await _handler.ServeAsync(stream, peer, stopping).ConfigureAwait(false);
            LogClosed(peer);
            return null;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            LogClosed(peer);
            return null;
        }
        catch (Exception ex) when (stopping.IsCancellationRequested && ex is IOException or ObjectDisposedException)
        {
            // Abort closed the stream under a handler that did not return in time.
            LogAborted(peer);
            return null;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The other end went away (a client reset its socket, a serial device disappeared): part of life,
            // not a fault of the handler.
            LogLost(peer, ex.Message);
            return ex;
        }
        catch (Exception ex)
        {
            LogFailed(ex, peer);
            return ex;
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Completes when every connection open now has ended.</summary>
    public Task WhenAllClosedAsync() => Task.WhenAll(_open.Values.Select(c => c.Task));

    /// <summary>Closes the streams of all open connections, so that handlers blocked on them fail and end.</summary>
    public void Abort()
    {
        foreach (Connection connection in _open.Values)
        {
            LogAborting(connection.Peer);
            try
            {
                connection.Stream.Dispose();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Already broken: nothing left to close.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Peer} opened")]
    private partial void LogOpened(string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Peer} closed")]
    private partial void LogClosed(string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Peer} lost: {Reason}")]
    private partial void LogLost(string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Peer} refused: {Capacity} connections are already open")]
    private partial void LogRefused(string peer, int capacity);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection {Peer} failed; the transport goes on serving others")]
    private partial void LogFailed(Exception exception, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Peer} did not finish within the shutdown timeout; closing it")]
    private partial void LogAborting(string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Peer} closed by the shutdown")]
    private partial void LogAborted(string peer);
}
