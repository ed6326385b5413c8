namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// A request the host refused: on the client side, an ERROR reply (its status and message); on the host side, what a
/// request handler throws to choose a status no other exception type expresses (e.g. <see cref="Status.Capacity"/>).
/// </summary>
internal sealed class ProtocolException : Exception, IStatusException
{
    public ProtocolException(Status status, string hostMessage)
        : base($"{StatusMapping.Name(status)} ({(int)status}): {hostMessage}")
    {
        Status = status;
        HostMessage = hostMessage;
    }

    /// <summary>The status byte (a C ABI code).</summary>
    public Status Status { get; }

    /// <summary>The message exactly as the ERROR reply carries it (no status prefix).</summary>
    public string HostMessage { get; }

    string? IStatusException.UserMessage => HostMessage;
}
