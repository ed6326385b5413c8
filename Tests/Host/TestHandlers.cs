using EdgeLoss.EdgeHost.Transports;

namespace EdgeLoss.Tests.Host;

/// <summary>Writes back every chunk it reads until the stream ends or the host stops.</summary>
public class EchoHandler : IConnectionHandler
{
    private int _served;

    /// <summary>How many connections have been handed to this handler.</summary>
    public int Served => Volatile.Read(ref _served);

    public async Task ServeAsync(Stream stream, string peer, CancellationToken cancellationToken)
    {
        int n = Interlocked.Increment(ref _served);
        await OnConnectedAsync(n, peer, cancellationToken);
        byte[] buffer = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await OnRequestAsync(buffer.AsMemory(0, read));
            // The reply is written whatever the token says: a request that was read is answered.
            await stream.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None);
            await stream.FlushAsync(CancellationToken.None);
        }
    }

    /// <summary>Runs when connection number <paramref name="n"/> (1-based) starts.</summary>
    protected virtual Task OnConnectedAsync(int n, string peer, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs between reading a request and writing its reply: the request "in flight".</summary>
    protected virtual Task OnRequestAsync(ReadOnlyMemory<byte> request) => Task.CompletedTask;
}

/// <summary>Echo whose first connection fails with an exception, like a handler with a bug.</summary>
public sealed class FirstConnectionThrowsHandler : EchoHandler
{
    protected override Task OnConnectedAsync(int n, string peer, CancellationToken cancellationToken) =>
        n == 1 ? throw new InvalidOperationException("handler bug on " + peer) : Task.CompletedTask;
}

/// <summary>Echo that holds each request until <see cref="Release"/>: a slow request in flight.</summary>
public sealed class GatedEchoHandler : EchoHandler
{
    private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a request has been read and is being held.</summary>
    public Task RequestReceived => _received.Task;

    public void Release() => _gate.TrySetResult();

    protected override async Task OnRequestAsync(ReadOnlyMemory<byte> request)
    {
        _received.TrySetResult();
        await _gate.Task;
    }
}

/// <summary>Echo that waits until <paramref name="count"/> connections are being served before answering any.</summary>
/// <remarks>Were connections served one after another, none would ever be answered.</remarks>
public sealed class RendezvousEchoHandler(int count) : EchoHandler
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    protected override Task OnConnectedAsync(int n, string peer, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _arrived) == count)
            _all.TrySetResult();
        return _all.Task.WaitAsync(cancellationToken);
    }
}

/// <summary>Ignores the host's token: reads with none, so only closing the stream ends it.</summary>
public sealed class StubbornHandler : IConnectionHandler
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception?> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Started => _started.Task;

    /// <summary>Completes when the handler's read ended: with what failed it, or null for an end of stream.</summary>
    public Task<Exception?> Ended => _ended.Task;

    public async Task ServeAsync(Stream stream, string peer, CancellationToken cancellationToken)
    {
        _started.TrySetResult();
        try
        {
            byte[] buffer = new byte[64];
            while (await stream.ReadAsync(buffer, CancellationToken.None) > 0) { }
            _ended.TrySetResult(null);
        }
        catch (Exception ex)
        {
            _ended.TrySetResult(ex);
            throw;
        }
    }
}
