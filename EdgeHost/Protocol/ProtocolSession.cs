using System.Buffers;

namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>Settings of a <see cref="ProtocolSession"/>.</summary>
internal sealed record ProtocolSessionOptions
{
    /// <summary>Refuse ENROLL and REMOVE with <c>EL_ERR_ARGUMENT</c> (wire-protocol.md: a read-only host).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Counters to report in STATS; share one instance between sessions to report host-wide totals.</summary>
    public ProtocolCounters? Counters { get; init; }
}

/// <summary>
/// The host's side of one byte stream (a serial line, one socket connection), independent of the transport: bytes in,
/// reply frames out. Every frame that passes COBS, length and CRC gets exactly one reply with its sequence number: the
/// response, or an ERROR naming what was wrong; except frames that are replies themselves (type bit 0x80 set), which
/// are counted and never answered. Frames that fail those checks are counted and get nothing. Nothing
/// the peer sends makes it throw; after any garbage, the next good frame is answered. Steady state allocates only the
/// id strings of requests that carry an id. Not thread-safe: one session per stream, its handler may be shared.
/// </summary>
internal sealed class ProtocolSession
{
    private readonly IRequestHandler _handler;
    private readonly bool _readOnly;
    private readonly FrameReader _reader;
    private readonly byte[] _frame = new byte[Frame.MaxLength];   // the reply being built: header, body, CRC
    private readonly float[] _embedding;
    private readonly Match[] _matches = new Match[RequestCodec.MaxK];

    /// <summary>The largest dimension whose float32 VERIFY / ENROLL (u8 + 63-byte id, u8 encoding, 4 dim) fits a frame.</summary>
    public const int MaxDimension = (Frame.MaxBodyLength - (1 + Ids.MaxBytes) - 1) / 4;

    public ProtocolSession(IRequestHandler handler, ProtocolSessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        int dim = handler.Dimension;
        if (dim is < 1 or > MaxDimension)
            throw new ArgumentOutOfRangeException(nameof(handler), dim, $"handler.Dimension = {dim} is outside [1, {MaxDimension}] (a float32 embedding and a 63-byte id must fit one frame)");
        _handler = handler;
        _readOnly = options?.ReadOnly ?? false;
        _reader = new FrameReader(options?.Counters);
        _embedding = new float[dim];
    }

    public ProtocolCounters Counters => _reader.Counters;

    /// <summary>
    /// Consumes <paramref name="input"/> (any chunk of the stream) and appends a reply frame (COBS-encoded, with its
    /// delimiter) to <paramref name="output"/> for every complete good frame in it. A partial frame at the end is kept
    /// for the next call.
    /// </summary>
    public void Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        while (_reader.TryRead(ref input, out FrameView frame))
        {
            // A frame with the response bit (a reply, or ERROR) is never answered: it is our own output echoed back
            // (a tty with echo on, a loopback plug) or another host, and answering it with an ERROR would start an
            // endless exchange of ERRORs. It still counts among the frames ok, and in RepliesIgnored.
            if ((frame.Type & (byte)MessageType.Response) != 0)
            {
                Counters.ReplyIgnored();
                continue;
            }
            int length = Reply(frame);
            Span<byte> wire = output.GetSpan(Frame.MaxEncodedLength);
            output.Advance(Frame.Encode(_frame.AsSpan(0, length), wire));
        }
    }

    /// <summary>
    /// Serves one stream until it ends (a read returns 0) or <paramref name="cancellationToken"/> fires: reads what
    /// arrives, answers, flushes. Read and write errors of the stream propagate; input never makes it throw.
    /// </summary>
    public Task RunAsync(Stream stream, CancellationToken cancellationToken = default) => RunAsync(stream, stream, cancellationToken);

    /// <inheritdoc cref="RunAsync(Stream, CancellationToken)"/>
    public async Task RunAsync(Stream input, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        byte[] received = new byte[4096];
        var replies = new ArrayBufferWriter<byte>(Frame.MaxEncodedLength);
        while (true)
        {
            int n = await input.ReadAsync(received, cancellationToken).ConfigureAwait(false);
            if (n == 0) return;
            Process(received.AsSpan(0, n), replies);
            if (replies.WrittenCount == 0) continue;
            await output.WriteAsync(replies.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            replies.ResetWrittenCount();
        }
    }

    /// <summary>Builds the reply to one good frame in <see cref="_frame"/>; returns its decoded length.</summary>
    private int Reply(FrameView frame)
    {
        Span<byte> body = Frame.Body(_frame);
        int length;
        WireError error;
        try
        {
            if (Serve(frame, body, out length, out error))
                return Frame.Seal(_frame, (byte)(frame.Type | (byte)MessageType.Response), frame.Sequence, length);
        }
        catch (Exception e)
        {
            // The handler refused (or broke): its exception says why, in the C ABI's terms.
            error = new WireError(StatusMapping.From(e), StatusMapping.Message(e));
        }
        length = ResponseCodec.Encode(new ErrorResponse(error.Status, error.Message), body);
        Counters.ErrorSent();
        return Frame.Seal(_frame, (byte)MessageType.Error, frame.Sequence, length);
    }

    /// <summary>Decodes, calls the handler, encodes the response body. False with an error for bad content.</summary>
    private bool Serve(FrameView frame, Span<byte> body, out int length, out WireError error)
    {
        length = 0;
        if (frame.Version != Frame.ProtocolVersion)
        {
            // A good CRC means the peer really sent this: tell it which version we speak instead of going silent.
            error = new(Status.Argument, $"version = {frame.Version} is not supported; this host speaks protocol version {Frame.ProtocolVersion}");
            return false;
        }
        ReadOnlySpan<byte> request = frame.Body;
        switch ((MessageType)frame.Type)
        {
            case MessageType.Ping:
            {
                if (!RequestCodec.TryDecodeEmpty(request, MessageType.Ping, out error)) return false;
                GalleryInfo info = _handler.Ping();
                length = ResponseCodec.Encode(new PingResponse(Frame.ProtocolVersion, (ushort)_embedding.Length, info.Identities, info.Templates, info.Storage), body);
                return true;
            }
            case MessageType.Identify:
            {
                if (!RequestCodec.TryDecode(request, _embedding, out IdentifyRequest identify, out error)) return false;
                Span<Match> matches = _matches.AsSpan(0, identify.K);
                matches.Clear();
                int count = _handler.Identify(identify.Embedding, matches);
                if ((uint)count > (uint)identify.K)
                    throw new InvalidOperationException($"the handler returned count = {count} for k = {identify.K}");
                try { length = ResponseCodec.Encode(matches[..count], body); }
                catch (ArgumentException e)
                {
                    // An id the wire cannot carry is the host's fault, not the request's: EL_ERR_INTERNAL, not ARGUMENT.
                    throw new InvalidOperationException($"the handler's matches cannot be sent: {StatusMapping.Message(e)}", e);
                }
                matches.Clear();   // do not keep id strings alive between requests
                return true;
            }
            case MessageType.Verify:
            {
                if (!RequestCodec.TryDecode(request, _embedding, out VerifyRequest verify, out error)) return false;
                length = ResponseCodec.Encode(_handler.Verify(verify.Id, verify.Embedding), body);
                return true;
            }
            case MessageType.Enroll:
            {
                if (_readOnly) return ReadOnly(MessageType.Enroll, out error);
                if (!RequestCodec.TryDecode(request, _embedding, out EnrollRequest enroll, out error)) return false;
                length = ResponseCodec.Encode(new EnrollResponse(_handler.Enroll(enroll.Id, enroll.Embedding)), body);
                return true;
            }
            case MessageType.Remove:
            {
                if (_readOnly) return ReadOnly(MessageType.Remove, out error);
                if (!RequestCodec.TryDecode(request, out RemoveRequest remove, out error)) return false;
                length = ResponseCodec.Encode(new RemoveResponse(_handler.Remove(remove.Id)), body);
                return true;
            }
            case MessageType.Stats:
            {
                if (!RequestCodec.TryDecodeEmpty(request, MessageType.Stats, out error)) return false;
                // This STATS frame already counts as ok; the errors are those sent before it.
                length = ResponseCodec.Encode(new StatsResponse(Counters.FramesOk, Counters.FramesDropped, Counters.ErrorsSent), body);
                return true;
            }
            default:
                error = new(Status.Argument, $"type = 0x{frame.Type:X2} is not a request type (0x01 PING .. 0x06 STATS)");
                return false;
        }
    }

    private static bool ReadOnly(MessageType type, out WireError error)
    {
        error = new(Status.Argument, $"{MessageTypes.Name(type)}: refused, this host's gallery is read-only");
        return false;
    }
}
