using System.Buffers.Binary;
using System.Text;

namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// Writes a message body field by field into a caller's span (little-endian). The encoders feed it values they own
/// or a client's arguments, so a value that cannot be encoded (an id of 70 bytes) is the caller's mistake and throws
/// <see cref="ArgumentException"/> naming it; running out of room throws too.
/// </summary>
internal ref struct BodyWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;
    private int _written;

    public readonly int Written => _written;

    public void U8(byte value) => Take(1)[0] = value;
    public void U16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Take(2), value);
    public void U32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), value);
    public void U64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);
    public void F32(float value) => BinaryPrimitives.WriteSingleLittleEndian(Take(4), value);

    /// <summary>An id: u8 length + UTF-8 (1..63 bytes, no NUL).</summary>
    public void Id(string id, string name = "id")
    {
        int length = Ids.CheckedByteCount(id, name);
        Span<byte> field = Take(1 + length);
        field[0] = (byte)length;
        Ids.Strict.GetBytes(id, field[1..]);
    }

    /// <summary>An embedding: u8 encoding + data; see <see cref="Embeddings.Encode"/>.</summary>
    public void Embedding(ReadOnlySpan<float> values, EmbeddingEncoding encoding, string name = "embedding")
    {
        Span<byte> field = Take(Embeddings.EncodedLength(values.Length, encoding));
        Embeddings.Encode(values, encoding, field, name);
    }

    /// <summary>Reserves <paramref name="count"/> bytes and returns them for the caller to fill.</summary>
    public Span<byte> Take(int count)
    {
        if (count > _destination.Length - _written)
            throw new ArgumentException($"the body needs {_written + count} bytes, the buffer has {_destination.Length}", "destination");
        Span<byte> field = _destination.Slice(_written, count);
        _written += count;
        return field;
    }
}

/// <summary>Ids on the wire: u8 length + UTF-8 bytes, 1..63 of them, no NUL (the C ABI's ids are C strings).</summary>
internal static class Ids
{
    public const int MaxBytes = 63;

    /// <summary>UTF-8 that throws on unpaired surrogates instead of sending U+FFFD for them.</summary>
    public static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The UTF-8 length of <paramref name="id"/>, after checking it is a valid wire id.</summary>
    public static int CheckedByteCount(string id, string name)
    {
        ArgumentNullException.ThrowIfNull(id, name);
        int length;
        try { length = Strict.GetByteCount(id); }
        catch (EncoderFallbackException) { throw new ArgumentException($"{name} = \"{id}\" is not valid Unicode (unpaired surrogate)", name); }
        if (length is < 1 or > MaxBytes)
            throw new ArgumentException($"{name} = \"{id}\" is {length} bytes of UTF-8, expected 1..{MaxBytes}", name);
        int nul = id.IndexOf('\0');
        if (nul >= 0)
            throw new ArgumentException($"{name} = \"{id.Replace("\0", "\\0")}\" holds a NUL at index {nul}", name);
        return length;
    }
}
