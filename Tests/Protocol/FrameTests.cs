using System.Buffers.Binary;
using EdgeLoss.EdgeHost.Protocol;
using static EdgeLoss.Tests.Protocol.WireKit;

namespace EdgeLoss.Tests.Protocol;

public class FrameTests
{
    [Fact]
    public void Crc_is_IEEE_crc32_of_header_and_body_little_endian()
    {
        // The check value of CRC-32/IEEE is crc("123456789") = 0xCBF43926. Make header + body spell "123456789":
        // version '1', type '2', sequence "34" (little-endian 0x3433), body "56789".
        byte[] frame = new byte[Frame.MaxLength];
        "56789"u8.CopyTo(Frame.Body(frame));
        int length = Frame.Seal(frame, (byte)'2', 0x3433, 5, version: (byte)'1');

        Assert.Equal(13, length);
        Assert.Equal("123456789"u8.ToArray(), frame.AsSpan(0, 9).ToArray());
        Assert.Equal(0xCBF43926u, BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(9)));
        Assert.Equal("31 32 33 34 35 36 37 38 39 26 39 f4 cb", ToHex(frame.AsSpan(0, length)));

        Assert.Equal(FrameCheck.Ok, Frame.TryParse(frame.AsSpan(0, length), out FrameView view));
        Assert.Equal((byte)'1', view.Version);
        Assert.Equal((byte)'2', view.Type);
        Assert.Equal(0x3433, view.Sequence);
        Assert.Equal("56789"u8.ToArray(), view.Body.ToArray());

        // On the wire: one COBS block (no zero inside) and the delimiter.
        byte[] wire = new byte[Frame.MaxEncodedLength];
        int n = Frame.Encode(frame.AsSpan(0, length), wire);
        Assert.Equal("0e 31 32 33 34 35 36 37 38 39 26 39 f4 cb 00", ToHex(wire.AsSpan(0, n)));
    }

    [Fact]
    public void Parse_rejects_short_frames_and_every_single_bit_error()
    {
        byte[] wire = Request(MessageType.Verify, 0xBEEF, Bytes(3, "bob", 2, 1, 2, 3, 4));
        byte[] frame = new byte[64];
        Assert.True(Cobs.TryDecode(wire.AsSpan(0, wire.Length - 1), frame, out int length));
        Assert.Equal(FrameCheck.Ok, Frame.TryParse(frame.AsSpan(0, length), out FrameView ok));
        Assert.Equal(0xBEEF, ok.Sequence);

        for (int bit = 0; bit < length * 8; bit++)
        {
            frame[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Equal(FrameCheck.BadCrc, Frame.TryParse(frame.AsSpan(0, length), out _));
            frame[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        for (int n = 0; n < Frame.MinLength; n++)
            Assert.Equal(FrameCheck.TooShort, Frame.TryParse(frame.AsSpan(0, n), out _));
        Assert.Equal(FrameCheck.TooLong, Frame.TryParse(new byte[Frame.MaxLength + 1], out _));
    }

    [Fact]
    public void Seal_refuses_a_body_larger_than_a_frame()
    {
        byte[] frame = new byte[Frame.MaxLength + 16];
        Assert.Equal(Frame.MaxLength, Frame.Seal(frame, 1, 0, Frame.MaxBodyLength));
        Assert.Throws<ArgumentOutOfRangeException>(() => Frame.Seal(frame, 1, 0, Frame.MaxBodyLength + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Frame.Seal(new byte[20], 1, 0, 13));
    }
}
