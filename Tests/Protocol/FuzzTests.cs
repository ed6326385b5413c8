using System.Buffers;
using System.Text;
using EdgeLoss.EdgeHost.Protocol;
using static EdgeLoss.Tests.Protocol.WireKit;

namespace EdgeLoss.Tests.Protocol;

public class FuzzTests
{
    private const int Dim = 8;

    /// <summary>
    /// A handler that checks what the session hands it (it must never see a malformed request) and answers cheaply.
    /// Violations are recorded, not thrown: the session would turn an assertion exception into an ERROR reply.
    /// </summary>
    private sealed class CheckingHandler : IRequestHandler
    {
        public readonly List<string> Violations = [];
        public int Calls;
        public int Dimension => Dim;

        public GalleryInfo Ping() { Calls++; return new GalleryInfo(3, 5, 1); }

        public int Identify(ReadOnlySpan<float> query, Span<Match> results)
        {
            Check(null, query);
            if (results.Length is < 1 or > 32) Violations.Add($"k = {results.Length}");
            int count = Math.Min(results.Length, 3);
            for (int i = 0; i < count; i++) results[i] = new Match($"id{i}", 1f / (i + 1));
            return count;
        }

        public VerifyResponse Verify(string id, ReadOnlySpan<float> probe) { Check(id, probe); return new VerifyResponse(0.25f, false); }
        public uint Enroll(string id, ReadOnlySpan<float> embedding) { Check(id, embedding); return 1; }
        public uint Remove(string id) { Check(id, default); return 2; }

        private void Check(string? id, ReadOnlySpan<float> embedding)
        {
            Calls++;
            if (id is not null)
            {
                int bytes = Encoding.UTF8.GetByteCount(id);
                if (bytes is < 1 or > 63 || id.Contains('\0')) Violations.Add($"id \"{id}\"");
                // Some ids make the handler fail, as a real gallery would.
                if (id.StartsWith('x')) throw new KeyNotFoundException($"id = \"{id}\" is not enrolled");
                if (id.StartsWith('z')) throw new InvalidOperationException("handler bug");
            }
            if (id is null || embedding.Length > 0)
            {
                if (embedding.Length != Dim) Violations.Add($"embedding of {embedding.Length} values");
                foreach (float v in embedding)
                    if (!float.IsFinite(v)) { Violations.Add($"non-finite value {v}"); break; }
            }
        }
    }

    [Fact]
    public void Random_and_mutated_frames_never_throw_every_good_frame_gets_one_reply_and_ping_still_answers()
    {
        var random = new Random(20250101);
        var handler = new CheckingHandler();
        var session = new ProtocolSession(handler);
        var output = new ArrayBufferWriter<byte>(1 << 16);
        var replies = new FrameReader();
        long replyCount = 0, errorReplies = 0;
        var statuses = new Dictionary<Status, int>();
        var pending = new List<byte>(1 << 16);
        byte[] bodyBuffer = new byte[Frame.MaxBodyLength];

        const int Frames = 500_000;
        for (int i = 0; i < Frames; i++)
        {
            pending.AddRange(i % 1000 == 999 ? Oversized(random) : random.Next(100) switch
            {
                < 12 => RandomBytes(random, random.Next(0, 80)),                          // line noise, zeros included
                < 15 => ShortFrame(random),                                               // valid COBS, under 8 bytes
                < 35 => ValidRequest(random, bodyBuffer),                                 // well-formed
                < 60 => GoodCrcRandomContent(random),                                     // any type, version, body
                < 80 => MutateWire(random, ValidRequest(random, bodyBuffer)),             // bit flips, cuts, insertions
                _ => MutateBodyKeepCrc(random, bodyBuffer),                              // malformed fields, good CRC
            });

            // Feed in chunks of random size, as a serial port would hand them over.
            if (pending.Count > 4096 || i == Frames - 1)
            {
                byte[] chunk = pending.ToArray();
                pending.Clear();
                for (int at = 0; at < chunk.Length;)
                {
                    int n = Math.Min(random.Next(1, 700), chunk.Length - at);
                    session.Process(chunk.AsSpan(at, n), output);
                    at += n;
                }
                (long r, long e) = CountReplies(output, replies, statuses);
                replyCount += r;
                errorReplies += e;
            }
        }

        Assert.Empty(handler.Violations);
        ProtocolCounters counters = session.Counters;
        Assert.Equal(0ul, replies.Counters.FramesDropped);                    // the host only ever sends good frames
        Assert.Equal((long)(counters.FramesOk - counters.RepliesIgnored), replyCount);   // one reply per good request frame
        Assert.True(counters.RepliesIgnored > 1000, counters.ToString());
        Assert.Equal((long)counters.ErrorsSent, errorReplies);
        // The mix really exercised every path (sanity: these would be 0 if a generator were broken).
        Assert.True(counters.FramesOk > 200_000, counters.ToString());
        Assert.True(counters.ErrorsSent > 100_000, counters.ToString());
        Assert.True(counters.DroppedCrc > 5_000 && counters.DroppedCobs > 5_000 && counters.DroppedShort > 5_000 && counters.DroppedOversized >= 500,
            counters.ToString());
        Assert.True(handler.Calls > 100_000, $"handler calls {handler.Calls}");
        string seen = string.Join(", ", statuses.Select(kv => $"{kv.Key} {kv.Value}"));
        foreach (Status status in new[] { Status.Argument, Status.NonFinite, Status.NotFound, Status.Internal })
            Assert.True(statuses.GetValueOrDefault(status) > 1000, $"{status}: {seen}");
        Assert.Equal(4, statuses.Count);

        // After all that, a PING (led by a flushing 0x00, as the client sends it) is answered.
        List<Received> last = Exchange(session, [0, .. Request(MessageType.Ping, 0xABCD, [])]);
        Assert.Single(last);
        Assert.Equal(0x81, last[0].Type);
        Assert.Equal(0xABCD, last[0].Sequence);
        Assert.True(ResponseCodec.TryDecode(last[0].Body, out PingResponse pong, out _));
        Assert.Equal(new PingResponse(1, Dim, 3, 5, 1), pong);
    }

    [Fact]
    public void Streaming_decoder_agrees_with_one_shot_cobs_on_random_input()
    {
        // For any zero-free byte string followed by a delimiter, the reader drops it as a COBS failure exactly when
        // Cobs.TryDecode rejects it, and as oversized exactly when it decodes to more than 8192 bytes; except that
        // a broken string whose valid prefix already passes 8192 bytes is dropped as oversized before the break.
        var random = new Random(42);
        byte[] decoded = new byte[20000];
        for (int round = 0; round < 20000; round++)
        {
            int length = round % 100 == 0 ? random.Next(8000, 9000) : random.Next(1, 600);
            byte[] encoded = new byte[length];
            for (int i = 0; i < length; i++)
                encoded[i] = (byte)(random.Next(4) == 0 ? random.Next(1, 8) : random.Next(1, 256));   // small codes often
            bool valid = Cobs.TryDecode(encoded, decoded, out int n);

            var reader = new FrameReader();
            Assert.Empty(ReadAll([.. encoded, 0], reader));
            Assert.Equal(1ul, reader.Counters.FramesDropped);
            string what = $"round {round}: one-shot valid = {valid} ({n} bytes), streaming {reader.Counters}";
            if (valid)
                Assert.True(reader.Counters.DroppedCobs == 0 && (n > Frame.MaxLength) == (reader.Counters.DroppedOversized == 1), what);
            else if (length <= Frame.MaxLength)
                Assert.True(reader.Counters.DroppedCobs == 1, what);
            else
                Assert.True(reader.Counters.DroppedCobs + reader.Counters.DroppedOversized == 1, what);
        }
    }

    private static (long Replies, long Errors) CountReplies(ArrayBufferWriter<byte> output, FrameReader reader, Dictionary<Status, int> statuses)
    {
        long count = 0, errors = 0;
        ReadOnlySpan<byte> wire = output.WrittenSpan;
        while (reader.TryRead(ref wire, out FrameView frame))
        {
            count++;
            if (frame.Type == (byte)MessageType.Error)
            {
                errors++;
                Assert.True(ResponseCodec.TryDecode(frame.Body, out ErrorResponse error, out _));
                statuses[error.Status] = statuses.GetValueOrDefault(error.Status) + 1;
                Assert.NotEmpty(error.Message);
            }
            else
            {
                Assert.True(frame.Type is >= 0x81 and <= 0x86, $"reply type 0x{frame.Type:X2}");
            }
        }
        output.ResetWrittenCount();
        return (count, errors);
    }

    /// <summary>9000 zero-free bytes and a delimiter: more than a frame may decode to.</summary>
    private static byte[] Oversized(Random random) => [.. RandomBytes(random, 9000).Select(b => b == 0 ? (byte)1 : b), 0];

    private static byte[] ShortFrame(Random random)
    {
        byte[] frame = RandomBytes(random, random.Next(0, Frame.MinLength));
        byte[] wire = new byte[Cobs.MaxEncodedLength(frame.Length) + 1];
        return wire.AsSpan(0, Frame.Encode(frame, wire)).ToArray();
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static readonly string[] IdPool = ["alice", "bob", "x-missing", "zed", "山田", "a", new string('m', 63)];

    private static byte[] ValidRequest(Random random, byte[] buffer)
    {
        byte[] body = ValidBody(random, buffer, out MessageType type);
        return Request(type, (ushort)random.Next(65536), body);
    }

    private static byte[] ValidBody(Random random, byte[] buffer, out MessageType type)
    {
        type = (MessageType)random.Next(1, 7);
        var encoding = (EmbeddingEncoding)random.Next(3);
        float[] v = new float[Dim];
        for (int i = 0; i < Dim; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        string id = IdPool[random.Next(IdPool.Length)];
        int n = type switch
        {
            MessageType.Identify => RequestCodec.Encode(new IdentifyRequest(random.Next(1, 33), v, encoding), buffer),
            MessageType.Verify => RequestCodec.Encode(new VerifyRequest(id, v, encoding), buffer),
            MessageType.Enroll => RequestCodec.Encode(new EnrollRequest(id, v, encoding), buffer),
            MessageType.Remove => RequestCodec.Encode(new RemoveRequest(id), buffer),
            _ => 0,
        };
        return buffer.AsSpan(0, n).ToArray();
    }

    private static byte[] GoodCrcRandomContent(Random random)
    {
        byte type = random.Next(3) == 0 ? (byte)random.Next(256) : (byte)random.Next(1, 7);
        byte version = random.Next(10) == 0 ? (byte)random.Next(256) : (byte)1;
        return Request(type, (ushort)random.Next(65536), RandomBytes(random, random.Next(0, 60)), version);
    }

    private static byte[] MutateWire(Random random, byte[] wire)
    {
        var bytes = new List<byte>(wire);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;          // bit flip (may create or kill a 0x00)
                case 1: bytes.RemoveAt(at); break;                                  // lost byte
                case 2: bytes.Insert(at, (byte)random.Next(256)); break;           // extra byte
                default: bytes.RemoveRange(at, bytes.Count - at); break;           // cut short (delimiter lost)
            }
        }
        return bytes.ToArray();
    }

    private static byte[] MutateBodyKeepCrc(Random random, byte[] buffer)
    {
        byte[] body = ValidBody(random, buffer, out MessageType type);
        var bytes = new List<byte>(body);
        if (bytes.Count > 0 && random.Next(2) == 0)
        {
            // Aim at the fields that are validated: the first bytes (k, id length, encoding) and the data's size.
            int at = random.Next(Math.Min(bytes.Count, 8));
            bytes[at] = random.Next(3) switch { 0 => 0, 1 => (byte)random.Next(256), _ => (byte)(bytes[at] + random.Next(-2, 3)) };
        }
        else if (bytes.Count > 0 && random.Next(2) == 0)
        {
            bytes.RemoveRange(random.Next(bytes.Count), 1);
        }
        else
        {
            // Plant a NaN / infinity (float32 or float16 bit patterns) over some bytes; aligned half the time or so.
            byte[] plant = random.Next(2) == 0 ? [0x00, 0x00, 0xC0, 0x7F] : [0x00, 0x7C];
            if (bytes.Count >= plant.Length)
            {
                int at = random.Next(bytes.Count - plant.Length + 1);
                for (int i = 0; i < plant.Length; i++) bytes[at + i] = plant[i];
            }
        }
        return Request(type, (ushort)random.Next(65536), bytes.ToArray());
    }
}
