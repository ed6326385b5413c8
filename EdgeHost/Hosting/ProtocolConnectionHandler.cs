using EdgeLoss.EdgeHost.Protocol;
using EdgeLoss.EdgeHost.Transports;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>
/// Serves the wire protocol on one connection of any transport: a <see cref="ProtocolSession"/> per connection
/// (its own frame reader), over the one gallery handler, with host-wide counters so that STATS reports the whole
/// service.
/// </summary>
internal sealed partial class ProtocolConnectionHandler(IRequestHandler handler, ProtocolSessionOptions options, ILogger<ProtocolConnectionHandler> logger)
    : IConnectionHandler
{
    public async Task ServeAsync(Stream stream, string peer, CancellationToken cancellationToken)
    {
        var session = new ProtocolSession(handler, options);
        ProtocolCounters counters = session.Counters;
        ulong droppedBefore = counters.FramesDropped, errorsBefore = counters.ErrorsSent;
        LogConnected(peer);
        try
        {
            await session.RunAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            LogDisconnected(peer, counters.FramesDropped - droppedBefore, counters.ErrorsSent - errorsBefore);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Peer}: connected")]
    private partial void LogConnected(string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Peer}: closed; frames dropped {Dropped}, errors sent {Errors} (host-wide counts during the connection)")]
    private partial void LogDisconnected(string peer, ulong dropped, ulong errors);
}
