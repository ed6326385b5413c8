namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// Request bodies (wire-protocol.md's table): encoders for a client, decoders for the host. Encoders write into the
/// caller's span and return the length, throwing <see cref="ArgumentException"/> for arguments the wire cannot carry.
/// Decoders return false with a <see cref="WireError"/> for anything malformed and never throw.
/// </summary>
internal static class RequestCodec
{
    /// <summary>k of IDENTIFY: 1..32.</summary>
    public const int MaxK = 32;

    // ---- encoders (client side) -------------------------------------------------------------------------

    /// <summary>PING and STATS have an empty body.</summary>
    public static int EncodeEmpty(Span<byte> body) => 0;

    public static int Encode(IdentifyRequest request, Span<byte> body)
    {
        if (request.K is < 1 or > MaxK)
            throw new ArgumentOutOfRangeException("k", request.K, $"k = {request.K} is outside [1, {MaxK}]");
        var w = new BodyWriter(body);
        w.U8((byte)request.K);
        w.Embedding(request.Embedding, request.Encoding);
        return w.Written;
    }

    public static int Encode(VerifyRequest request, Span<byte> body)
    {
        var w = new BodyWriter(body);
        w.Id(request.Id);
        w.Embedding(request.Embedding, request.Encoding);
        return w.Written;
    }

    public static int Encode(EnrollRequest request, Span<byte> body)
    {
        var w = new BodyWriter(body);
        w.Id(request.Id);
        w.Embedding(request.Embedding, request.Encoding);
        return w.Written;
    }

    public static int Encode(RemoveRequest request, Span<byte> body)
    {
        var w = new BodyWriter(body);
        w.Id(request.Id);
        return w.Written;
    }

    // ---- decoders (host side). Embeddings are decoded into the caller's span of dim floats. --------------

    /// <summary>PING and STATS: the body must be empty.</summary>
    public static bool TryDecodeEmpty(ReadOnlySpan<byte> body, MessageType type, out WireError error) =>
        new BodyReader(body, MessageTypes.Name(type)).End(out error);

    public static bool TryDecode(ReadOnlySpan<byte> body, Span<float> embedding, out IdentifyRequest request, out WireError error)
    {
        request = default;
        var r = new BodyReader(body, "IDENTIFY");
        if (!r.U8("k", out byte k, out error)) return false;
        if (k is < 1 or > MaxK) return r.Fail(Status.Argument, $"k = {k} is outside [1, {MaxK}]", out error);
        if (!r.Embedding(embedding, out EmbeddingEncoding encoding, out error)) return false;
        request = new IdentifyRequest(k, embedding, encoding);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> body, Span<float> embedding, out VerifyRequest request, out WireError error)
    {
        request = default;
        var r = new BodyReader(body, "VERIFY");
        if (!r.Id("id", out string id, out error)) return false;
        if (!r.Embedding(embedding, out EmbeddingEncoding encoding, out error)) return false;
        request = new VerifyRequest(id, embedding, encoding);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> body, Span<float> embedding, out EnrollRequest request, out WireError error)
    {
        request = default;
        var r = new BodyReader(body, "ENROLL");
        if (!r.Id("id", out string id, out error)) return false;
        if (!r.Embedding(embedding, out EmbeddingEncoding encoding, out error)) return false;
        request = new EnrollRequest(id, embedding, encoding);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> body, out RemoveRequest request, out WireError error)
    {
        request = default;
        var r = new BodyReader(body, "REMOVE");
        if (!r.Id("id", out string id, out error) || !r.End(out error)) return false;
        request = new RemoveRequest(id);
        return true;
    }
}
