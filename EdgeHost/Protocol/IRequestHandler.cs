namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// What a <see cref="ProtocolSession"/> calls for each well-formed request: typed values, embeddings already decoded
/// to float (not yet normalized: that is the gallery's job). Failures are exceptions, mapped to a status by
/// <see cref="StatusMapping.From"/>: <see cref="ArgumentException"/> -&gt; 1,
/// <see cref="NonFiniteInputException"/> -&gt; 2, <see cref="KeyNotFoundException"/> -&gt; 3,
/// <see cref="IOException"/> -&gt; 4, <see cref="InvalidDataException"/> -&gt; 5, <see cref="ProtocolException"/> -&gt;
/// its own status, anything else -&gt; 99. The exception's message becomes the ERROR message, so it should name the
/// field and the value, e.g. <c>id = "bob" is not enrolled</c>.
/// </summary>
internal interface IRequestHandler
{
    /// <summary>The embedding dimension, fixed for the handler's life: every embedding must have this many values.</summary>
    int Dimension { get; }

    /// <summary>The gallery's counts and storage for PING (the session adds protocol version and dimension).</summary>
    GalleryInfo Ping();

    /// <summary>
    /// Fills <paramref name="results"/> (its length is k, 1..32) with the best identities for
    /// <paramref name="query"/>, score descending, and returns how many it filled (0..k).
    /// </summary>
    int Identify(ReadOnlySpan<float> query, Span<Match> results);

    VerifyResponse Verify(string id, ReadOnlySpan<float> probe);

    /// <summary>Adds a template; returns the templates <paramref name="id"/> holds now.</summary>
    uint Enroll(string id, ReadOnlySpan<float> embedding);

    /// <summary>Removes every template of <paramref name="id"/>; returns how many (throw <see cref="KeyNotFoundException"/> if none).</summary>
    uint Remove(string id);
}

/// <summary>The gallery's part of a PING reply.</summary>
/// <param name="Storage">the C ABI's <c>EL_STORE_F32</c> = 0 or <c>EL_STORE_I8</c> = 1</param>
internal readonly record struct GalleryInfo(uint Identities, uint Templates, byte Storage);
