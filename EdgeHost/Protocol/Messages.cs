namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>The type byte of a frame. A response's type is its request's type | <see cref="Response"/>.</summary>
internal enum MessageType : byte
{
    Ping = 0x01,
    Identify = 0x02,
    Verify = 0x03,
    Enroll = 0x04,
    Remove = 0x05,
    Stats = 0x06,
    /// <summary>The bit that marks a response.</summary>
    Response = 0x80,
    Error = 0xFF,
}

/// <summary>How an embedding's values travel: the byte after which its data follows.</summary>
internal enum EmbeddingEncoding : byte
{
    /// <summary>dim x 4 bytes, IEEE binary32 little-endian.</summary>
    Float32 = 0,
    /// <summary>dim x 2 bytes, IEEE binary16 little-endian (<see cref="Half"/>).</summary>
    Float16 = 1,
    /// <summary>dim bytes: the unit vector scaled by 127 and rounded; decoded as value / 127.</summary>
    Int8 = 2,
}

internal static class MessageTypes
{
    /// <summary>The request types 0x01..0x06.</summary>
    public static bool IsRequest(byte type) => type is >= (byte)MessageType.Ping and <= (byte)MessageType.Stats;

    /// <summary>The response type of <paramref name="request"/>.</summary>
    public static byte ResponseTo(MessageType request) => (byte)((byte)request | (byte)MessageType.Response);

    /// <summary>Upper-case name for messages (<c>IDENTIFY</c>, <c>0x42</c> for an unknown type).</summary>
    public static string Name(byte type) => type switch
    {
        0x01 => "PING",
        0x02 => "IDENTIFY",
        0x03 => "VERIFY",
        0x04 => "ENROLL",
        0x05 => "REMOVE",
        0x06 => "STATS",
        0xFF => "ERROR",
        _ when (type & 0x80) != 0 && IsRequest((byte)(type & 0x7F)) => Name((byte)(type & 0x7F)) + " response",
        _ => $"0x{type:X2}",
    };

    public static string Name(MessageType type) => Name((byte)type);

    public static string Name(EmbeddingEncoding encoding) => encoding switch
    {
        EmbeddingEncoding.Float32 => "float32",
        EmbeddingEncoding.Float16 => "float16",
        EmbeddingEncoding.Int8 => "int8",
        _ => $"encoding {(byte)encoding}",
    };

    /// <summary>"1 byte", "3 bytes": counts in messages.</summary>
    public static string Bytes(int count) => count == 1 ? "1 byte" : $"{count} bytes";

    /// <summary>Bytes per value of <paramref name="encoding"/> (0 for an unknown one).</summary>
    public static int BytesPerValue(EmbeddingEncoding encoding) => encoding switch
    {
        EmbeddingEncoding.Float32 => 4,
        EmbeddingEncoding.Float16 => 2,
        EmbeddingEncoding.Int8 => 1,
        _ => 0,
    };
}

// ---- requests: what a client sends. Embeddings are spans (decoded into a caller's buffer), so these are ref structs.

/// <summary>IDENTIFY: the <see cref="K"/> (1..32) best identities for <see cref="Embedding"/>.</summary>
internal readonly ref struct IdentifyRequest(int k, ReadOnlySpan<float> embedding, EmbeddingEncoding encoding = EmbeddingEncoding.Float32)
{
    public int K { get; } = k;
    public ReadOnlySpan<float> Embedding { get; } = embedding;
    /// <summary>How the embedding travels (as sent, or as received).</summary>
    public EmbeddingEncoding Encoding { get; } = encoding;
}

/// <summary>VERIFY: the score of <see cref="Embedding"/> against identity <see cref="Id"/>.</summary>
internal readonly ref struct VerifyRequest(string id, ReadOnlySpan<float> embedding, EmbeddingEncoding encoding = EmbeddingEncoding.Float32)
{
    public string Id { get; } = id;
    public ReadOnlySpan<float> Embedding { get; } = embedding;
    public EmbeddingEncoding Encoding { get; } = encoding;
}

/// <summary>ENROLL: add <see cref="Embedding"/> as a template of identity <see cref="Id"/>.</summary>
internal readonly ref struct EnrollRequest(string id, ReadOnlySpan<float> embedding, EmbeddingEncoding encoding = EmbeddingEncoding.Float32)
{
    public string Id { get; } = id;
    public ReadOnlySpan<float> Embedding { get; } = embedding;
    public EmbeddingEncoding Encoding { get; } = encoding;
}

/// <summary>REMOVE: every template of identity <see cref="Id"/>.</summary>
internal readonly record struct RemoveRequest(string Id);

// ---- responses: what the host sends back (type | 0x80), and ERROR (0xFF).

/// <summary>PING's reply: what the host is.</summary>
/// <param name="Storage">the gallery's storage, as the C ABI's <c>EL_STORE_F32</c> = 0, <c>EL_STORE_I8</c> = 1</param>
internal readonly record struct PingResponse(ushort ProtocolVersion, ushort Dimension, uint Identities, uint Templates, byte Storage);

/// <summary>One IDENTIFY result: an identity and its best template's score.</summary>

// A match travels as EdgeLoss.Match (the Runtime's: Id, Score), one type from the gallery to the wire.
/// <summary>VERIFY's reply: the score and whether it reached the host's threshold.</summary>
internal readonly record struct VerifyResponse(float Score, bool Accepted);

/// <summary>ENROLL's reply: the templates the identity holds now.</summary>
internal readonly record struct EnrollResponse(uint Templates);

/// <summary>REMOVE's reply: the templates removed.</summary>
internal readonly record struct RemoveResponse(uint Removed);

/// <summary>STATS's reply: the host's <see cref="ProtocolCounters"/>.</summary>
internal readonly record struct StatsResponse(ulong FramesOk, ulong FramesDropped, ulong ErrorsSent);

/// <summary>An ERROR reply (type 0xFF): a C ABI status and a message naming the field and the value.</summary>
internal readonly record struct ErrorResponse(Status Status, string Message);

/// <summary>
/// Why a body could not be decoded, returned (not thrown: bad input is the normal case on a noisy line, and an
/// exception per garbage frame would cost more than the frame) by every decoder.
/// </summary>
internal readonly record struct WireError(Status Status, string Message);
