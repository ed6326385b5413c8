namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// What STATS reports. Thread-safe (interlocked), so a host serving several connections can give them one shared
/// instance and report totals, or one each. Dropped frames are kept by reason for diagnostics; STATS sends the sum.
/// </summary>
internal sealed class ProtocolCounters
{
    private long _framesOk, _droppedCobs, _droppedShort, _droppedCrc, _droppedOversized, _errorsSent, _repliesIgnored;

    /// <summary>
    /// Frames that passed COBS, length and CRC checks. Each gets exactly one reply (a response or an ERROR), except the
    /// <see cref="RepliesIgnored"/>.
    /// </summary>
    public ulong FramesOk => (ulong)Volatile.Read(ref _framesOk);
    /// <summary>Frames whose COBS encoding was broken (a code running past the delimiter).</summary>
    public ulong DroppedCobs => (ulong)Volatile.Read(ref _droppedCobs);
    /// <summary>Frames shorter than header + CRC (8 bytes).</summary>
    public ulong DroppedShort => (ulong)Volatile.Read(ref _droppedShort);
    /// <summary>Frames whose CRC did not match.</summary>
    public ulong DroppedCrc => (ulong)Volatile.Read(ref _droppedCrc);
    /// <summary>Frames that would decode to more than 8192 bytes, discarded up to the next delimiter.</summary>
    public ulong DroppedOversized => (ulong)Volatile.Read(ref _droppedOversized);
    /// <summary>All frames dropped without a reply.</summary>
    public ulong FramesDropped => DroppedCobs + DroppedShort + DroppedCrc + DroppedOversized;
    /// <summary>ERROR replies sent.</summary>
    public ulong ErrorsSent => (ulong)Volatile.Read(ref _errorsSent);
    /// <summary>Good frames with the response bit set (replies, ERRORs: an echo of our own output) left unanswered.</summary>
    public ulong RepliesIgnored => (ulong)Volatile.Read(ref _repliesIgnored);

    internal void FrameOk() => Interlocked.Increment(ref _framesOk);
    internal void ErrorSent() => Interlocked.Increment(ref _errorsSent);
    internal void ReplyIgnored() => Interlocked.Increment(ref _repliesIgnored);

    internal void Dropped(FrameCheck reason)
    {
        switch (reason)
        {
            case FrameCheck.TooShort: Interlocked.Increment(ref _droppedShort); break;
            case FrameCheck.BadCrc: Interlocked.Increment(ref _droppedCrc); break;
            case FrameCheck.TooLong: Interlocked.Increment(ref _droppedOversized); break;
        }
    }

    internal void DroppedBadCobs() => Interlocked.Increment(ref _droppedCobs);

    public override string ToString() =>
        $"frames ok {FramesOk}, dropped {FramesDropped} (cobs {DroppedCobs}, short {DroppedShort}, crc {DroppedCrc}, oversized {DroppedOversized}), errors sent {ErrorsSent}, replies ignored {RepliesIgnored}";
}
