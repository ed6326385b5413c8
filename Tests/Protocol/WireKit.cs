using System.Buffers;
using EdgeLoss.EdgeHost.Protocol;

namespace EdgeLoss.Tests.Protocol;

/// <summary>A decoded frame, copied out of the reader's buffer.</summary>
internal sealed record Received(byte Version, byte Type, ushort Sequence, byte[] Body);

/// <summary>Small helpers to build wire bytes and read replies in tests.</summary>
internal static class WireKit
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>Lower-case hex, bytes separated by spaces, as docs/protocol.md prints them.</summary>
    public static string ToHex(ReadOnlySpan<byte> bytes) => string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>One request on the wire (COBS + delimiter).</summary>
    public static byte[] Request(MessageType type, ushort sequence, ReadOnlySpan<byte> body, byte version = Frame.ProtocolVersion) =>
        Frame.ToArray((byte)type, sequence, body, version);

    public static byte[] Request(byte type, ushort sequence, ReadOnlySpan<byte> body, byte version = Frame.ProtocolVersion) =>
        Frame.ToArray(type, sequence, body, version);

    /// <summary>Every good frame in <paramref name="wire"/>, read with a fresh reader.</summary>
    public static List<Received> ReadAll(ReadOnlySpan<byte> wire, FrameReader? reader = null)
    {
        reader ??= new FrameReader();
        var frames = new List<Received>();
        while (reader.TryRead(ref wire, out FrameView f))
            frames.Add(new Received(f.Version, f.Type, f.Sequence, f.Body.ToArray()));
        return frames;
    }

    /// <summary>Feeds <paramref name="input"/> to <paramref name="session"/> and returns the reply frames.</summary>
    public static List<Received> Exchange(ProtocolSession session, ReadOnlySpan<byte> input)
    {
        var output = new ArrayBufferWriter<byte>();
        session.Process(input, output);
        return ReadAll(output.WrittenSpan);
    }

    /// <summary>Sends one request and returns its single reply.</summary>
    public static Received Single(ProtocolSession session, MessageType type, ushort sequence, ReadOnlySpan<byte> body, byte version = Frame.ProtocolVersion)
    {
        List<Received> replies = Exchange(session, Frame.ToArray((byte)type, sequence, body, version));
        Assert.Single(replies);
        Assert.Equal(sequence, replies[0].Sequence);
        Assert.Equal(Frame.ProtocolVersion, replies[0].Version);
        return replies[0];
    }

    /// <summary>Asserts <paramref name="reply"/> is an ERROR with <paramref name="status"/> and <paramref name="message"/>.</summary>
    public static void AssertError(Received reply, Status status, string message)
    {
        Assert.True(reply.Type == (byte)MessageType.Error, $"expected an ERROR, got type 0x{reply.Type:X2}");
        Assert.True(ResponseCodec.TryDecode(reply.Body, out ErrorResponse error, out WireError malformed), malformed.Message);
        Assert.Equal(message, error.Message);
        Assert.Equal(status, error.Status);
    }

    /// <summary>A body built with a <see cref="BodyWriter"/>-free byte list, for malformed bodies.</summary>
    public static byte[] Bytes(params object[] parts)
    {
        var bytes = new List<byte>();
        foreach (object part in parts)
        {
            switch (part)
            {
                case byte b: bytes.Add(b); break;
                case int i: bytes.Add(checked((byte)i)); break;
                case string s: bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(s)); break;
                case byte[] a: bytes.AddRange(a); break;
                case float f: bytes.AddRange(BitConverter.GetBytes(f)); break;
                case float[] fs: foreach (float f in fs) bytes.AddRange(BitConverter.GetBytes(f)); break;
                default: throw new ArgumentException($"unsupported part {part.GetType()}");
            }
        }
        return bytes.ToArray();
    }
}

/// <summary>
/// An in-memory gallery behind <see cref="IRequestHandler"/>: cosine scores over normalized templates, a verify
/// threshold of 0.5. It records what it was called with, and throws <see cref="Throw"/> once when set.
/// </summary>
internal sealed class FakeGallery(int dimension = 4) : IRequestHandler
{
    private readonly Dictionary<string, List<float[]>> _templates = new(StringComparer.Ordinal);

    public int Dimension { get; } = dimension;
    public Exception? Throw { get; set; }
    public float[]? LastEmbedding { get; private set; }
    public string? LastId { get; private set; }
    public int Calls { get; private set; }
    /// <summary>Overrides what Identify returns (count, matches), to test a misbehaving handler.</summary>
    public Func<Span<Match>, int>? IdentifyOverride { get; set; }

    public GalleryInfo Ping()
    {
        Enter(null, default);
        return new GalleryInfo((uint)_templates.Count, (uint)_templates.Values.Sum(t => t.Count), 0);
    }

    public int Identify(ReadOnlySpan<float> query, Span<Match> results)
    {
        Enter(null, query);
        if (IdentifyOverride is not null) return IdentifyOverride(results);
        float[] q = Normalize(query);
        var best = _templates.Select(kv => new Match(kv.Key, kv.Value.Max(t => Dot(q, t))))
            .OrderByDescending(m => m.Score).ThenBy(m => m.Id, StringComparer.Ordinal).Take(results.Length).ToArray();
        best.CopyTo(results);
        return best.Length;
    }

    public VerifyResponse Verify(string id, ReadOnlySpan<float> probe)
    {
        Enter(id, probe);
        if (!_templates.TryGetValue(id, out List<float[]>? list)) throw new KeyNotFoundException($"id = \"{id}\" is not enrolled");
        float[] q = Normalize(probe);
        float score = list.Max(t => Dot(q, t));
        return new VerifyResponse(score, score >= 0.5f);
    }

    public uint Enroll(string id, ReadOnlySpan<float> embedding)
    {
        Enter(id, embedding);
        float[] t = Normalize(embedding);
        if (!_templates.TryGetValue(id, out List<float[]>? list)) _templates[id] = list = [];
        list.Add(t);
        return (uint)list.Count;
    }

    public uint Remove(string id)
    {
        Enter(id, default);
        if (!_templates.Remove(id, out List<float[]>? list)) throw new KeyNotFoundException($"id = \"{id}\" is not enrolled");
        return (uint)list.Count;
    }

    private void Enter(string? id, ReadOnlySpan<float> embedding)
    {
        Calls++;
        LastId = id;
        LastEmbedding = embedding.ToArray();
        if (Throw is { } e) { Throw = null; throw e; }
    }

    private static float[] Normalize(ReadOnlySpan<float> v)
    {
        double norm = 0;
        foreach (float x in v) norm += (double)x * x;
        if (norm == 0) throw new NonFiniteInputException("embedding has norm 0", "embedding");
        float[] u = v.ToArray();
        for (int i = 0; i < u.Length; i++) u[i] = (float)(u[i] / Math.Sqrt(norm));
        return u;
    }

    private static float Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return (float)s;
    }
}
