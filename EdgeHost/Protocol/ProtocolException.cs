namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// A request the host refused: on the client side, an ERROR reply (its status and message); on the host side, what a
/// request handler throws to choose a status no other exception type expresses (e.g. <see cref="WireStatus.Capacity"/>).
/// </summary>
internal sealed class ProtocolException : Exception
{
    public ProtocolException(WireStatus status, string hostMessage)
        : base($"{WireStatusMapping.Name(status)} ({(byte)status}): {hostMessage}")
    {
        Status = status;
        HostMessage = hostMessage;
    }

    /// <summary>The status byte (a C ABI code).</summary>
    public WireStatus Status { get; }

    /// <summary>The message exactly as the ERROR reply carries it (no status prefix).</summary>
    public string HostMessage { get; }
}
