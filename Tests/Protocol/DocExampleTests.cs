using EdgeLoss.EdgeHost.Protocol;
using static EdgeLoss.Tests.Protocol.WireKit;

namespace EdgeLoss.Tests.Protocol;

/// <summary>
/// The worked example of docs/protocol.md, computed by the code and found verbatim in the document, so the two
/// cannot drift. (The hex was first computed independently with Python's zlib.crc32 and a separate COBS encoder.)
/// </summary>
public class DocExampleTests
{
    private const string PingDecoded = "01 01 01 00 0f e3 21 81";
    private const string PingWire = "04 01 01 01 05 0f e3 21 81 00";
    private const string PongDecoded = "01 81 01 00  01 00 80 00 02 00 00 00 03 00 00 00 00  3f 23 06 c6";
    private const string PongWire = "04 01 81 01 02 01 02 80 02 02 01 01 02 03 01 01 01 05 3f 23 06 c6 00";
    private const string UnknownWire = "04 01 42 07 05 10 77 a7 a5 00";

    private sealed class ExampleHost : IRequestHandler
    {
        public int Dimension => 128;
        public GalleryInfo Ping() => new(2, 3, 0);
        public int Identify(ReadOnlySpan<float> query, Span<Match> results) => throw new NotSupportedException();
        public VerifyResponse Verify(string id, ReadOnlySpan<float> probe) => throw new NotSupportedException();
        public uint Enroll(string id, ReadOnlySpan<float> embedding) => throw new NotSupportedException();
        public uint Remove(string id) => throw new NotSupportedException();
    }

    [Fact]
    public void Ping_request_and_reply_are_the_bytes_the_document_shows()
    {
        byte[] ping = Request(MessageType.Ping, 1, []);
        Assert.Equal(PingWire, ToHex(ping));
        byte[] decoded = new byte[16];
        Assert.True(Cobs.TryDecode(ping.AsSpan(0, ping.Length - 1), decoded, out int n));
        Assert.Equal(PingDecoded, ToHex(decoded.AsSpan(0, n)));

        var output = new System.Buffers.ArrayBufferWriter<byte>();
        new ProtocolSession(new ExampleHost()).Process(ping, output);
        Assert.Equal(PongWire, ToHex(output.WrittenSpan));
        Assert.True(Cobs.TryDecode(output.WrittenSpan[..^1], decoded = new byte[32], out n));
        Assert.Equal(PongDecoded.Replace("  ", " ", StringComparison.Ordinal), ToHex(decoded.AsSpan(0, n)));

        Received reply = ReadAll(output.WrittenSpan).Single();
        Assert.True(ResponseCodec.TryDecode(reply.Body, out PingResponse pong, out _));
        Assert.Equal(new PingResponse(1, 128, 2, 3, 0), pong);
    }

    [Fact]
    public void Unknown_type_example_gets_the_documented_error()
    {
        byte[] request = Request(0x42, 7, []);
        Assert.Equal(UnknownWire, ToHex(request));
        Received reply = Exchange(new ProtocolSession(new ExampleHost()), request).Single();
        Assert.Equal(7, reply.Sequence);
        AssertError(reply, Status.Argument, "type = 0x42 is not a request type (0x01 PING .. 0x06 STATS)");
        Assert.Equal(0x3b, reply.Body[1]);
    }

    [Fact]
    public void The_document_shows_these_bytes()
    {
        string doc = File.ReadAllText(FindDoc());
        foreach (string hex in new[] { PingDecoded, PingWire, PongDecoded, PongWire, UnknownWire,
                     "type = 0x42 is not a request type (0x01 PING .. 0x06 STATS)",
                     "version = 2 is not supported; this host speaks protocol version 1",
                     "ENROLL: refused, this host's gallery is read-only" })
            Assert.True(doc.Contains(hex, StringComparison.Ordinal), $"docs/protocol.md does not show \"{hex}\"");
    }

    private static string FindDoc()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "docs", "protocol.md");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException("docs/protocol.md not found above " + AppContext.BaseDirectory);
    }
}
