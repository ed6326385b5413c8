using EdgeLoss.EdgeHost.Protocol;
using static EdgeLoss.Tests.Protocol.WireKit;

namespace EdgeLoss.Tests.Protocol;

public class FrameReaderTests
{
    /// <summary>Three frames: an empty body, one with zeros inside, one of 600 bytes crossing COBS block boundaries.</summary>
    private static (byte[] Wire, Received[] Expected) ThreeFrames()
    {
        byte[] big = new byte[600];
        for (int i = 0; i < big.Length; i++) big[i] = (byte)(i % 7 == 0 ? 0 : i);
        Array.Fill(big, (byte)0x5A, 100, 300);   // a 300-byte zero-free run: a full 0xFF block and a bit
        var expected = new[]
        {
            new Received(1, 0x01, 1, []),
            new Received(1, 0x05, 0x0100, Bytes(3, 0, 0, 0)),
            new Received(1, 0x04, 0xFFFF, big),
        };
        byte[] wire = expected.SelectMany(f => Request(f.Type, f.Sequence, f.Body)).ToArray();
        return (wire, expected);
    }

    [Fact]
    public void Reads_frames_split_at_every_byte_boundary()
    {
        (byte[] wire, Received[] expected) = ThreeFrames();
        for (int split = 0; split <= wire.Length; split++)
        {
            var reader = new FrameReader();
            var frames = ReadAll(wire.AsSpan(0, split), reader);
            frames.AddRange(ReadAll(wire.AsSpan(split), reader));
            AssertFrames(expected, frames, $"split at {split}");
            Assert.Equal(3ul, reader.Counters.FramesOk);
            Assert.Equal(0ul, reader.Counters.FramesDropped);
            Assert.False(reader.InFrame);
        }
    }

    [Fact]
    public void Reads_frames_fed_one_byte_at_a_time_and_in_random_chunks()
    {
        (byte[] wire, Received[] expected) = ThreeFrames();
        var reader = new FrameReader();
        var frames = new List<Received>();
        for (int i = 0; i < wire.Length; i++) frames.AddRange(ReadAll(wire.AsSpan(i, 1), reader));
        AssertFrames(expected, frames, "byte by byte");

        var random = new Random(7);
        for (int round = 0; round < 200; round++)
        {
            reader = new FrameReader();
            frames.Clear();
            for (int at = 0; at < wire.Length;)
            {
                int n = Math.Min(random.Next(1, 80), wire.Length - at);
                frames.AddRange(ReadAll(wire.AsSpan(at, n), reader));
                at += n;
            }
            AssertFrames(expected, frames, $"random chunks, round {round}");
        }
    }

    [Fact]
    public void Garbage_ended_by_a_delimiter_is_dropped_and_counted_and_frames_around_it_survive()
    {
        byte[] ping = Request(MessageType.Ping, 10, []);
        byte[] stats = Request(MessageType.Stats, 11, []);
        byte[] wire =
        [
            .. Hex("00 00"),                          // empty frames: flushes, not counted
            .. Hex("37 81 fe 02 00"),                 // code 0x37 promises 54 bytes, a delimiter after 3: COBS failure
            .. ping,
            .. Hex("02 11 00"),                       // decodes to 1 byte: too short
            .. Hex("0a 01 01 01 02 de ad be ef 11 00"), // 9 bytes that decode fine but fail the CRC
            .. stats,
            .. Hex("05 01 02"),                       // a partial frame at the end, kept
        ];
        var reader = new FrameReader();
        List<Received> frames = ReadAll(wire, reader);

        Assert.Equal(new ushort[] { 10, 11 }, frames.Select(f => f.Sequence));
        Assert.Equal(2ul, reader.Counters.FramesOk);
        Assert.Equal(1ul, reader.Counters.DroppedCobs);
        Assert.Equal(1ul, reader.Counters.DroppedShort);
        Assert.Equal(1ul, reader.Counters.DroppedCrc);
        Assert.Equal(0ul, reader.Counters.DroppedOversized);
        Assert.Equal(3ul, reader.Counters.FramesDropped);
        Assert.True(reader.InFrame);
    }

    [Fact]
    public void Garbage_glued_to_a_frame_costs_that_frame_only()
    {
        // Noise with no delimiter before a frame becomes part of it: the frame cannot be told from the noise and is
        // dropped (CRC). The next frame is read. This is why a sender may lead with 0x00 (see docs/protocol.md).
        byte[] wire = [.. Hex("13 57 9b"), .. Request(MessageType.Ping, 1, []), .. Request(MessageType.Ping, 2, [])];
        var reader = new FrameReader();
        List<Received> frames = ReadAll(wire, reader);
        Assert.Equal(new ushort[] { 2 }, frames.Select(f => f.Sequence));
        Assert.Equal(1ul, reader.Counters.FramesDropped);

        byte[] flushed = [.. Hex("13 57 9b 00"), .. Request(MessageType.Ping, 1, [])];
        Assert.Equal(new ushort[] { 1 }, ReadAll(flushed).Select(f => f.Sequence));
    }

    [Fact]
    public void Random_garbage_then_a_delimiter_never_yields_a_frame_and_the_next_frame_is_read()
    {
        var random = new Random(99);
        for (int round = 0; round < 500; round++)
        {
            byte[] garbage = new byte[random.Next(1, 3000)];
            random.NextBytes(garbage);
            var reader = new FrameReader();
            byte[] wire = [.. garbage, 0, .. Request(MessageType.Ping, 77, [])];
            List<Received> frames = ReadAll(wire, reader);
            Assert.Equal(77, frames[^1].Sequence);
            Assert.Single(frames);
            // Every non-empty piece of garbage between delimiters was counted once.
            int pieces = garbage.Append((byte)0).Aggregate((Count: 0, Open: false), (s, b) =>
                b == 0 ? (s.Count + (s.Open ? 1 : 0), false) : (s.Count, true)).Count;
            Assert.Equal((ulong)pieces, reader.Counters.FramesDropped);
        }
    }

    [Fact]
    public void Oversized_frames_are_dropped_without_buffering_and_the_next_frame_is_read()
    {
        byte[] justFits = new byte[Frame.MaxBodyLength];                 // decodes to exactly 8192 bytes
        new Random(3).NextBytes(justFits);
        byte[] endless = Enumerable.Repeat((byte)0xFF, 1 << 20).ToArray(); // 1 MiB of 0xFF blocks, no delimiter

        var reader = new FrameReader();
        var frames = new List<Received>();
        foreach (byte[] piece in new[]
        {
            Request(MessageType.Enroll, 1, justFits),
            OversizedFrame(Frame.MaxBodyLength + 1),                     // 8193 bytes, a good CRC
            Request(MessageType.Ping, 3, []),
            endless, endless,                                            // fed in two parts, still one oversized frame
            [0],
            Request(MessageType.Ping, 4, []),
        })
        {
            frames.AddRange(ReadAll(piece, reader));
        }

        Assert.Equal(new ushort[] { 1, 3, 4 }, frames.Select(f => f.Sequence));
        Assert.Equal(justFits, frames[0].Body);
        Assert.Equal(2ul, reader.Counters.DroppedOversized);
        Assert.Equal(2ul, reader.Counters.FramesDropped);
        Assert.Equal(3ul, reader.Counters.FramesOk);
    }

    [Fact]
    public void Oversized_detection_counts_the_implied_zeros()
    {
        // 8193 zeros encode as 8194 bytes of 0x01: the decoded size passes 8192 only through implied zeros.
        byte[] zeros = new byte[Frame.MaxLength + 1];
        byte[] wire = new byte[Cobs.MaxEncodedLength(zeros.Length) + 1];
        int n = Frame.Encode(zeros, wire);
        var reader = new FrameReader();
        Assert.Empty(ReadAll(wire.AsSpan(0, n), reader));
        Assert.Equal(1ul, reader.Counters.DroppedOversized);
    }

    /// <summary>A frame with a good CRC whose body is too large (Frame refuses to build one).</summary>
    private static byte[] OversizedFrame(int bodyLength)
    {
        byte[] frame = new byte[Frame.MinLength + bodyLength];
        new Random(4).NextBytes(frame);
        frame[0] = Frame.ProtocolVersion;
        frame[1] = (byte)MessageType.Enroll;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(frame.Length - 4),
            System.IO.Hashing.Crc32.HashToUInt32(frame.AsSpan(0, frame.Length - 4)));
        byte[] wire = new byte[Cobs.MaxEncodedLength(frame.Length) + 1];
        return wire.AsSpan(0, Frame.Encode(frame, wire)).ToArray();
    }

    private static void AssertFrames(Received[] expected, List<Received> actual, string what)
    {
        Assert.True(expected.Length == actual.Count, $"{what}: {actual.Count} frames, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Type, actual[i].Type);
            Assert.Equal(expected[i].Sequence, actual[i].Sequence);
            Assert.True(expected[i].Body.AsSpan().SequenceEqual(actual[i].Body), $"{what}: body of frame {i} differs");
        }
    }
}
