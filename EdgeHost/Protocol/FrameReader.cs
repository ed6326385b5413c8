namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// Turns a byte stream, fed in chunks of any size as they arrive (a serial port hands over 1 byte or 4000), into
/// checked frames. It decodes COBS as the bytes come, straight into one buffer of <see cref="Frame.MaxLength"/>
/// bytes, so it never holds more than one decoded frame: input that would decode to more is skipped up to the next
/// delimiter and counted, however long it runs. Frames failing COBS, length or CRC are counted and skipped. Empty
/// frames (two delimiters in a row) are ignored without counting: a sender may put a 0x00 before a frame to flush
/// line noise, and it costs nothing. Not thread-safe: one reader per byte stream.
/// </summary>
internal sealed class FrameReader
{
    private readonly byte[] _buffer;
    private int _length;          // decoded bytes of the frame in progress
    private int _remaining;       // data bytes left in the current COBS block; 0 = next byte is a code (or delimiter)
    private bool _pendingZero;    // the current block ends with an implied zero, emitted only if another block follows
    private bool _started;        // at least one byte of this frame has arrived
    private bool _discarding;     // oversized: skip to the next delimiter

    public FrameReader(ProtocolCounters? counters = null, int maxFrameLength = Frame.MaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameLength, Frame.MinLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFrameLength, Frame.MaxLength);
        Counters = counters ?? new ProtocolCounters();
        _buffer = new byte[maxFrameLength];
    }

    public ProtocolCounters Counters { get; }

    /// <summary>True when bytes of an unfinished frame are held (or being skipped).</summary>
    public bool InFrame => _started || _discarding;

    /// <summary>
    /// Consumes <paramref name="input"/> up to and including the delimiter of the next good frame and returns it;
    /// returns false when all input is consumed without completing one (the partial frame is kept for the next call).
    /// The frame's body is valid until the next call. Call in a loop: <c>while (reader.TryRead(ref chunk, out var f))</c>.
    /// </summary>
    public bool TryRead(ref ReadOnlySpan<byte> input, out FrameView frame)
    {
        while (!input.IsEmpty)
        {
            if (_discarding)
            {
                int end = input.IndexOf(Frame.Delimiter);
                if (end < 0) { input = default; break; }
                input = input[(end + 1)..];
                Reset();
                continue;
            }

            if (_remaining == 0)
            {
                byte code = input[0];
                input = input[1..];
                if (code == Frame.Delimiter)
                {
                    if (!_started) continue;                 // empty frame: a flush, not an error
                    FrameCheck check = Frame.TryParse(_buffer.AsSpan(0, _length), out frame);
                    Reset();                                 // the buffer's bytes stay valid until more input arrives
                    if (check == FrameCheck.Ok) { Counters.FrameOk(); return true; }
                    Counters.Dropped(check);
                    continue;
                }
                _started = true;
                if (_pendingZero)
                {
                    if (_length == _buffer.Length) { StartDiscarding(); continue; }
                    _buffer[_length++] = 0;
                }
                _remaining = code - 1;
                _pendingZero = code != 0xFF;
                continue;
            }

            // Inside a block: copy as many data bytes as it has left, in one go. A delimiter among them means the
            // block was cut short (a lost byte, or garbage that looked like a code): a COBS failure.
            ReadOnlySpan<byte> data = input[..Math.Min(_remaining, input.Length)];
            int zero = data.IndexOf(Frame.Delimiter);
            if (zero >= 0)
            {
                input = input[(zero + 1)..];
                Counters.DroppedBadCobs();
                Reset();
                continue;
            }
            if (data.Length > _buffer.Length - _length) { StartDiscarding(); continue; }
            data.CopyTo(_buffer.AsSpan(_length));
            _length += data.Length;
            _remaining -= data.Length;
            input = input[data.Length..];
        }
        frame = default;
        return false;
    }

    private void StartDiscarding()
    {
        Counters.Dropped(FrameCheck.TooLong);
        Reset();
        _discarding = true;
    }

    private void Reset()
    {
        _length = 0;
        _remaining = 0;
        _pendingZero = false;
        _started = false;
        _discarding = false;
    }
}
