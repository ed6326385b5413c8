namespace EdgeLoss.EdgeHost.Transports;

/// <summary>
/// Serves one byte-stream connection until it ends or the token is cancelled. The protocol layer implements it.
/// </summary>
/// <remarks>
/// A transport calls <see cref="ServeAsync"/> once per connection (a socket client, or the serial line each time it
/// is opened), each on its own task, so an implementation must be safe to run for many connections at once.
/// When <paramref name="cancellationToken"/> is cancelled the host is stopping: finish the request in flight, then
/// return. The transport owns <paramref name="stream"/> and disposes it after <see cref="ServeAsync"/> returns or
/// throws; an exception is logged and ends only that connection.
/// </remarks>
public interface IConnectionHandler
{
    /// <summary>Reads requests from <paramref name="stream"/> and writes replies to it until it ends or the token is cancelled.</summary>
    /// <param name="stream">The connection's bytes in both directions.</param>
    /// <param name="peer">Who is on the other end, for log messages: <c>serial:/dev/ttyAMA0</c>, <c>unix:/run/edgeloss/edgehost.sock#3</c>, <c>tcp://127.0.0.1:50312</c>.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    Task ServeAsync(Stream stream, string peer, CancellationToken cancellationToken);
}
