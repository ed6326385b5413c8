using Microsoft.Extensions.Logging;

namespace EdgeLoss.EdgeHost.Transports;

/// <summary>
/// Stands in for the protocol layer in a build that has none: reads and drops every byte of a connection, so that
/// the transports, the configuration and the service's life cycle can run and be watched on their own.
/// </summary>
public sealed partial class DiscardConnectionHandler(ILogger<DiscardConnectionHandler> logger) : IConnectionHandler
{
    /// <inheritdoc/>
    public async Task ServeAsync(Stream stream, string peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        LogNoProtocol(peer);
        byte[] buffer = new byte[512];
        long dropped = 0;
        int read;
        try
        {
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                dropped += read;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        LogDropped(peer, dropped);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Peer}: this build has no protocol layer; its input is read and dropped")]
    private partial void LogNoProtocol(string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Peer}: dropped {Bytes} bytes")]
    private partial void LogDropped(string peer, long bytes);
}
