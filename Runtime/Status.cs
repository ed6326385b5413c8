namespace EdgeLoss;

/// <summary>
/// The status codes of the C ABI (<c>EL_OK</c>, <c>EL_ERR_*</c>) and of the wire protocol's ERROR replies, and the one
/// mapping from the Runtime's exceptions to them.
/// </summary>
public enum Status
{
    /// <summary>Success.</summary>
    Ok = 0,
    /// <summary>A bad argument: null, a size &lt;= 0, a label out of range, an unknown enum value, an id too long.</summary>
    Argument = 1,
    /// <summary>NaN or +inf input, a zero-norm embedding, a row with no finite logit.</summary>
    NonFinite = 2,
    /// <summary>The identity is not in the gallery.</summary>
    NotFound = 3,
    /// <summary>The gallery file could not be read, written or synced.</summary>
    Io = 4,
    /// <summary>The gallery file is damaged beyond a torn tail.</summary>
    Corrupt = 5,
    /// <summary>The gallery cannot hold more templates.</summary>
    Capacity = 6,
    /// <summary>The gallery file is held by another opener.</summary>
    Locked = 7,
    /// <summary>A bug.</summary>
    Internal = 99,
}

/// <summary>Maps exceptions to <see cref="Status"/> and to messages fit to hand to a C host or a wire client.</summary>
public static class StatusMapping
{
    /// <summary>
    /// The status for <paramref name="exception"/>: exceptions that declare their own (<see cref="IStatusException"/>, e.g. a
    /// corrupt or locked gallery file) first, then by type; anything unexpected is <see cref="Status.Internal"/>, a bug.
    /// </summary>
    public static Status From(Exception exception) => exception switch
    {
        null => throw new ArgumentNullException(nameof(exception)),
        IStatusException s => s.Status,
        NonFiniteInputException => Status.NonFinite,
        KeyNotFoundException => Status.NotFound,
        ArgumentException => Status.Argument,
        InvalidDataException or GalleryCorruptException => Status.Corrupt,
        GalleryLockedException => Status.Locked,
        GalleryCapacityException or InsufficientExecutionStackException or OutOfMemoryException => Status.Capacity,
        IOException or UnauthorizedAccessException => Status.Io,
        ObjectDisposedException => Status.Argument, // a closed handle passed in again
        _ => Status.Internal,
    };

    /// <summary>
    /// The text a C host or a wire client gets for <paramref name="exception"/>: its first line, without the framework's
    /// " (Parameter 'x')" suffix (the Runtime's messages already name the argument and the value). An exception that
    /// carries a message meant for users (<see cref="IStatusException.UserMessage"/>) gives that. Unexpected exceptions
    /// keep their type name, since "Object reference not set..." alone says little in a bug report.
    /// </summary>
    public static string Message(Exception exception)
    {
        string message = exception is IStatusException { UserMessage: { } user } ? user : exception.Message;
        int newline = message.AsSpan().IndexOfAny('\r', '\n');
        if (newline >= 0) message = message[..newline];
        if (exception is ArgumentException { ParamName: { Length: > 0 } name })
        {
            string suffix = $" (Parameter '{name}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal)) message = message[..^suffix.Length];
        }
        return From(exception) == Status.Internal ? $"internal error: {exception.GetType().Name}: {message}" : message;
    }

    /// <summary>The C ABI's name of <paramref name="status"/>, e.g. <c>EL_ERR_NOT_FOUND</c>.</summary>
    public static string Name(Status status) => status switch
    {
        Status.Ok => "EL_OK",
        Status.Argument => "EL_ERR_ARGUMENT",
        Status.NonFinite => "EL_ERR_NONFINITE",
        Status.NotFound => "EL_ERR_NOT_FOUND",
        Status.Io => "EL_ERR_IO",
        Status.Corrupt => "EL_ERR_CORRUPT",
        Status.Capacity => "EL_ERR_CAPACITY",
        Status.Locked => "EL_ERR_LOCKED",
        Status.Internal => "EL_ERR_INTERNAL",
        _ => $"status {(int)status}",
    };
}

/// <summary>An exception that carries its own <see cref="Status"/> (e.g. a corrupt or locked gallery file).</summary>
public interface IStatusException
{
    /// <summary>The status a C host or a wire client receives for this exception.</summary>
    Status Status { get; }

    /// <summary>The message for the user, when it differs from <see cref="Exception.Message"/>; null to use that.</summary>
    string? UserMessage => null;
}
