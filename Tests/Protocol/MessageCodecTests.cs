using WireEmbeddings = EdgeLoss.EdgeHost.Protocol.Embeddings;
using System.Text;
using EdgeLoss.EdgeHost.Protocol;
using static EdgeLoss.Tests.Protocol.WireKit;

namespace EdgeLoss.Tests.Protocol;

public class MessageCodecTests
{
    private static readonly float[] Vector = [0.5f, -0.25f, 1f, 0.125f];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Identify_round_trips_exactly_for_float32_and_float16(byte encodingByte)
    {
        var encoding = (EmbeddingEncoding)encodingByte;
        byte[] body = new byte[Frame.MaxBodyLength];
        int n = RequestCodec.Encode(new IdentifyRequest(7, Vector, encoding), body);
        Assert.Equal(1 + 1 + Vector.Length * (encoding == EmbeddingEncoding.Float32 ? 4 : 2), n);
        Assert.Equal(7, body[0]);
        Assert.Equal((byte)encoding, body[1]);

        float[] decoded = new float[4];
        Assert.True(RequestCodec.TryDecode(body.AsSpan(0, n), decoded, out IdentifyRequest request, out WireError error), error.Message);
        Assert.Equal(7, request.K);
        Assert.Equal(encoding, request.Encoding);
        Assert.Equal(Vector, request.Embedding.ToArray());   // these values are exact in float16 too
        Assert.Equal(Vector, decoded);
    }

    [Fact]
    public void Identify_float32_layout_is_k_encoding_then_little_endian_floats()
    {
        byte[] body = new byte[64];
        int n = RequestCodec.Encode(new IdentifyRequest(3, [1f, -2f]), body);
        Assert.Equal("03 00 00 00 80 3f 00 00 00 c0", ToHex(body.AsSpan(0, n)));
    }

    [Fact]
    public void Verify_enroll_and_remove_round_trip_ids_and_embeddings()
    {
        string id = "Zoë 山田 🙂";                      // multi-byte UTF-8 and a surrogate pair
        byte[] body = new byte[Frame.MaxBodyLength];
        float[] decoded = new float[4];

        int n = RequestCodec.Encode(new VerifyRequest(id, Vector, EmbeddingEncoding.Float16), body);
        Assert.Equal(Encoding.UTF8.GetByteCount(id), body[0]);
        Assert.True(RequestCodec.TryDecode(body.AsSpan(0, n), decoded, out VerifyRequest verify, out WireError error), error.Message);
        Assert.Equal(id, verify.Id);
        Assert.Equal(EmbeddingEncoding.Float16, verify.Encoding);
        Assert.Equal(Vector, verify.Embedding.ToArray());

        n = RequestCodec.Encode(new EnrollRequest(id, Vector), body);
        Assert.True(RequestCodec.TryDecode(body.AsSpan(0, n), decoded, out EnrollRequest enroll, out error), error.Message);
        Assert.Equal(id, enroll.Id);
        Assert.Equal(Vector, enroll.Embedding.ToArray());

        n = RequestCodec.Encode(new RemoveRequest(id), body);
        Assert.True(RequestCodec.TryDecode(body.AsSpan(0, n), out RemoveRequest remove, out error), error.Message);
        Assert.Equal(new RemoveRequest(id), remove);

        Assert.Equal(0, RequestCodec.EncodeEmpty(body));
        Assert.True(RequestCodec.TryDecodeEmpty([], MessageType.Ping, out _));
        Assert.True(RequestCodec.TryDecodeEmpty([], MessageType.Stats, out _));
    }

    [Fact]
    public void Ids_of_1_and_63_bytes_round_trip_and_64_is_refused()
    {
        byte[] body = new byte[128];
        foreach (string id in new[] { "a", new string('x', 63), new string('é', 31) + "x" })   // 63 bytes: 31 x 2 + 1
        {
            int n = RequestCodec.Encode(new RemoveRequest(id), body);
            Assert.True(RequestCodec.TryDecode(body.AsSpan(0, n), out RemoveRequest r, out WireError error), error.Message);
            Assert.Equal(id, r.Id);
        }
        var e = Assert.Throws<ArgumentException>(() => RequestCodec.Encode(new RemoveRequest(new string('é', 32)), body));
        Assert.Equal($"id = \"{new string('é', 32)}\" is 64 bytes of UTF-8, expected 1..63", Message(e));
        e = Assert.Throws<ArgumentException>(() => RequestCodec.Encode(new RemoveRequest(""), body));
        Assert.Equal("id = \"\" is 0 bytes of UTF-8, expected 1..63", Message(e));
        e = Assert.Throws<ArgumentException>(() => RequestCodec.Encode(new RemoveRequest("a\0b"), body));
        Assert.Equal("id = \"a\\0b\" holds a NUL at index 1", Message(e));
        e = Assert.Throws<ArgumentException>(() => RequestCodec.Encode(new RemoveRequest("a\ud800"), body));
        Assert.Contains("unpaired surrogate", e.Message);
    }

    [Fact]
    public void Identify_encoder_refuses_k_outside_1_to_32()
    {
        byte[] body = new byte[128];
        Assert.Equal(66, RequestCodec.Encode(new IdentifyRequest(32, new float[16]), body));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RequestCodec.Encode(new IdentifyRequest(0, Vector), body));
        Assert.Equal("k = 0 is outside [1, 32]", Message(e));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestCodec.Encode(new IdentifyRequest(33, Vector), body));
    }

    // ---- embeddings ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("00 3c", 1.0f)]
    [InlineData("00 c0", -2.0f)]
    [InlineData("ff 7b", 65504f)]                    // the largest float16
    [InlineData("01 00", 5.9604645E-08f)]            // the smallest subnormal, 2^-24
    [InlineData("55 35", 0.333251953125f)]           // 1/3 rounded to float16
    [InlineData("66 2e", 0.0999755859375f)]          // 0.1 rounded to float16
    [InlineData("00 80", -0.0f)]
    public void Float16_values_decode_to_their_exact_float(string hex, float expected)
    {
        float[] decoded = new float[1];
        Assert.True(WireEmbeddings.TryDecode([1, .. Hex(hex)], decoded, "TEST", out EmbeddingEncoding encoding, out WireError error), error.Message);
        Assert.Equal(EmbeddingEncoding.Float16, encoding);
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(decoded[0]));
    }

    [Fact]
    public void Int8_values_decode_as_value_over_127()
    {
        float[] decoded = new float[6];
        Assert.True(WireEmbeddings.TryDecode([2, .. Hex("7f 81 00 40 c0 80")], decoded, "TEST", out _, out WireError error), error.Message);
        Assert.Equal(new[] { 1f, -1f, 0f, 64f / 127f, -64f / 127f, -128f / 127f }, decoded);
    }

    [Fact]
    public void Int8_encoding_scales_the_unit_vector_to_127_and_rounds()
    {
        // (3, 4, 0, -12) has norm 13: unit vector (0.2308, 0.3077, 0, -0.9231), times 127 = (29.31, 39.08, 0, -117.23).
        byte[] field = new byte[5];
        Assert.Equal(5, WireEmbeddings.Encode([3f, 4f, 0f, -12f], EmbeddingEncoding.Int8, field));
        Assert.Equal(new byte[] { 2, 29, 39, 0, unchecked((byte)-117) }, field);

        var e = Assert.Throws<NonFiniteInputException>(() => WireEmbeddings.Encode(new float[4], EmbeddingEncoding.Int8, field));
        Assert.Equal("embedding has norm 0 and cannot be scaled to a unit vector for int8", Message(e));
        e = Assert.Throws<NonFiniteInputException>(() => WireEmbeddings.Encode([1f, float.NaN, 0f, 0f], EmbeddingEncoding.Int8, field));
        Assert.Equal("embedding[1] = NaN is not finite", Message(e));
    }

    [Fact]
    public void Int8_round_trip_is_within_half_a_step_of_the_unit_vector()
    {
        var random = new Random(5);
        float[] v = new float[128];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        double norm = Math.Sqrt(v.Sum(x => (double)x * x));
        byte[] field = new byte[129];
        WireEmbeddings.Encode(v, EmbeddingEncoding.Int8, field);
        float[] back = new float[128];
        Assert.True(WireEmbeddings.TryDecode(field, back, "TEST", out _, out _));
        for (int i = 0; i < v.Length; i++)
            Assert.True(Math.Abs(back[i] - v[i] / norm) <= 0.5 / 127 + 1e-6, $"[{i}] {back[i]} vs {v[i] / norm}");
    }

    [Fact]
    public void Float16_encoding_refuses_finite_values_it_cannot_hold()
    {
        byte[] field = new byte[9];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => WireEmbeddings.Encode([0f, 1e5f, 0f, 0f], EmbeddingEncoding.Float16, field));
        Assert.Equal("embedding[1] = 100000 is outside the float16 range (|x| <= 65504)", Message(e));
        // Non-finite values travel as they are; judging them is the host's job.
        WireEmbeddings.Encode([float.NaN, float.PositiveInfinity, 0f, 0f], EmbeddingEncoding.Float16, field);
        Assert.Equal("01 00 fe 00 7c 00 00 00 00", ToHex(field));
    }

    [Fact]
    public void Large_dimensions_take_the_vectorized_paths_and_find_the_non_finite_value()
    {
        var random = new Random(11);
        float[] v = new float[1000];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 4 - 2);
        foreach (EmbeddingEncoding encoding in new[] { EmbeddingEncoding.Float32, EmbeddingEncoding.Float16 })
        {
            byte[] field = new byte[WireEmbeddings.EncodedLength(v.Length, encoding)];
            WireEmbeddings.Encode(v, encoding, field);
            float[] back = new float[v.Length];
            Assert.True(WireEmbeddings.TryDecode(field, back, "TEST", out _, out _));
            for (int i = 0; i < v.Length; i++)
                Assert.Equal(encoding == EmbeddingEncoding.Float32 ? v[i] : (float)(Half)v[i], back[i]);
        }

        // Finite values whose sum overflows are still accepted: the fast check falls back to the exact scan.
        float[] huge = Enumerable.Repeat(float.MaxValue, 8).ToArray();
        byte[] hugeField = new byte[33];
        WireEmbeddings.Encode(huge, EmbeddingEncoding.Float32, hugeField);
        Assert.True(WireEmbeddings.TryDecode(hugeField, new float[8], "TEST", out _, out _));

        v[777] = float.NegativeInfinity;
        byte[] bad = new byte[WireEmbeddings.EncodedLength(v.Length, EmbeddingEncoding.Float32)];
        WireEmbeddings.Encode(v, EmbeddingEncoding.Float32, bad);
        Assert.False(WireEmbeddings.TryDecode(bad, new float[v.Length], "TEST", out _, out WireError error));
        Assert.Equal(new WireError(Status.NonFinite, "TEST: embedding[777] = -Infinity is not finite"), error);
    }

    // ---- responses -------------------------------------------------------------------------------------------

    [Fact]
    public void Ping_response_layout_and_round_trip()
    {
        var ping = new PingResponse(1, 512, 70000, 123456, 1);
        byte[] body = new byte[64];
        int n = ResponseCodec.Encode(ping, body);
        Assert.Equal("01 00 00 02 70 11 01 00 40 e2 01 00 01", ToHex(body.AsSpan(0, n)));
        Assert.True(ResponseCodec.TryDecode(body.AsSpan(0, n), out PingResponse back, out WireError error), error.Message);
        Assert.Equal(ping, back);
    }

    [Fact]
    public void Identify_response_round_trips_zero_and_32_matches()
    {
        byte[] body = new byte[Frame.MaxBodyLength];
        int n = ResponseCodec.Encode(ReadOnlySpan<Match>.Empty, body);
        Assert.Equal(1, n);
        Assert.True(ResponseCodec.TryDecode(body.AsSpan(0, n), out Match[] none, out _));
        Assert.Empty(none);

        Match[] many = Enumerable.Range(0, 32).Select(i => new Match(i % 2 == 0 ? $"person-{i}" : new string('ü', 31) + i % 10, 1f - i / 64f)).ToArray();
        n = ResponseCodec.Encode(many, body);
        Assert.Equal(1 + many.Sum(m => 4 + 1 + Encoding.UTF8.GetByteCount(m.Id)), n);
        Assert.True(ResponseCodec.TryDecode(body.AsSpan(0, n), out Match[] back, out WireError error), error.Message);
        Assert.Equal(many, back);

        Assert.Equal("01 00 00 40 3f 03 62 6f 62", ToHex(body.AsSpan(0, ResponseCodec.Encode([new Match("bob", 0.75f)], body))));
    }

    [Fact]
    public void Verify_enroll_remove_and_stats_responses_round_trip()
    {
        byte[] body = new byte[64];
        foreach (var verify in new[] { new VerifyResponse(0.8125f, true), new VerifyResponse(-0.5f, false) })
        {
            int n = ResponseCodec.Encode(verify, body);
            Assert.Equal(5, n);
            Assert.True(ResponseCodec.TryDecode(body.AsSpan(0, n), out VerifyResponse back, out _));
            Assert.Equal(verify, back);
        }
        Assert.Equal("00 00 50 3f 01", ToHex(body.AsSpan(0, ResponseCodec.Encode(new VerifyResponse(0.8125f, true), body))));

        int m = ResponseCodec.Encode(new EnrollResponse(0xA1B2C3D4), body);
        Assert.Equal("d4 c3 b2 a1", ToHex(body.AsSpan(0, m)));
        Assert.True(ResponseCodec.TryDecode(body.AsSpan(0, m), out EnrollResponse enroll, out _));
        Assert.Equal(0xA1B2C3D4u, enroll.Templates);

        m = ResponseCodec.Encode(new RemoveResponse(3), body);
        Assert.True(ResponseCodec.TryDecode(body.AsSpan(0, m), out RemoveResponse remove, out _));
        Assert.Equal(3u, remove.Removed);

        var stats = new StatsResponse(ulong.MaxValue, 1ul << 40, 7);
        m = ResponseCodec.Encode(stats, body);
        Assert.Equal(24, m);
        Assert.True(ResponseCodec.TryDecode(body.AsSpan(0, m), out StatsResponse statsBack, out _));
        Assert.Equal(stats, statsBack);
    }

    [Fact]
    public void Error_response_round_trips_and_cuts_long_messages_at_a_character_boundary()
    {
        byte[] body = new byte[Frame.MaxBodyLength];
        int n = ResponseCodec.Encode(new ErrorResponse(Status.NotFound, "id = \"bob\" is not enrolled"), body);
        Assert.Equal("03 1a", ToHex(body.AsSpan(0, 2)));
        Assert.True(ResponseCodec.TryDecode(body.AsSpan(0, n), out ErrorResponse error, out _));
        Assert.Equal(new ErrorResponse(Status.NotFound, "id = \"bob\" is not enrolled"), error);

        // 2-byte characters: 255 is odd, so the cut falls at 254. 4-byte characters (surrogate pairs): at 252.
        foreach ((string unit, int expectedBytes) in new[] { ("é", 254), ("🙂", 252), ("a", 255) })
        {
            string message = string.Concat(Enumerable.Repeat(unit, 300));
            n = ResponseCodec.Encode(new ErrorResponse(Status.Argument, message), body);
            Assert.Equal(expectedBytes, body[1]);
            Assert.Equal(2 + expectedBytes, n);
            Assert.True(ResponseCodec.TryDecode(body.AsSpan(0, n), out error, out _));
            Assert.Equal(message[..(expectedBytes / Encoding.UTF8.GetByteCount(unit) * unit.Length)], error.Message);
        }
    }

    [Theory]
    [InlineData("01 00 80", "PING response: body of 3 bytes ends before dim")]
    [InlineData("01 00 80 00 02", "PING response: body of 5 bytes ends before identities")]
    [InlineData("01 00 80 00 02 00 00 00 03 00 00 00 00 ff", "PING response: 1 byte left over after the last field (body has 14, fields end at 13)")]
    [InlineData("02 00 00 40 3f 03 62 6f 62", "IDENTIFY response: body of 9 bytes ends before score")]
    [InlineData("01 00 00 40 3f 00", "IDENTIFY response: id length = 0 is outside [1, 63]")]
    [InlineData("00 00 50 3f 02", "VERIFY response: accepted = 2 is not 0 or 1")]
    [InlineData("01 00 00", "ENROLL response: body of 3 bytes ends before templates")]
    public void Response_decoders_name_what_is_malformed(string hex, string message)
    {
        byte[] body = Hex(hex);
        WireError error = message.Split(':')[0] switch
        {
            "PING response" => ResponseCodec.TryDecode(body, out PingResponse _, out WireError e) ? default : e,
            "IDENTIFY response" => ResponseCodec.TryDecode(body, out Match[] _, out WireError e) ? default : e,
            "VERIFY response" => ResponseCodec.TryDecode(body, out VerifyResponse _, out WireError e) ? default : e,
            _ => ResponseCodec.TryDecode(body, out EnrollResponse _, out WireError e) ? default : e,
        };
        Assert.Equal(message, error.Message);
    }

    /// <summary>An ArgumentException's message without the " (Parameter 'x')" .NET appends.</summary>
    private static string Message(Exception e) => StatusMapping.Message(e);
}
