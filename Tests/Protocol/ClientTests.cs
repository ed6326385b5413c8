using System.Net.Sockets;
using EdgeLoss.EdgeHost.Protocol;
using static EdgeLoss.Tests.Protocol.WireKit;

namespace EdgeLoss.Tests.Protocol;

/// <summary>A connected pair of Unix-domain stream sockets: the transport the worker will serve, minus the worker.</summary>
internal sealed class SocketPair : IDisposable
{
    public required NetworkStream Host { get; init; }
    public required NetworkStream Client { get; init; }

    public static async Task<SocketPair> CreateAsync()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edgeloss-{Guid.NewGuid():N}.sock");
        var endPoint = new UnixDomainSocketEndPoint(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endPoint);
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Task<Socket> accept = listener.AcceptAsync();
        await client.ConnectAsync(endPoint);
        Socket host = await accept;
        File.Delete(path);
        return new SocketPair { Host = new NetworkStream(host, ownsSocket: true), Client = new NetworkStream(client, ownsSocket: true) };
    }

    public void Dispose()
    {
        Host.Dispose();
        Client.Dispose();
    }
}

/// <summary>A scripted host: reads request frames off a stream so a test can answer them however it likes.</summary>
internal sealed class ScriptedHost(Stream stream)
{
    private readonly FrameReader _reader = new();
    private readonly Queue<Received> _frames = new();
    private readonly byte[] _buffer = new byte[4096];

    /// <summary>Every raw byte received, to check what the client put on the wire.</summary>
    public List<byte> Raw { get; } = [];

    public async Task<Received> NextRequestAsync()
    {
        while (_frames.Count == 0)
        {
            int n = await stream.ReadAsync(_buffer);
            if (n == 0) throw new EndOfStreamException();
            Raw.AddRange(_buffer.AsSpan(0, n));
            foreach (Received f in ReadAll(_buffer.AsSpan(0, n), _reader)) _frames.Enqueue(f);
        }
        return _frames.Dequeue();
    }

    public async Task SendAsync(byte[] wire)
    {
        await stream.WriteAsync(wire);
        await stream.FlushAsync();
    }
}

public class ClientTests
{
    [Fact]
    public async Task Client_and_session_speak_every_message_over_a_socket()
    {
        using SocketPair pair = await SocketPair.CreateAsync();
        var session = new ProtocolSession(new FakeGallery());
        Task serving = session.RunAsync(pair.Host);

        using (var client = new ProtocolClient(pair.Client, leaveOpen: true))
        {
            Assert.Equal(new PingResponse(1, 4, 0, 0, 0), await client.PingAsync());
            Assert.Equal(1, client.LastSequence);

            Assert.Equal(1u, await client.EnrollAsync("alice", new float[] { 1, 0, 0, 0 }));
            client.Encoding = EmbeddingEncoding.Float16;
            Assert.Equal(2u, await client.EnrollAsync("alice", new float[] { 0.6f, 0.8f, 0, 0 }));
            client.Encoding = EmbeddingEncoding.Int8;
            Assert.Equal(1u, await client.EnrollAsync("bob", new float[] { 0, 0, 3, 4 }));

            Match[] matches = await client.IdentifyAsync(new float[] { 0, 0, 0, 2 }, 2);
            Assert.Equal(new[] { "bob", "alice" }, matches.Select(m => m.Id));
            Assert.Equal(102 / Math.Sqrt(76 * 76 + 102 * 102), matches[0].Score, 5);   // bob travelled as int8 (0, 0, 76, 102)
            Assert.Equal(0, matches[1].Score, 6);

            client.Encoding = EmbeddingEncoding.Float32;
            VerifyResponse verify = await client.VerifyAsync("alice", new float[] { 0, 1, 0, 0 });
            Assert.True(verify.Accepted);
            Assert.Equal(0.8, verify.Score, 3);

            Assert.Equal(2u, await client.RemoveAsync("alice"));

            var error = await Assert.ThrowsAsync<ProtocolException>(() => client.RemoveAsync("alice"));
            Assert.Equal(Status.NotFound, error.Status);
            Assert.Equal("id = \"alice\" is not enrolled", error.HostMessage);
            Assert.Equal("EL_ERR_NOT_FOUND (3): id = \"alice\" is not enrolled", error.Message);

            var nonFinite = await Assert.ThrowsAsync<ProtocolException>(() => client.VerifyAsync("bob", new float[] { 0, float.NaN, 0, 0 }));
            Assert.Equal(Status.NonFinite, nonFinite.Status);
            Assert.Equal("VERIFY: embedding[1] = NaN is not finite", nonFinite.HostMessage);

            var wrongDim = await Assert.ThrowsAsync<ProtocolException>(() => client.IdentifyAsync(new float[3], 1));
            Assert.Equal("IDENTIFY: embedding has 12 bytes of float32 data, expected 16 (dim 4 x 4)", wrongDim.HostMessage);

            // Arguments the wire cannot carry fail on the client, before anything is sent.
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.IdentifyAsync(new float[4], 33));
            await Assert.ThrowsAsync<ArgumentException>(() => client.EnrollAsync(new string('x', 64), new float[4]));

            StatsResponse stats = await client.StatsAsync();
            Assert.Equal(new StatsResponse(11, 0, 3), stats);   // the 11 frames sent; 3 were refused
        }

        pair.Client.Socket.Shutdown(SocketShutdown.Send);
        await serving.WaitAsync(TimeSpan.FromSeconds(30));          // the session ends when the stream ends
    }

    [Fact]
    public async Task The_first_request_is_led_by_a_flushing_delimiter_and_noise_before_a_reply_is_skipped()
    {
        using SocketPair pair = await SocketPair.CreateAsync();
        var host = new ScriptedHost(pair.Host);
        using var client = new ProtocolClient(pair.Client, leaveOpen: true);

        Task<StatsResponse> call = client.StatsAsync();
        Received request = await host.NextRequestAsync();
        Assert.Equal(0x06, request.Type);
        Assert.Equal(0, host.Raw[0]);                                   // the flush
        Assert.Equal(Request(MessageType.Stats, 1, []), host.Raw.Skip(1).ToArray());

        byte[] reply = Frame.ToArray(0x86, 1, Body(b => ResponseCodec.Encode(new StatsResponse(1, 2, 3), b)));
        await host.SendAsync([.. Hex("37 99 00 02 00"), .. reply]);    // a broken frame and a short one, then the reply
        Assert.Equal(new StatsResponse(1, 2, 3), await call);
        Assert.Equal(2ul, client.Counters.FramesDropped);

        // The second request has no flush in front.
        Task<PingResponse> ping = client.PingAsync();
        await host.NextRequestAsync();
        Assert.Equal(Request(MessageType.Ping, 2, []), host.Raw.Skip(1 + Request(MessageType.Stats, 1, []).Length).ToArray());
        await host.SendAsync(Frame.ToArray(0x81, 2, Body(b => ResponseCodec.Encode(new PingResponse(1, 4, 0, 0, 0), b))));
        await ping;
    }

    [Fact]
    public async Task A_timed_out_request_throws_and_its_late_reply_is_skipped()
    {
        using SocketPair pair = await SocketPair.CreateAsync();
        var host = new ScriptedHost(pair.Host);
        using var client = new ProtocolClient(pair.Client, leaveOpen: true) { Timeout = TimeSpan.FromMilliseconds(300) };

        Task<uint> first = client.RemoveAsync("bob");
        Received request = await host.NextRequestAsync();
        Assert.Equal(1, request.Sequence);
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => first);
        Assert.Equal("no reply to REMOVE (sequence 1) within 0.3 s", timeout.Message);

        client.Timeout = TimeSpan.FromSeconds(30);
        Task<uint> second = client.RemoveAsync("bob");
        int before = host.Raw.Count;
        request = await host.NextRequestAsync();
        Assert.Equal(2, request.Sequence);
        Assert.Equal(0, host.Raw[before]);                               // flushed again after the timeout

        await host.SendAsync([
            .. Frame.ToArray(0x85, 1, Body(b => ResponseCodec.Encode(new RemoveResponse(7), b))),   // too late
            .. Frame.ToArray(0x85, 2, Body(b => ResponseCodec.Encode(new RemoveResponse(3), b))),
        ]);
        Assert.Equal(3u, await second);
        Assert.Equal(1, client.StaleReplies);
    }

    [Fact]
    public async Task Malformed_or_mismatched_replies_and_a_closed_stream_are_reported()
    {
        using SocketPair pair = await SocketPair.CreateAsync();
        var host = new ScriptedHost(pair.Host);
        using var client = new ProtocolClient(pair.Client, leaveOpen: true);

        Task<PingResponse> ping = client.PingAsync();
        await host.NextRequestAsync();
        await host.SendAsync(Frame.ToArray(0x83, 1, []));
        var wrongType = await Assert.ThrowsAsync<InvalidDataException>(() => ping);
        Assert.Equal("the reply to PING (sequence 1) has type = 0x83, expected 0x81", wrongType.Message);

        Task<uint> enroll = client.EnrollAsync("bob", new float[4]);
        await host.NextRequestAsync();
        await host.SendAsync(Frame.ToArray(0x84, 2, Hex("01 00")));
        var shortBody = await Assert.ThrowsAsync<InvalidDataException>(() => enroll);
        Assert.Equal("malformed reply: ENROLL response: body of 2 bytes ends before templates", shortBody.Message);

        Task<StatsResponse> stats = client.StatsAsync();
        await host.NextRequestAsync();
        await host.SendAsync(Frame.ToArray(0xFF, 3, Body(b => ResponseCodec.Encode(new ErrorResponse(Status.Capacity, "full"), b))));
        Assert.Equal(Status.Capacity, (await Assert.ThrowsAsync<ProtocolException>(() => stats)).Status);

        Task<StatsResponse> last = client.StatsAsync();
        await host.NextRequestAsync();
        pair.Host.Socket.Shutdown(SocketShutdown.Send);
        var end = await Assert.ThrowsAsync<EndOfStreamException>(() => last);
        Assert.Equal("the stream ended before the reply to STATS (sequence 4)", end.Message);
    }

    /// <summary>A stream whose first read fails, and whose later reads return <see cref="Replies"/>.</summary>
    private sealed class FailingOnceStream : Stream
    {
        private int _reads;
        public byte[] Replies { get; set; } = [];
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            if (_reads++ == 0) return Task.FromException<int>(new IOException("serial line lost"));
            Replies.CopyTo(buffer, offset);
            int n = Replies.Length;
            Replies = [];
            return Task.FromResult(n);
        }
        public override void Write(byte[] buffer, int offset, int count) { }
        public override void Flush() { }
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public async Task A_failed_read_surfaces_once_and_the_next_request_reads_again()
    {
        var stream = new FailingOnceStream();
        using var client = new ProtocolClient(stream);
        var e = await Assert.ThrowsAsync<IOException>(() => client.PingAsync());
        Assert.Equal("serial line lost", e.Message);

        stream.Replies = Frame.ToArray(0x81, 2, Body(b => ResponseCodec.Encode(new PingResponse(1, 4, 0, 0, 0), b)));
        Assert.Equal(new PingResponse(1, 4, 0, 0, 0), await client.PingAsync());
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Timeout = TimeSpan.Zero);
        client.Timeout = Timeout.InfiniteTimeSpan;
    }

    private static byte[] Body(Func<byte[], int> encode)
    {
        byte[] body = new byte[Frame.MaxBodyLength];
        return body.AsSpan(0, encode(body)).ToArray();
    }
}
