using EdgeLoss.EdgeHost.Protocol;
using static EdgeLoss.Tests.Protocol.WireKit;

namespace EdgeLoss.Tests.Protocol;

public class SessionTests
{
    private static readonly float[] Alice = [1f, 0f, 0f, 0f];
    private static readonly float[] Bob = [0f, 1f, 0f, 0f];

    private static byte[] Body(Func<byte[], int> encode)
    {
        byte[] body = new byte[Frame.MaxBodyLength];
        return body.AsSpan(0, encode(body)).ToArray();
    }

    [Fact]
    public void Serves_every_request_type_with_its_response()
    {
        var gallery = new FakeGallery();
        var session = new ProtocolSession(gallery);

        Received enroll = Single(session, MessageType.Enroll, 1, Body(b => RequestCodec.Encode(new EnrollRequest("alice", Alice), b)));
        Assert.Equal(0x84, enroll.Type);
        Assert.True(ResponseCodec.TryDecode(enroll.Body, out EnrollResponse enrolled, out _));
        Assert.Equal(1u, enrolled.Templates);
        Single(session, MessageType.Enroll, 2, Body(b => RequestCodec.Encode(new EnrollRequest("alice", [0.9f, 0.1f, 0f, 0f], EmbeddingEncoding.Float16), b)));
        Single(session, MessageType.Enroll, 3, Body(b => RequestCodec.Encode(new EnrollRequest("bob", Bob, EmbeddingEncoding.Int8), b)));
        Assert.Equal("bob", gallery.LastId);
        Assert.Equal(new[] { 0f, 1f, 0f, 0f }, gallery.LastEmbedding);   // int8 127 decodes to exactly 1

        Received ping = Single(session, MessageType.Ping, 4, []);
        Assert.Equal(0x81, ping.Type);
        Assert.True(ResponseCodec.TryDecode(ping.Body, out PingResponse pong, out _));
        Assert.Equal(new PingResponse(1, 4, 2, 3, 0), pong);

        Received identify = Single(session, MessageType.Identify, 5, Body(b => RequestCodec.Encode(new IdentifyRequest(5, [0.8f, 0.6f, 0f, 0f]), b)));
        Assert.Equal(0x82, identify.Type);
        Assert.True(ResponseCodec.TryDecode(identify.Body, out Match[] matches, out _));
        Assert.Equal(new[] { "alice", "bob" }, matches.Select(m => m.Id));
        // Alice's second template wins; it travelled as float16, so 0.9 and 0.1 arrived rounded.
        double h9 = (double)(Half)0.9f, h1 = (double)(Half)0.1f;
        Assert.Equal((0.8 * h9 + 0.6 * h1) / Math.Sqrt(h9 * h9 + h1 * h1), matches[0].Score, 5);
        Assert.Equal(0.6f, matches[1].Score, 6);

        Received verify = Single(session, MessageType.Verify, 6, Body(b => RequestCodec.Encode(new VerifyRequest("bob", [0.8f, 0.6f, 0f, 0f]), b)));
        Assert.Equal(0x83, verify.Type);
        Assert.True(ResponseCodec.TryDecode(verify.Body, out VerifyResponse verdict, out _));
        Assert.Equal(0.6f, verdict.Score, 6);
        Assert.True(verdict.Accepted);

        Received remove = Single(session, MessageType.Remove, 7, Body(b => RequestCodec.Encode(new RemoveRequest("alice"), b)));
        Assert.Equal(0x85, remove.Type);
        Assert.True(ResponseCodec.TryDecode(remove.Body, out RemoveResponse removed, out _));
        Assert.Equal(2u, removed.Removed);

        Received stats = Single(session, MessageType.Stats, 8, []);
        Assert.Equal(0x86, stats.Type);
        Assert.True(ResponseCodec.TryDecode(stats.Body, out StatsResponse counters, out _));
        Assert.Equal(new StatsResponse(8, 0, 0), counters);   // this STATS frame counts itself
    }

    [Fact]
    public void Stats_counts_good_frames_dropped_frames_and_errors()
    {
        var session = new ProtocolSession(new FakeGallery());
        byte[] wire =
        [
            .. Request(MessageType.Ping, 1, []),
            .. Hex("02 11 00"),                                      // too short: dropped
            .. Hex("05 11 00"),                                      // COBS: dropped
            .. Request(0x42, 2, []),                                 // unknown type: ERROR
            .. Request(MessageType.Remove, 3, Bytes(3, "eve")),      // not enrolled: ERROR
            .. Request(MessageType.Stats, 4, []),
        ];
        List<Received> replies = Exchange(session, wire);
        Assert.Equal(new ushort[] { 1, 2, 3, 4 }, replies.Select(r => r.Sequence));
        Assert.True(ResponseCodec.TryDecode(replies[^1].Body, out StatsResponse stats, out _));
        Assert.Equal(new StatsResponse(4, 2, 2), stats);
        Assert.Equal(1ul, session.Counters.DroppedShort);
        Assert.Equal(1ul, session.Counters.DroppedCobs);
    }

    [Fact]
    public void Replies_arriving_at_the_host_are_counted_and_never_answered()
    {
        // A tty with echo on hands the host its own output. Answering a reply with an ERROR would be echoed, answered,
        // echoed... forever; so frames with the response bit are left unanswered, whatever their content or version.
        var session = new ProtocolSession(new FakeGallery());
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        session.Process([.. Request(MessageType.Ping, 1, []), .. Request(0x42, 2, [])], output);
        byte[] ownOutput = output.WrittenSpan.ToArray();                 // a PING response and an ERROR
        Assert.Equal(2, ReadAll(ownOutput).Count);

        byte[] echoes = [.. ownOutput, .. Request(0x86, 3, [1, 2, 3]), .. Request(0xFF, 4, [], version: 9), .. Request(0x80, 5, [])];
        Assert.Empty(Exchange(session, echoes));
        Assert.Equal(5ul, session.Counters.RepliesIgnored);
        Assert.Equal(7ul, session.Counters.FramesOk);
        Assert.Equal(1ul, session.Counters.ErrorsSent);

        Assert.Equal(0x81, Single(session, MessageType.Ping, 6, []).Type);   // requests are still served
    }

    /// <summary>A handler that allocates nothing: its matches reuse two fixed ids.</summary>
    private sealed class StaticHandler : IRequestHandler
    {
        public int Dimension => 64;
        public GalleryInfo Ping() => new(2, 2, 0);
        public int Identify(ReadOnlySpan<float> query, Span<Match> results)
        {
            results[0] = new Match("alice", query[0]);
            if (results.Length > 1) results[1] = new Match("bob", query[1]);
            return Math.Min(results.Length, 2);
        }
        public VerifyResponse Verify(string id, ReadOnlySpan<float> probe) => new(probe[0], true);
        public uint Enroll(string id, ReadOnlySpan<float> embedding) => 1;
        public uint Remove(string id) => 1;
    }

    [Fact]
    public void Steady_state_ping_identify_and_stats_allocate_nothing()
    {
        var session = new ProtocolSession(new StaticHandler());
        float[] query = Enumerable.Range(0, 64).Select(i => i / 64f).ToArray();
        byte[] input =
        [
            .. Request(MessageType.Ping, 1, []),
            .. Request(MessageType.Identify, 2, Body(b => RequestCodec.Encode(new IdentifyRequest(5, query), b))),
            .. Request(MessageType.Identify, 3, Body(b => RequestCodec.Encode(new IdentifyRequest(1, query, EmbeddingEncoding.Float16), b))),
            .. Request(MessageType.Identify, 4, Body(b => RequestCodec.Encode(new IdentifyRequest(32, query, EmbeddingEncoding.Int8), b))),
            .. Request(MessageType.Stats, 5, []),
            .. Hex("05 01 02 03 04 00"),                                   // and a dropped frame
        ];
        var output = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
        for (int i = 0; i < 3; i++) { session.Process(input, output); output.ResetWrittenCount(); }   // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            // In chunks, as a transport delivers them.
            for (int at = 0; at < input.Length; at += 61)
                session.Process(input.AsSpan(at, Math.Min(61, input.Length - at)), output);
            output.ResetWrittenCount();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(203ul * 5, session.Counters.FramesOk);
        Assert.Equal(203ul, session.Counters.FramesDropped);
    }

    [Fact]
    public void Sessions_sharing_counters_report_host_wide_totals()
    {
        var counters = new ProtocolCounters();
        var gallery = new FakeGallery();
        var a = new ProtocolSession(gallery, new ProtocolSessionOptions { Counters = counters });
        var b = new ProtocolSession(gallery, new ProtocolSessionOptions { Counters = counters });
        Single(a, MessageType.Ping, 1, []);
        Single(b, MessageType.Ping, 1, []);
        Received stats = Single(a, MessageType.Stats, 2, []);
        Assert.True(ResponseCodec.TryDecode(stats.Body, out StatsResponse s, out _));
        Assert.Equal(3ul, s.FramesOk);
    }

    // Each malformed field: (type, body hex, version, status, message). Dimension 4.
    public static TheoryData<byte, string, byte, byte, string> Malformed => new()
    {
        { 0x42, "", 1, 1, "type = 0x42 is not a request type (0x01 PING .. 0x06 STATS)" },
        { 0x00, "", 1, 1, "type = 0x00 is not a request type (0x01 PING .. 0x06 STATS)" },
        { 0x7F, "", 1, 1, "type = 0x7F is not a request type (0x01 PING .. 0x06 STATS)" },
        { 0x01, "", 2, 1, "version = 2 is not supported; this host speaks protocol version 1" },
        { 0x01, "", 0, 1, "version = 0 is not supported; this host speaks protocol version 1" },
        { 0x01, "00", 1, 1, "PING: body has 1 byte, expected none" },
        { 0x06, "01 02", 1, 1, "STATS: body has 2 bytes, expected none" },
        { 0x02, "", 1, 1, "IDENTIFY: body of 0 bytes ends before k" },
        { 0x02, "00 00 00000000 00000000 00000000 00000000", 1, 1, "IDENTIFY: k = 0 is outside [1, 32]" },
        { 0x02, "21 00 00000000 00000000 00000000 00000000", 1, 1, "IDENTIFY: k = 33 is outside [1, 32]" },
        { 0x02, "05", 1, 1, "IDENTIFY: body ends before the embedding encoding" },
        { 0x02, "05 03 00000000", 1, 1, "IDENTIFY: embedding encoding = 3 is not 0 (float32), 1 (float16) or 2 (int8)" },
        { 0x02, "05 00 00000000 00000000 00000000", 1, 1, "IDENTIFY: embedding has 12 bytes of float32 data, expected 16 (dim 4 x 4)" },
        { 0x02, "05 00 00000000 00000000 00000000 00000000 00", 1, 1, "IDENTIFY: embedding has 17 bytes of float32 data, expected 16 (dim 4 x 4)" },
        { 0x02, "05 01 0000 0000 0000", 1, 1, "IDENTIFY: embedding has 6 bytes of float16 data, expected 8 (dim 4 x 2)" },
        { 0x02, "05 02 7f", 1, 1, "IDENTIFY: embedding has 1 byte of int8 data, expected 4 (dim 4 x 1)" },
        { 0x02, "05 00 0000803f 00000000 0000c07f 00000000", 1, 2, "IDENTIFY: embedding[2] = NaN is not finite" },
        { 0x02, "05 01 003c 007c 0000 0000", 1, 2, "IDENTIFY: embedding[1] = Infinity is not finite" },
        { 0x02, "05 01 00fc 0000 0000 0000", 1, 2, "IDENTIFY: embedding[0] = -Infinity is not finite" },
        { 0x03, "", 1, 1, "VERIFY: body of 0 bytes ends before id length" },
        { 0x03, "00 02 7f000000", 1, 1, "VERIFY: id length = 0 is outside [1, 63]" },
        { 0x03, "40" + new string('6', 128) + "02 7f000000", 1, 1, "VERIFY: id length = 64 is outside [1, 63]" },
        { 0x03, "0a 616263", 1, 1, "VERIFY: id length = 10 but the body has 3 bytes left" },
        { 0x03, "02 c328 02 7f000000", 1, 1, "VERIFY: id = C328 (hex) is not valid UTF-8" },
        { 0x03, "04 61eda080 02 7f000000", 1, 1, "VERIFY: id = 61EDA080 (hex) is not valid UTF-8" },   // an encoded surrogate
        { 0x03, "03 610062 02 7f000000", 1, 1, "VERIFY: id = 610062 (hex) holds a NUL at byte 1" },
        { 0x03, "03 626f62", 1, 1, "VERIFY: body ends before the embedding encoding" },
        { 0x03, "03 626f62 02 7f0000", 1, 1, "VERIFY: embedding has 3 bytes of int8 data, expected 4 (dim 4 x 1)" },
        { 0x04, "03 626f62 00 0000807f 00000000 00000000 00000000", 1, 2, "ENROLL: embedding[0] = Infinity is not finite" },
        { 0x04, "00", 1, 1, "ENROLL: id length = 0 is outside [1, 63]" },
        { 0x05, "", 1, 1, "REMOVE: body of 0 bytes ends before id length" },
        { 0x05, "03 626f62 0000", 1, 1, "REMOVE: 2 bytes left over after the last field (body has 6, fields end at 4)" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_requests_get_an_error_naming_the_field_and_value(byte type, string bodyHex, byte version, byte status, string message)
    {
        var gallery = new FakeGallery();
        gallery.Enroll("bob", Bob);
        int calls = gallery.Calls;
        var session = new ProtocolSession(gallery);

        List<Received> replies = Exchange(session, Request(type, 0x1234, Hex(bodyHex), version));
        Assert.Single(replies);
        Assert.Equal(0x1234, replies[0].Sequence);
        Assert.Equal(Frame.ProtocolVersion, replies[0].Version);
        AssertError(replies[0], (Status)status, message);
        Assert.Equal(calls, gallery.Calls);          // the handler never saw it
        Assert.Equal(1ul, session.Counters.ErrorsSent);
        Assert.Equal(1ul, session.Counters.FramesOk);

        // And the session goes on serving.
        Assert.Equal(0x81, Single(session, MessageType.Ping, 0x1235, []).Type);
    }

    public static TheoryData<string, byte, string> HandlerFailures => new()
    {
        { "argument", 1, "id = \"bob\" is reserved" },
        { "out of range", 1, "threshold = 2 is outside [-1, 1]" },
        { "non-finite", 2, "embedding has norm 0" },
        { "not found", 3, "id = \"eve\" is not enrolled" },
        { "io", 4, "fsync failed: disk full" },
        { "corrupt", 5, "gallery record 12 has a bad checksum" },
        { "capacity", 6, "the gallery holds 100000 templates, its limit" },
        { "locked", 7, "gallery.bin is locked by process 4242" },
        { "other", 99, "internal error: InvalidOperationException: something broke" },
        { "null", 99, "internal error: NullReferenceException: Object reference not set to an instance of an object." },
    };

    [Theory]
    [MemberData(nameof(HandlerFailures))]
    public void Handler_exceptions_map_to_C_ABI_status_codes(string kind, byte status, string message)
    {
        Exception exception = kind switch
        {
            "argument" => new ArgumentException("id = \"bob\" is reserved", "id"),
            "out of range" => new ArgumentOutOfRangeException("threshold", 2f, "threshold = 2 is outside [-1, 1]"),
            "non-finite" => new NonFiniteInputException("embedding has norm 0", "embedding"),
            "not found" => new KeyNotFoundException("id = \"eve\" is not enrolled"),
            "io" => new IOException("fsync failed: disk full"),
            "corrupt" => new InvalidDataException("gallery record 12 has a bad checksum"),
            "capacity" => new ProtocolException(Status.Capacity, "the gallery holds 100000 templates, its limit"),
            "locked" => new ProtocolException(Status.Locked, "gallery.bin is locked by process 4242"),
            "other" => new InvalidOperationException("something broke"),
            _ => new NullReferenceException(),
        };
        Assert.Equal((Status)status, StatusMapping.From(exception));

        var gallery = new FakeGallery { Throw = exception };
        var session = new ProtocolSession(gallery);
        Received reply = Single(session, MessageType.Verify, 9, Body(b => RequestCodec.Encode(new VerifyRequest("bob", Bob), b)));
        AssertError(reply, (Status)status, message);
        Assert.Equal(1ul, session.Counters.ErrorsSent);
    }

    [Fact]
    public void Each_request_type_reaches_the_handler_and_its_failure_is_reported()
    {
        var session = new ProtocolSession(new FakeGallery());
        AssertError(Single(session, MessageType.Verify, 1, Body(b => RequestCodec.Encode(new VerifyRequest("eve", Bob), b))),
            Status.NotFound, "id = \"eve\" is not enrolled");
        AssertError(Single(session, MessageType.Remove, 2, Body(b => RequestCodec.Encode(new RemoveRequest("eve"), b))),
            Status.NotFound, "id = \"eve\" is not enrolled");
        AssertError(Single(session, MessageType.Enroll, 3, Body(b => RequestCodec.Encode(new EnrollRequest("eve", new float[4]), b))),
            Status.NonFinite, "embedding has norm 0");
    }

    [Fact]
    public void A_long_handler_message_is_cut_to_255_bytes_at_a_character_boundary()
    {
        string message = "id = \"" + new string('ß', 200) + "\" is not enrolled";
        var gallery = new FakeGallery { Throw = new KeyNotFoundException(message) };
        Received reply = Single(new ProtocolSession(gallery), MessageType.Remove, 1, Bytes(1, "x"));
        Assert.Equal(3, reply.Body[0]);
        Assert.Equal(254, reply.Body[1]);       // 'id = "' is 6 bytes, 124 two-byte ß make 254: the 125th would need 256
        Assert.True(ResponseCodec.TryDecode(reply.Body, out ErrorResponse error, out _));
        Assert.Equal(message[..130], error.Message);
    }

    [Fact]
    public void A_read_only_host_refuses_enroll_and_remove_but_serves_the_rest()
    {
        var gallery = new FakeGallery();
        gallery.Enroll("bob", Bob);
        int calls = gallery.Calls;
        var session = new ProtocolSession(gallery, new ProtocolSessionOptions { ReadOnly = true });
        AssertError(Single(session, MessageType.Enroll, 1, Body(b => RequestCodec.Encode(new EnrollRequest("eve", Bob), b))),
            Status.Argument, "ENROLL: refused, this host's gallery is read-only");
        AssertError(Single(session, MessageType.Remove, 2, Body(b => RequestCodec.Encode(new RemoveRequest("bob"), b))),
            Status.Argument, "REMOVE: refused, this host's gallery is read-only");
        Assert.Equal(calls, gallery.Calls);
        Assert.Equal(0x83, Single(session, MessageType.Verify, 3, Body(b => RequestCodec.Encode(new VerifyRequest("bob", Bob), b))).Type);
    }

    [Fact]
    public void A_handler_breaking_the_contract_gets_an_internal_error_not_an_argument_error()
    {
        var gallery = new FakeGallery { IdentifyOverride = results => results.Length + 1 };
        var session = new ProtocolSession(gallery);
        byte[] identify = Body(b => RequestCodec.Encode(new IdentifyRequest(2, Bob), b));
        AssertError(Single(session, MessageType.Identify, 1, identify),
            Status.Internal, "internal error: InvalidOperationException: the handler returned count = 3 for k = 2");

        gallery.IdentifyOverride = results => { results[0] = new Match(new string('x', 64), 0.5f); return 1; };
        AssertError(Single(session, MessageType.Identify, 2, identify),
            Status.Internal, $"internal error: InvalidOperationException: the handler's matches cannot be sent: matches.Id = \"{new string('x', 64)}\" is 64 bytes of UTF-8, expected 1..63");
    }

    [Fact]
    public void Dimension_must_let_an_embedding_fit_a_frame()
    {
        Assert.Equal(2029, ProtocolSession.MaxDimension);
        _ = new ProtocolSession(new FakeGallery(2029));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolSession(new FakeGallery(2030)));
        Assert.StartsWith("handler.Dimension = 2030 is outside [1, 2029]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolSession(new FakeGallery(0)));

        // The largest request fits: ENROLL with a 63-byte id and a float32 embedding of dim 2029.
        var gallery = new FakeGallery(2029);
        float[] v = new float[2029];
        v[5] = 1;
        Received reply = Single(new ProtocolSession(gallery), MessageType.Enroll, 1,
            Body(b => RequestCodec.Encode(new EnrollRequest(new string('i', 63), v), b)));
        Assert.Equal(0x84, reply.Type);
        Assert.Equal(v, gallery.LastEmbedding);
    }
}
