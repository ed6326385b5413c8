using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// Reads a message body field by field. Every method returns false with a <see cref="WireError"/> naming the
/// message, the field and the value instead of throwing: bodies come from the wire. Success allocates nothing
/// (except the string of an id).
/// </summary>
internal ref struct BodyReader(ReadOnlySpan<byte> body, string what)
{
    private readonly ReadOnlySpan<byte> _body = body;
    private int _read;

    /// <summary>The message's name, prefixing every error (<c>IDENTIFY</c>).</summary>
    public readonly string What => what;

    public readonly ReadOnlySpan<byte> Rest => _body[_read..];

    public bool U8(string field, out byte value, out WireError error)
    {
        value = 0;
        if (!Take(1, field, out ReadOnlySpan<byte> bytes, out error)) return false;
        value = bytes[0];
        return true;
    }

    public bool U16(string field, out ushort value, out WireError error)
    {
        value = 0;
        if (!Take(2, field, out ReadOnlySpan<byte> bytes, out error)) return false;
        value = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        return true;
    }

    public bool U32(string field, out uint value, out WireError error)
    {
        value = 0;
        if (!Take(4, field, out ReadOnlySpan<byte> bytes, out error)) return false;
        value = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        return true;
    }

    public bool U64(string field, out ulong value, out WireError error)
    {
        value = 0;
        if (!Take(8, field, out ReadOnlySpan<byte> bytes, out error)) return false;
        value = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return true;
    }

    public bool F32(string field, out float value, out WireError error)
    {
        value = 0;
        if (!Take(4, field, out ReadOnlySpan<byte> bytes, out error)) return false;
        value = BinaryPrimitives.ReadSingleLittleEndian(bytes);
        return true;
    }

    /// <summary>An id: u8 length (1..63) + that many bytes of valid UTF-8 without NUL.</summary>
    public bool Id(string field, out string id, out WireError error)
    {
        id = "";
        if (Rest.IsEmpty)
            return Fail(Status.Argument, $"body of {MessageTypes.Bytes(_body.Length)} ends before {field} length", out error);
        byte length = _body[_read++];
        if (length is < 1 or > Ids.MaxBytes)
            return Fail(Status.Argument, $"{field} length = {length} is outside [1, {Ids.MaxBytes}]", out error);
        if (length > Rest.Length)
            return Fail(Status.Argument, $"{field} length = {length} but the body has {MessageTypes.Bytes(Rest.Length)} left", out error);
        ReadOnlySpan<byte> bytes = _body.Slice(_read, length);
        if (!Utf8.IsValid(bytes))
            return Fail(Status.Argument, $"{field} = {Convert.ToHexString(bytes)} (hex) is not valid UTF-8", out error);
        int nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
            return Fail(Status.Argument, $"{field} = {Convert.ToHexString(bytes)} (hex) holds a NUL at byte {nul}", out error);
        _read += length;
        id = Encoding.UTF8.GetString(bytes);
        error = default;
        return true;
    }

    /// <summary>An embedding filling the rest of the body, decoded into <paramref name="destination"/> (dim values).</summary>
    public bool Embedding(Span<float> destination, out EmbeddingEncoding encoding, out WireError error)
    {
        bool ok = Embeddings.TryDecode(Rest, destination, what, out encoding, out error);
        _read = _body.Length;
        return ok;
    }

    /// <summary>Fails when bytes are left over: a body must be exactly its fields.</summary>
    public readonly bool End(out WireError error)
    {
        if (_read == _body.Length) { error = default; return true; }
        return Fail(Status.Argument, _read == 0
            ? $"body has {MessageTypes.Bytes(_body.Length)}, expected none"
            : $"{MessageTypes.Bytes(_body.Length - _read)} left over after the last field (body has {_body.Length}, fields end at {_read})", out error);
    }

    public readonly bool Fail(Status status, string message, out WireError error)
    {
        error = new(status, $"{what}: {message}");
        return false;
    }

    private bool Take(int count, string field, out ReadOnlySpan<byte> bytes, out WireError error)
    {
        if (count > _body.Length - _read)
        {
            bytes = default;
            return Fail(Status.Argument, $"body of {MessageTypes.Bytes(_body.Length)} ends before {field}", out error);
        }
        bytes = _body.Slice(_read, count);
        _read += count;
        error = default;
        return true;
    }
}
