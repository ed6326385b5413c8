namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// The status byte of an ERROR reply: the C ABI's codes (c-abi.md), so a status means the same thing whether it came
/// back from <c>el_gallery_search</c> or over the wire. Kept in this one file, with the exception mapping below, so it
/// can be unified with the Runtime's status enum later.
/// </summary>
internal enum WireStatus : byte
{
    Ok = 0,
    Argument = 1,
    NonFinite = 2,
    NotFound = 3,
    Io = 4,
    Corrupt = 5,
    Capacity = 6,
    Locked = 7,
    Internal = 99,
}

/// <summary>How an exception thrown while serving a request becomes a status byte and a message.</summary>
internal static class WireStatusMapping
{
    /// <summary>
    /// The status of <paramref name="exception"/>. Order matters: <see cref="NonFiniteInputException"/> is an
    /// <see cref="ArgumentException"/>, and a handler that needs a status without a natural exception type
    /// (<see cref="WireStatus.Capacity"/>, <see cref="WireStatus.Locked"/>) throws <see cref="ProtocolException"/>.
    /// </summary>
    public static WireStatus FromException(Exception exception) => exception switch
    {
        ProtocolException p => p.Status,
        NonFiniteInputException => WireStatus.NonFinite,
        ArgumentException => WireStatus.Argument,
        KeyNotFoundException => WireStatus.NotFound,
        InvalidDataException => WireStatus.Corrupt,
        IOException => WireStatus.Io,
        _ => WireStatus.Internal,
    };

    /// <summary>
    /// The text an ERROR reply carries for <paramref name="exception"/>: its message without the
    /// " (Parameter 'x')" and "Actual value was ..." decorations <see cref="ArgumentException"/> appends (our messages
    /// already name the argument and the value). An unexpected exception also names its type, since its message
    /// alone ("Object reference not set...") says little.
    /// </summary>
    public static string Message(Exception exception)
    {
        string text = exception is ProtocolException p ? p.HostMessage : exception.Message;
        int newline = text.IndexOfAny(['\r', '\n']);
        if (newline >= 0) text = text[..newline];
        if (exception is ArgumentException { ParamName: { Length: > 0 } name })
        {
            string suffix = $" (Parameter '{name}')";
            if (text.EndsWith(suffix, StringComparison.Ordinal)) text = text[..^suffix.Length];
        }
        return FromException(exception) == WireStatus.Internal ? $"{exception.GetType().Name}: {text}" : text;
    }

    /// <summary>The C ABI's name of <paramref name="status"/>, e.g. <c>EL_ERR_NOT_FOUND</c>, for messages.</summary>
    public static string Name(WireStatus status) => status switch
    {
        WireStatus.Ok => "EL_OK",
        WireStatus.Argument => "EL_ERR_ARGUMENT",
        WireStatus.NonFinite => "EL_ERR_NONFINITE",
        WireStatus.NotFound => "EL_ERR_NOT_FOUND",
        WireStatus.Io => "EL_ERR_IO",
        WireStatus.Corrupt => "EL_ERR_CORRUPT",
        WireStatus.Capacity => "EL_ERR_CAPACITY",
        WireStatus.Locked => "EL_ERR_LOCKED",
        WireStatus.Internal => "EL_ERR_INTERNAL",
        _ => $"status {(byte)status}",
    };
}
