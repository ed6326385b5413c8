namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): rewrites a byte string so it holds no 0x00, letting a
/// single 0x00 mark the end of each frame on a byte stream. Each block is a code byte c followed by c - 1 data bytes;
/// c &lt; 0xFF means "a zero follows, unless this is the last block", c = 0xFF means "254 data bytes, no zero".
/// The overhead is at most one byte per 254 bytes (one byte for an empty input). These functions never write the
/// 0x00 delimiter itself, and never allocate.
/// </summary>
internal static class Cobs
{
    /// <summary>The longest block: a code of 0xFF carries 254 data bytes.</summary>
    public const int MaxRun = 254;

    /// <summary>The largest encoding of <paramref name="length"/> bytes (delimiter not included).</summary>
    public static int MaxEncodedLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return length == 0 ? 1 : length + (length + MaxRun - 1) / MaxRun;
    }

    /// <summary>
    /// Encodes <paramref name="source"/> into <paramref name="destination"/> (which must hold
    /// <see cref="MaxEncodedLength"/> bytes) and returns the number of bytes written. The output holds no 0x00.
    /// A block ending with a full run of 254 bytes at the end of the input gets no extra empty block, as in the
    /// paper's examples (254 x 0x01..0xFE encodes to 0xFF 0x01..0xFE).
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int needed = MaxEncodedLength(source.Length);
        if (destination.Length < needed)
            throw new ArgumentException($"destination has {destination.Length} bytes, COBS of {source.Length} bytes needs up to {needed}", nameof(destination));

        int read = 0, written = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = source[read..];
            int limit = Math.Min(rest.Length, MaxRun);
            int run = rest[..limit].IndexOf((byte)0);   // vectorized search for the zero ending this block
            bool endsWithZero = run >= 0;
            if (!endsWithZero) run = limit;

            destination[written] = (byte)(run + 1);
            rest[..run].CopyTo(destination.Slice(written + 1, run));
            written += run + 1;
            read += run;

            if (endsWithZero)
            {
                read++;        // the zero is implied by the code; a block always follows it (maybe empty: 0x01)
                continue;
            }
            if (run == MaxRun && read < source.Length)
                continue;      // a full block with more data after it
            return written;
        }
    }

    /// <summary>
    /// Decodes one complete COBS encoding (without its delimiter). Returns false, with <paramref name="written"/> = 0,
    /// when <paramref name="source"/> is not a valid encoding (empty, holds a 0x00, or a code runs past its end) or the
    /// decoded bytes do not fit in <paramref name="destination"/>; the decoded length is never more than the source's.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        if (source.IsEmpty) return false;
        int read = 0, w = 0;
        while (read < source.Length)
        {
            int code = source[read++];
            int run = code - 1;
            if (code == 0 || run > source.Length - read) return false;
            ReadOnlySpan<byte> data = source.Slice(read, run);
            if (data.Contains((byte)0) || run > destination.Length - w) return false;
            data.CopyTo(destination[w..]);
            read += run;
            w += run;
            if (code != 0xFF && read < source.Length)
            {
                if (w == destination.Length) return false;
                destination[w++] = 0;
            }
        }
        written = w;
        return true;
    }
}
