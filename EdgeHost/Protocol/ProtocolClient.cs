using System.Diagnostics;

namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// The client side of the protocol over any byte stream (a serial port's BaseStream, a socket's NetworkStream): sends a
/// request with the next sequence number, reads frames until the reply with that number, and returns it decoded. An
/// ERROR reply throws <see cref="ProtocolException"/> (status + the host's message), no reply within
/// <see cref="Timeout"/> throws <see cref="TimeoutException"/>, a malformed reply throws
/// <see cref="InvalidDataException"/>. Replies with other sequence numbers (late answers to a request that timed out)
/// are skipped. Calls are serialized, so one client may be shared by several tasks.
/// </summary>
internal sealed class ProtocolClient : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly FrameReader _reader = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _frame = new byte[Frame.MaxLength];           // the request being built
    private readonly byte[] _send = new byte[1 + Frame.MaxEncodedLength];  // optional 0x00, then the wire frame
    private readonly byte[] _received = new byte[4096];
    private readonly byte[] _reply = new byte[Frame.MaxBodyLength];        // the body of the matching reply
    private int _receivedStart, _receivedEnd;
    private Task<int>? _pendingRead;   // a read abandoned by a timeout or cancellation, reused by the next call
    private ushort _sequence;
    private bool _flush = true;        // precede the next frame with 0x00: on the first request and after a timeout
    private TimeSpan _timeout = TimeSpan.FromSeconds(5);

    public ProtocolClient(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    /// <summary>How long to wait for a reply (default 5 s; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> waits forever).</summary>
    public TimeSpan Timeout
    {
        get => _timeout;
        set
        {
            if (value <= TimeSpan.Zero && value != System.Threading.Timeout.InfiniteTimeSpan)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Timeout = {value} must be positive or infinite");
            _timeout = value;
        }
    }

    /// <summary>How embeddings are sent (default float32).</summary>
    public EmbeddingEncoding Encoding { get; set; } = EmbeddingEncoding.Float32;

    /// <summary>The sequence number of the last request sent.</summary>
    public ushort LastSequence => _sequence;

    /// <summary>Frames received and dropped on this side (a noisy line shows here).</summary>
    public ProtocolCounters Counters => _reader.Counters;

    /// <summary>Replies skipped because their sequence number was not the awaited one.</summary>
    public long StaleReplies { get; private set; }

    public async Task<PingResponse> PingAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int n = await ExchangeAsync(MessageType.Ping, RequestCodec.EncodeEmpty(Body), cancellationToken).ConfigureAwait(false);
            return ResponseCodec.TryDecode(_reply.AsSpan(0, n), out PingResponse response, out WireError error) ? response : throw Malformed(error);
        }
        finally { _gate.Release(); }
    }

    /// <summary>The best <paramref name="k"/> (1..32) identities for <paramref name="query"/>, score descending.</summary>
    public async Task<Match[]> IdentifyAsync(ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int body = RequestCodec.Encode(new IdentifyRequest(k, query.Span, Encoding), Body);
            int n = await ExchangeAsync(MessageType.Identify, body, cancellationToken).ConfigureAwait(false);
            return ResponseCodec.TryDecode(_reply.AsSpan(0, n), out Match[] matches, out WireError error) ? matches : throw Malformed(error);
        }
        finally { _gate.Release(); }
    }

    public async Task<VerifyResponse> VerifyAsync(string id, ReadOnlyMemory<float> probe, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int body = RequestCodec.Encode(new VerifyRequest(id, probe.Span, Encoding), Body);
            int n = await ExchangeAsync(MessageType.Verify, body, cancellationToken).ConfigureAwait(false);
            return ResponseCodec.TryDecode(_reply.AsSpan(0, n), out VerifyResponse response, out WireError error) ? response : throw Malformed(error);
        }
        finally { _gate.Release(); }
    }

    /// <summary>Adds a template to <paramref name="id"/>; returns the templates it holds now.</summary>
    public async Task<uint> EnrollAsync(string id, ReadOnlyMemory<float> embedding, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int body = RequestCodec.Encode(new EnrollRequest(id, embedding.Span, Encoding), Body);
            int n = await ExchangeAsync(MessageType.Enroll, body, cancellationToken).ConfigureAwait(false);
            return ResponseCodec.TryDecode(_reply.AsSpan(0, n), out EnrollResponse response, out WireError error) ? response.Templates : throw Malformed(error);
        }
        finally { _gate.Release(); }
    }

    /// <summary>Removes every template of <paramref name="id"/>; returns how many.</summary>
    public async Task<uint> RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int body = RequestCodec.Encode(new RemoveRequest(id), Body);
            int n = await ExchangeAsync(MessageType.Remove, body, cancellationToken).ConfigureAwait(false);
            return ResponseCodec.TryDecode(_reply.AsSpan(0, n), out RemoveResponse response, out WireError error) ? response.Removed : throw Malformed(error);
        }
        finally { _gate.Release(); }
    }

    public async Task<StatsResponse> StatsAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int n = await ExchangeAsync(MessageType.Stats, RequestCodec.EncodeEmpty(Body), cancellationToken).ConfigureAwait(false);
            return ResponseCodec.TryDecode(_reply.AsSpan(0, n), out StatsResponse response, out WireError error) ? response : throw Malformed(error);
        }
        finally { _gate.Release(); }
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
        _gate.Dispose();
    }

    private Span<byte> Body => Frame.Body(_frame);

    /// <summary>
    /// Sends the request whose body (<paramref name="bodyLength"/> bytes) is in <see cref="_frame"/>, waits for its
    /// reply and copies the reply's body into <see cref="_reply"/>; returns its length.
    /// </summary>
    private async Task<int> ExchangeAsync(MessageType type, int bodyLength, CancellationToken cancellationToken)
    {
        ushort sequence = ++_sequence;
        int wire = BuildWire(type, sequence, bodyLength);
        await _stream.WriteAsync(_send.AsMemory(0, wire), cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);

        bool infinite = _timeout == System.Threading.Timeout.InfiniteTimeSpan;
        long deadline = infinite ? 0 : Stopwatch.GetTimestamp() + (long)(_timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (TryTakeReply(type, sequence, out int length)) return length;

            TimeSpan left = infinite ? System.Threading.Timeout.InfiniteTimeSpan : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (!infinite && left <= TimeSpan.Zero) throw NoReply(type, sequence);
            // The read is not given the caller's token: streams differ in how they honour it, and a read cancelled
            // half-way could lose bytes. Abandoning the wait (timeout, cancellation) is always safe: the read stays
            // pending and the next call picks up its bytes. A read that failed is dropped with its exception.
            Task<int> read = _pendingRead ??= _stream.ReadAsync(_received, 0, _received.Length, CancellationToken.None);
            int n;
            try { n = await read.WaitAsync(left, cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException) when (!read.IsFaulted) { throw NoReply(type, sequence); }
            catch (Exception) when (read.IsFaulted || read.IsCanceled) { _pendingRead = null; throw; }
            _pendingRead = null;
            if (n == 0)
                throw new EndOfStreamException($"the stream ended before the reply to {MessageTypes.Name(type)} (sequence {sequence})");
            _receivedStart = 0;
            _receivedEnd = n;
        }
    }

    private TimeoutException NoReply(MessageType type, ushort sequence)
    {
        _flush = true;
        return new TimeoutException($"no reply to {MessageTypes.Name(type)} (sequence {sequence}) within {Timeout.TotalSeconds:0.###} s");
    }

    private int BuildWire(MessageType type, ushort sequence, int bodyLength)
    {
        int length = Frame.Seal(_frame, (byte)type, sequence, bodyLength);
        int start = 0;
        if (_flush)
        {
            // An empty frame first: whatever partial frame is in the host's reader (boot noise on a UART, a frame
            // cut by an earlier timeout) ends here instead of swallowing this request.
            _send[start++] = Frame.Delimiter;
            _flush = false;
        }
        return start + Frame.Encode(_frame.AsSpan(0, length), _send.AsSpan(start));
    }

    /// <summary>Feeds the buffered bytes to the reader until the reply to <paramref name="sequence"/> appears.</summary>
    private bool TryTakeReply(MessageType type, ushort sequence, out int length)
    {
        ReadOnlySpan<byte> input = _received.AsSpan(_receivedStart, _receivedEnd - _receivedStart);
        byte expected = MessageTypes.ResponseTo(type);
        while (_reader.TryRead(ref input, out FrameView frame))
        {
            if (frame.Sequence != sequence) { StaleReplies++; continue; }
            _receivedStart = _receivedEnd - input.Length;   // keep what follows for the next call
            if (frame.Version != Frame.ProtocolVersion)
                throw new InvalidDataException($"the reply to {MessageTypes.Name(type)} (sequence {sequence}) has version = {frame.Version}, expected {Frame.ProtocolVersion}");
            if (frame.Type == (byte)MessageType.Error)
            {
                if (!ResponseCodec.TryDecode(frame.Body, out ErrorResponse error, out WireError malformed)) throw Malformed(malformed);
                throw new ProtocolException(error.Status, error.Message);
            }
            if (frame.Type != expected)
                throw new InvalidDataException($"the reply to {MessageTypes.Name(type)} (sequence {sequence}) has type = 0x{frame.Type:X2}, expected 0x{expected:X2}");
            frame.Body.CopyTo(_reply);
            length = frame.Body.Length;
            return true;
        }
        _receivedStart = _receivedEnd = 0;
        length = 0;
        return false;
    }

    private static InvalidDataException Malformed(WireError error) => new($"malformed reply: {error.Message}");
}
