using System.Buffers.Binary;
using System.IO.Hashing;

namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// The decoded frame layout of protocol version 1 (wire-protocol.md), little-endian:
/// <c>version(1) type(1) sequence(2) body(n) crc32(4)</c>, the CRC (IEEE 802.3, <see cref="Crc32"/>) covering bytes
/// [0, 4 + n). On the wire each frame is COBS-encoded and followed by one 0x00.
/// </summary>
internal static class Frame
{
    /// <summary>The protocol version this code speaks, and writes into every frame.</summary>
    public const byte ProtocolVersion = 1;
    /// <summary>The largest decoded frame (header, body and CRC).</summary>
    public const int MaxLength = 8192;
    public const int HeaderLength = 4;
    public const int CrcLength = 4;
    /// <summary>A frame with an empty body: header and CRC.</summary>
    public const int MinLength = HeaderLength + CrcLength;
    public const int MaxBodyLength = MaxLength - MinLength;
    /// <summary>The frame delimiter on the wire.</summary>
    public const byte Delimiter = 0x00;

    /// <summary>The largest frame on the wire: COBS of <see cref="MaxLength"/> bytes plus the delimiter.</summary>
    public static int MaxEncodedLength { get; } = Cobs.MaxEncodedLength(MaxLength) + 1;

    /// <summary>The body area of a frame buffer: where a message encoder writes before <see cref="Seal"/>.</summary>
    public static Span<byte> Body(Span<byte> frame) => frame.Slice(HeaderLength, Math.Min(frame.Length - MinLength, MaxBodyLength));

    /// <summary>
    /// Completes a frame whose body (<paramref name="bodyLength"/> bytes) is already in place at offset 4 of
    /// <paramref name="frame"/>: writes the header in front and the CRC behind. Returns the frame's length.
    /// </summary>
    public static int Seal(Span<byte> frame, byte type, ushort sequence, int bodyLength, byte version = ProtocolVersion)
    {
        if ((uint)bodyLength > MaxBodyLength || frame.Length < MinLength + bodyLength)
            throw new ArgumentOutOfRangeException(nameof(bodyLength), bodyLength, $"bodyLength = {bodyLength} does not fit a frame of at most {MaxLength} bytes in a buffer of {frame.Length}");
        frame[0] = version;
        frame[1] = type;
        BinaryPrimitives.WriteUInt16LittleEndian(frame[2..], sequence);
        int crcAt = HeaderLength + bodyLength;
        BinaryPrimitives.WriteUInt32LittleEndian(frame[crcAt..], Crc32.HashToUInt32(frame[..crcAt]));
        return crcAt + CrcLength;
    }

    /// <summary>COBS-encodes a complete frame and appends the delimiter; returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> frame, Span<byte> destination)
    {
        int n = Cobs.Encode(frame, destination);
        if (n >= destination.Length)
            throw new ArgumentException($"destination has {destination.Length} bytes, no room for the delimiter", nameof(destination));
        destination[n] = Delimiter;
        return n + 1;
    }

    /// <summary>
    /// Builds a whole wire frame from its parts (header, <paramref name="body"/>, CRC, COBS, delimiter) into
    /// <paramref name="destination"/>, using <paramref name="scratch"/> (at least 8 + body bytes) for the decoded
    /// frame. For clients and tests; the host's session seals bodies in place instead of copying them.
    /// </summary>
    public static int Write(byte type, ushort sequence, ReadOnlySpan<byte> body, Span<byte> scratch, Span<byte> destination, byte version = ProtocolVersion)
    {
        if (body.Length > MaxBodyLength)
            throw new ArgumentOutOfRangeException(nameof(body), body.Length, $"body has {body.Length} bytes, a frame holds at most {MaxBodyLength}");
        body.CopyTo(scratch[HeaderLength..]);
        int length = Seal(scratch, type, sequence, body.Length, version);
        return Encode(scratch[..length], destination);
    }

    /// <summary>Allocating convenience for tests and tools: the wire bytes of one frame.</summary>
    public static byte[] ToArray(byte type, ushort sequence, ReadOnlySpan<byte> body, byte version = ProtocolVersion)
    {
        byte[] scratch = new byte[MinLength + body.Length];
        byte[] wire = new byte[Cobs.MaxEncodedLength(scratch.Length) + 1];
        int n = Write(type, sequence, body, scratch, wire, version);
        return wire.AsSpan(0, n).ToArray();
    }

    /// <summary>Checks the length and the CRC of a decoded frame and splits it into its fields.</summary>
    public static FrameCheck TryParse(ReadOnlySpan<byte> frame, out FrameView view)
    {
        view = default;
        if (frame.Length < MinLength) return FrameCheck.TooShort;
        if (frame.Length > MaxLength) return FrameCheck.TooLong;
        int crcAt = frame.Length - CrcLength;
        if (BinaryPrimitives.ReadUInt32LittleEndian(frame[crcAt..]) != Crc32.HashToUInt32(frame[..crcAt]))
            return FrameCheck.BadCrc;
        view = new FrameView(frame[0], frame[1], BinaryPrimitives.ReadUInt16LittleEndian(frame[2..]), frame[HeaderLength..crcAt]);
        return FrameCheck.Ok;
    }
}

/// <summary>Why a decoded frame was accepted or dropped.</summary>
internal enum FrameCheck
{
    Ok,
    TooShort,
    TooLong,
    BadCrc,
}

/// <summary>
/// A frame that passed COBS, length and CRC checks. <see cref="Body"/> points into the reader's buffer and is valid
/// until the reader is next called. The version is not checked here: a good-CRC frame of another version deserves an
/// ERROR reply, which is the session's business.
/// </summary>
internal readonly ref struct FrameView(byte version, byte type, ushort sequence, ReadOnlySpan<byte> body)
{
    public byte Version { get; } = version;
    public byte Type { get; } = type;
    public ushort Sequence { get; } = sequence;
    public ReadOnlySpan<byte> Body { get; } = body;
}
