namespace EdgeLoss;

/// <summary>
/// The identity asked for holds no template in the gallery (<c>EL_ERR_NOT_FOUND</c>). A
/// <see cref="KeyNotFoundException"/>, so code that treats the gallery like a dictionary can catch it as such.
/// </summary>
public sealed class IdentityNotFoundException : KeyNotFoundException
{
    /// <summary>Creates the exception for identity <paramref name="id"/>.</summary>
    public IdentityNotFoundException(string id) : base($"identity \"{id}\" is not in the gallery") => Id = id;

    /// <summary>Creates the exception with no message.</summary>
    public IdentityNotFoundException() { }

    /// <summary>Creates the exception wrapping <paramref name="innerException"/>.</summary>
    public IdentityNotFoundException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The identity that was not found.</summary>
    public string? Id { get; }
}

/// <summary>
/// A gallery file is damaged in a way a crash cannot explain: a bad header, a record that fails its checksum or
/// length check and is followed by more data, or a record whose checksum is good but whose contents are impossible
/// (<c>EL_ERR_CORRUPT</c>). Nothing of such a file is served, and the file is left exactly as it was found.
/// </summary>
public sealed class GalleryCorruptException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> with the damage found at byte <paramref name="offset"/>.</summary>
    public GalleryCorruptException(string path, long offset, string problem)
        : base($"gallery file '{path}' is corrupt at byte {offset}: {problem}")
    {
        Path = path;
        Offset = offset;
    }

    /// <summary>Creates the exception with no message.</summary>
    public GalleryCorruptException() { }

    /// <summary>Creates the exception with a message only.</summary>
    public GalleryCorruptException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping <paramref name="innerException"/>.</summary>
    public GalleryCorruptException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The file.</summary>
    public string? Path { get; }

    /// <summary>Where the damage starts (bytes from the start of the file).</summary>
    public long Offset { get; }
}

/// <summary>
/// The gallery file is already open: by another process, or by another <see cref="EmbeddingGallery"/> of this
/// process (<c>EL_ERR_LOCKED</c>). One writer per file is what keeps the append-only log consistent: a writable open
/// excludes every other open, while read-only opens only exclude writable ones.
/// </summary>
public sealed class GalleryLockedException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public GalleryLockedException(string path, Exception innerException)
        : base($"gallery file '{path}' is open elsewhere (another process or another EmbeddingGallery holds its lock)", innerException)
        => Path = path;

    /// <summary>Creates the exception with no message.</summary>
    public GalleryLockedException() { }

    /// <summary>Creates the exception with a message only.</summary>
    public GalleryLockedException(string message) : base(message) { }

    /// <summary>The file.</summary>
    public string? Path { get; }
}

/// <summary>
/// The gallery cannot hold more templates or identities: its matrix would exceed the largest array .NET allows
/// (<c>EL_ERR_CAPACITY</c>).
/// </summary>
public sealed class GalleryCapacityException : InvalidOperationException
{
    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public GalleryCapacityException(string message) : base(message) { }

    /// <summary>Creates the exception with no message.</summary>
    public GalleryCapacityException() { }

    /// <summary>Creates the exception wrapping <paramref name="innerException"/>.</summary>
    public GalleryCapacityException(string message, Exception innerException) : base(message, innerException) { }
}
