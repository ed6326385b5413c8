using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// Embeddings on the wire: u8 encoding + data (float32, float16 or int8, little-endian). Decoding writes floats into
/// the caller's span and stops there: the host normalizes every embedding later (the Runtime's gallery), so int8 is
/// decoded as value / 127, float16 as its exact float value, and only non-finite values are refused here.
/// </summary>
internal static class Embeddings
{
    /// <summary>Bytes of an embedding field (encoding byte + data) of <paramref name="dim"/> values.</summary>
    public static int EncodedLength(int dim, EmbeddingEncoding encoding)
    {
        int size = MessageTypes.BytesPerValue(encoding);
        if (size == 0)
            throw new ArgumentOutOfRangeException(nameof(encoding), encoding, $"encoding = {(byte)encoding} is not 0 (float32), 1 (float16) or 2 (int8)");
        return 1 + dim * size;
    }

    /// <summary>
    /// Writes the encoding byte and the data of <paramref name="values"/>; returns the bytes written. float32 and
    /// float16 send the values as they are (NaN included: judging them is the host's job), but a finite value that
    /// float16 cannot hold (|x| &gt; 65504) throws rather than silently becoming infinity. int8 scales the unit vector
    /// of <paramref name="values"/> to [-127, 127], so it needs a finite, non-zero vector.
    /// </summary>
    public static int Encode(ReadOnlySpan<float> values, EmbeddingEncoding encoding, Span<byte> destination, string name = "embedding")
    {
        int length = EncodedLength(values.Length, encoding);
        if (destination.Length < length)
            throw new ArgumentException($"destination has {destination.Length} bytes, {name} needs {length}", nameof(destination));
        destination[0] = (byte)encoding;
        Span<byte> data = destination[1..length];
        switch (encoding)
        {
            case EmbeddingEncoding.Float32:
                for (int i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(data[(4 * i)..], values[i]);
                break;
            case EmbeddingEncoding.Float16:
                for (int i = 0; i < values.Length; i++)
                {
                    Half h = (Half)values[i];
                    if (Half.IsInfinity(h) && float.IsFinite(values[i]))
                        throw new ArgumentOutOfRangeException(name, values[i], $"{name}[{i}] = {Format(values[i])} is outside the float16 range (|x| <= 65504)");
                    BinaryPrimitives.WriteHalfLittleEndian(data[(2 * i)..], h);
                }
                break;
            default:
                EncodeInt8(values, data, name);
                break;
        }
        return length;
    }

    private static void EncodeInt8(ReadOnlySpan<float> values, Span<byte> data, string name)
    {
        double sumSquares = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new NonFiniteInputException($"{name}[{i}] = {Format(values[i])} is not finite", name);
            sumSquares += (double)values[i] * values[i];
        }
        if (sumSquares == 0)
            throw new NonFiniteInputException($"{name} has norm 0 and cannot be scaled to a unit vector for int8", name);
        double scale = 127 / Math.Sqrt(sumSquares);
        for (int i = 0; i < values.Length; i++)
            data[i] = (byte)(sbyte)Math.Clamp(Math.Round(values[i] * scale, MidpointRounding.AwayFromZero), -127, 127);
    }

    /// <summary>
    /// Decodes an embedding field (encoding byte + data, the rest of a body) of exactly
    /// <c><paramref name="destination"/>.Length</c> values. Fails with <see cref="Status.Argument"/> for an unknown
    /// encoding or a data size that does not match the dimension, and <see cref="Status.NonFinite"/> naming the
    /// first NaN or infinite value. <paramref name="what"/> prefixes the messages (the request's name).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> field, Span<float> destination, string what, out EmbeddingEncoding encoding, out WireError error)
    {
        encoding = default;
        if (field.IsEmpty)
        {
            error = new(Status.Argument, $"{what}: body ends before the embedding encoding");
            return false;
        }
        encoding = (EmbeddingEncoding)field[0];
        int size = MessageTypes.BytesPerValue(encoding);
        if (size == 0)
        {
            error = new(Status.Argument, $"{what}: embedding encoding = {field[0]} is not 0 (float32), 1 (float16) or 2 (int8)");
            return false;
        }
        ReadOnlySpan<byte> data = field[1..];
        int dim = destination.Length;
        if (data.Length != dim * size)
        {
            error = new(Status.Argument,
                $"{what}: embedding has {MessageTypes.Bytes(data.Length)} of {MessageTypes.Name(encoding)} data, expected {dim * size} (dim {dim} x {size})");
            return false;
        }

        // The targets are little-endian (x64, arm64): reinterpret the bytes and convert with TensorPrimitives' vector
        // paths. The per-element loops keep a big-endian machine correct.
        switch (encoding)
        {
            case EmbeddingEncoding.Float32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(data).CopyTo(destination);
                else for (int i = 0; i < dim; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                break;
            case EmbeddingEncoding.Float16:
                if (BitConverter.IsLittleEndian) TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(data), destination);
                else for (int i = 0; i < dim; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
                break;
            default:
                TensorPrimitives.ConvertTruncating<sbyte, float>(MemoryMarshal.Cast<byte, sbyte>(data), destination);
                TensorPrimitives.Divide(destination, 127f, destination);
                error = default;
                return true;   // every int8 value is finite
        }

        // A NaN or infinity makes the sum NaN or infinite, so a finite sum proves every value finite in one
        // vectorized pass; only a non-finite sum (which finite values can also reach, by overflow) needs the scan.
        if (!float.IsFinite(TensorPrimitives.Sum(destination)))
        {
            for (int i = 0; i < dim; i++)
            {
                if (!float.IsFinite(destination[i]))
                {
                    error = new(Status.NonFinite, $"{what}: embedding[{i}] = {Format(destination[i])} is not finite");
                    return false;
                }
            }
        }
        error = default;
        return true;
    }

    internal static string Format(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
