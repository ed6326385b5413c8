using EdgeLoss.EdgeHost.Protocol;

namespace EdgeLoss.Tests.Protocol;

public class CobsTests
{
    // The examples of the Wikipedia COBS article (which follow Cheshire & Baker's definition: code c < 0xFF = c - 1
    // data bytes then an implied zero, except after the last block; 0xFF = 254 data bytes and no zero). Each was
    // checked by hand against that definition; the trailing 00 is the frame delimiter, not part of the encoding.
    public static TheoryData<string, string, string> WikipediaExamples => new()
    {
        { "1", "00", "01 01 00" },
        { "2", "00 00", "01 01 01 00" },
        { "3", "00 11 00", "01 02 11 01 00" },
        { "4", "11 22 00 33", "03 11 22 02 33 00" },
        { "5", "11 22 33 44", "05 11 22 33 44 00" },
        { "6", "11 00 00 00", "02 11 01 01 01 00" },
        { "7", "01..FE", "FF 01..FE 00" },
        { "8", "00..FE", "01 FF 01..FE 00" },
        { "9", "01..FF", "FF 01..FE 02 FF 00" },
        { "10", "02..FF 00", "FF 02..FF 01 01 00" },
        { "11", "03..FF 00 01", "FE 03..FF 02 01 00" },
    };

    [Theory]
    [MemberData(nameof(WikipediaExamples))]
    public void Encodes_and_decodes_the_published_examples(string example, string decoded, string encoded)
    {
        byte[] source = Expand(decoded);
        byte[] expected = Expand(encoded);
        Assert.Equal(0, expected[^1]);

        byte[] buffer = new byte[Cobs.MaxEncodedLength(source.Length)];
        int n = Cobs.Encode(source, buffer);
        Assert.True(expected.AsSpan(0, expected.Length - 1).SequenceEqual(buffer.AsSpan(0, n)),
            $"example {example}: encoded {Convert.ToHexString(buffer, 0, n)}, expected {Convert.ToHexString(expected)}");

        byte[] back = new byte[source.Length];
        Assert.True(Cobs.TryDecode(expected.AsSpan(0, expected.Length - 1), back, out int written), $"example {example} does not decode");
        Assert.Equal(source, back.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Example_lengths_check_the_definition()
    {
        // Independently of the table: 254 non-zero bytes are one full block (no zero implied, no extra block);
        // 255 non-zero bytes need a second block.
        Assert.Equal(255, Cobs.Encode(Expand("01..FE"), new byte[256]));
        Assert.Equal(257, Cobs.Encode(Expand("01..FF"), new byte[257]));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(253, 254)]
    [InlineData(254, 255)]
    [InlineData(255, 257)]
    [InlineData(508, 510)]
    [InlineData(509, 512)]
    [InlineData(8192, 8192 + 33)]
    public void Max_encoded_length_is_one_byte_per_254_and_tight_for_zero_free_input(int length, int expected)
    {
        Assert.Equal(expected, Cobs.MaxEncodedLength(length));
        if (length == 0) return;
        byte[] noZeros = new byte[length];
        for (int i = 0; i < length; i++) noZeros[i] = (byte)(1 + i % 255);
        Assert.Equal(expected, Cobs.Encode(noZeros, new byte[expected]));
    }

    [Fact]
    public void Round_trips_random_lengths_including_block_boundaries()
    {
        var random = new Random(20240611);
        var lengths = new List<int> { 0, 1, 2, 252, 253, 254, 255, 256, 507, 508, 509, 762, 8191, 8192, 8193, 9000 };
        for (int i = 0; i < 300; i++) lengths.Add(random.Next(0, 9001));

        foreach (int length in lengths)
        {
            // Zero densities from none to all: runs hit 254 exactly only when zeros are rare.
            foreach (double zeroRate in new[] { 0.0, 0.001, 0.01, 0.3, 1.0 })
            {
                byte[] source = new byte[length];
                for (int i = 0; i < length; i++)
                    source[i] = random.NextDouble() < zeroRate ? (byte)0 : (byte)random.Next(1, 256);
                RoundTrip(source, $"length {length}, zero rate {zeroRate}");
            }
        }
    }

    [Fact]
    public void Round_trips_every_run_length_around_the_block_size()
    {
        // A zero placed at every offset 0..520 of a 600-byte zero-free string crosses each block boundary case.
        for (int at = 0; at <= 520; at++)
        {
            byte[] source = new byte[600];
            for (int i = 0; i < source.Length; i++) source[i] = (byte)(1 + i % 250);
            source[at] = 0;
            RoundTrip(source, $"zero at {at}");
            RoundTrip(source.AsSpan(0, at + 1).ToArray(), $"ends with the zero at {at}");
        }
    }

    [Theory]
    [InlineData("", "empty input is not an encoding (the shortest is 01)")]
    [InlineData("05 11 22", "code 05 promises 4 bytes, 2 follow")]
    [InlineData("02 11 03 22", "second block truncated")]
    [InlineData("03 11 00 22", "a zero inside")]
    [InlineData("00", "a zero code")]
    public void Rejects_invalid_encodings(string hex, string why)
    {
        byte[] source = Convert.FromHexString(hex.Replace(" ", ""));
        Assert.False(Cobs.TryDecode(source, new byte[64], out int written), why);
        Assert.Equal(0, written);
    }

    [Fact]
    public void Decode_reports_a_destination_too_small_instead_of_writing_past_it()
    {
        byte[] encoded = Expand("03 11 22 02 33");      // 11 22 00 33
        Assert.False(Cobs.TryDecode(encoded, new byte[3], out _));
        Assert.False(Cobs.TryDecode(encoded, new byte[2], out _));
        Assert.True(Cobs.TryDecode(encoded, new byte[4], out int n));
        Assert.Equal(4, n);
    }

    [Fact]
    public void Encode_refuses_a_destination_smaller_than_the_bound()
    {
        var e = Assert.Throws<ArgumentException>(() => Cobs.Encode(new byte[10], new byte[10]));
        Assert.Contains("needs up to 11", e.Message);
    }

    private static void RoundTrip(byte[] source, string what)
    {
        byte[] encoded = new byte[Cobs.MaxEncodedLength(source.Length)];
        int n = Cobs.Encode(source, encoded);
        Assert.True(n <= encoded.Length, what);
        Assert.True(encoded.AsSpan(0, n).IndexOf((byte)0) < 0, $"{what}: the encoding holds a zero");
        byte[] decoded = new byte[source.Length];
        Assert.True(Cobs.TryDecode(encoded.AsSpan(0, n), decoded, out int written), $"{what}: does not decode");
        Assert.Equal(source.Length, written);
        Assert.True(source.AsSpan().SequenceEqual(decoded), $"{what}: decodes to different bytes");
    }

    /// <summary>Hex bytes separated by spaces, where "AA..BB" is the inclusive run AA, AA+1, ..., BB.</summary>
    internal static byte[] Expand(string spec)
    {
        var bytes = new List<byte>();
        foreach (string token in spec.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int dots = token.IndexOf("..", StringComparison.Ordinal);
            if (dots < 0) { bytes.Add(Convert.ToByte(token, 16)); continue; }
            int from = Convert.ToInt32(token[..dots], 16), to = Convert.ToInt32(token[(dots + 2)..], 16);
            for (int b = from; b <= to; b++) bytes.Add((byte)b);
        }
        return bytes.ToArray();
    }
}
