namespace EdgeLoss;

/// <summary>
/// The status codes of the C ABI (<c>EL_OK</c>, <c>EL_ERR_*</c> in c-abi.md) and of the wire protocol's ERROR reply.
/// Every failure of the Runtime surfaces as an exception; <see cref="StatusCodes.From(Exception)"/> is the one place
/// that turns an exception into one of these values, so the C ABI and the host cannot disagree.
/// </summary>
public enum Status
{
    /// <summary><c>EL_OK</c>: success.</summary>
    Ok = 0,
    /// <summary><c>EL_ERR_ARGUMENT</c>: null pointer, size &lt;= 0, label out of range, unknown enum, bad id, dim or storage mismatch.</summary>
    Argument = 1,
    /// <summary><c>EL_ERR_NONFINITE</c>: NaN / infinite input, zero-norm embedding, no finite logit.</summary>
    NonFinite = 2,
    /// <summary><c>EL_ERR_NOT_FOUND</c>: the identity is not in the gallery.</summary>
    NotFound = 3,
    /// <summary><c>EL_ERR_IO</c>: the operating system refused a read, write, fsync or rename.</summary>
    Io = 4,
    /// <summary><c>EL_ERR_CORRUPT</c>: a gallery file is damaged beyond the torn tail a crash can leave.</summary>
    Corrupt = 5,
    /// <summary><c>EL_ERR_CAPACITY</c>: the gallery (or memory) cannot hold more templates.</summary>
    Capacity = 6,
    /// <summary><c>EL_ERR_LOCKED</c>: the gallery file is held open by another process or handle.</summary>
    Locked = 7,
    /// <summary><c>EL_ERR_INTERNAL</c>: anything else (a bug).</summary>
    Internal = 99,
}

/// <summary>Maps exceptions of the Runtime to <see cref="Status"/> codes.</summary>
public static class StatusCodes
{
    /// <summary>
    /// The status for <paramref name="exception"/>. More specific types are tested first: a
    /// <see cref="NonFiniteInputException"/> is an <see cref="ArgumentException"/> but maps to
    /// <see cref="Status.NonFinite"/>; a <see cref="GalleryLockedException"/> is an <see cref="IOException"/> but maps
    /// to <see cref="Status.Locked"/>.
    /// </summary>
    public static Status From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            NonFiniteInputException => Status.NonFinite,
            ArgumentException => Status.Argument,
            KeyNotFoundException => Status.NotFound,                 // IdentityNotFoundException
            GalleryCorruptException => Status.Corrupt,
            GalleryLockedException => Status.Locked,
            GalleryCapacityException or OutOfMemoryException => Status.Capacity,
            IOException or UnauthorizedAccessException => Status.Io,
            ObjectDisposedException => Status.Argument,              // a closed handle passed in again
            _ => Status.Internal,
        };
    }
}
