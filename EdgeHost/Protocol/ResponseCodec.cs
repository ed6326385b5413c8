using System.Text;
using System.Text.Unicode;

namespace EdgeLoss.EdgeHost.Protocol;

/// <summary>
/// Response bodies (wire-protocol.md's table) and the ERROR body: encoders for the host, decoders for a client.
/// The decoders are as strict as the host's (exact lengths, valid ids) so a client notices a confused peer.
/// </summary>
internal static class ResponseCodec
{
    /// <summary>The longest ERROR message in bytes (its length is a u8).</summary>
    public const int MaxErrorMessageBytes = 255;

    // ---- encoders (host side) ------------------------------------------------------------------------------

    public static int Encode(PingResponse response, Span<byte> body)
    {
        var w = new BodyWriter(body);
        w.U16(response.ProtocolVersion);
        w.U16(response.Dimension);
        w.U32(response.Identities);
        w.U32(response.Templates);
        w.U8(response.Storage);
        return w.Written;
    }

    /// <summary>IDENTIFY's reply: u8 count, then count x (f32 score, id).</summary>
    public static int Encode(ReadOnlySpan<Match> matches, Span<byte> body)
    {
        if (matches.Length > byte.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(matches), matches.Length, $"matches has {matches.Length} entries, a reply holds at most 255");
        var w = new BodyWriter(body);
        w.U8((byte)matches.Length);
        for (int i = 0; i < matches.Length; i++)
        {
            w.F32(matches[i].Score);
            w.Id(matches[i].Id, "matches.Id");
        }
        return w.Written;
    }

    public static int Encode(VerifyResponse response, Span<byte> body)
    {
        var w = new BodyWriter(body);
        w.F32(response.Score);
        w.U8(response.Accepted ? (byte)1 : (byte)0);
        return w.Written;
    }

    public static int Encode(EnrollResponse response, Span<byte> body)
    {
        var w = new BodyWriter(body);
        w.U32(response.Templates);
        return w.Written;
    }

    public static int Encode(RemoveResponse response, Span<byte> body)
    {
        var w = new BodyWriter(body);
        w.U32(response.Removed);
        return w.Written;
    }

    public static int Encode(StatsResponse response, Span<byte> body)
    {
        var w = new BodyWriter(body);
        w.U64(response.FramesOk);
        w.U64(response.FramesDropped);
        w.U64(response.ErrorsSent);
        return w.Written;
    }

    /// <summary>ERROR: u8 status, u8 length, UTF-8 message cut to 255 bytes at a character boundary.</summary>
    public static int Encode(ErrorResponse response, Span<byte> body)
    {
        var w = new BodyWriter(body);
        w.U8((byte)response.Status);
        Span<byte> length = w.Take(1);
        Span<byte> room = body[w.Written..];
        if (room.Length > MaxErrorMessageBytes) room = room[..MaxErrorMessageBytes];
        // With too little room, FromUtf16 stops before the first character (or surrogate pair) that does not fit, so
        // the bytes written are whole characters. Unpaired surrogates become U+FFFD rather than failing the reply.
        Utf8.FromUtf16(response.Message, room, out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
        length[0] = (byte)written;
        w.Take(written);
        return w.Written;
    }

    // ---- decoders (client side) ----------------------------------------------------------------------------

    public static bool TryDecode(ReadOnlySpan<byte> body, out PingResponse response, out WireError error)
    {
        response = default;
        var r = new BodyReader(body, "PING response");
        if (!r.U16("protocol version", out ushort version, out error)
            || !r.U16("dim", out ushort dim, out error)
            || !r.U32("identities", out uint identities, out error)
            || !r.U32("templates", out uint templates, out error)
            || !r.U8("storage", out byte storage, out error)
            || !r.End(out error))
            return false;
        response = new PingResponse(version, dim, identities, templates, storage);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> body, out Match[] matches, out WireError error)
    {
        matches = [];
        var r = new BodyReader(body, "IDENTIFY response");
        if (!r.U8("count", out byte count, out error)) return false;
        var result = new Match[count];
        for (int i = 0; i < count; i++)
        {
            if (!r.F32("score", out float score, out error) || !r.Id("id", out string id, out error)) return false;
            result[i] = new Match(id, score);
        }
        if (!r.End(out error)) return false;
        matches = result;
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> body, out VerifyResponse response, out WireError error)
    {
        response = default;
        var r = new BodyReader(body, "VERIFY response");
        if (!r.F32("score", out float score, out error) || !r.U8("accepted", out byte accepted, out error)) return false;
        if (accepted > 1) return r.Fail(Status.Argument, $"accepted = {accepted} is not 0 or 1", out error);
        if (!r.End(out error)) return false;
        response = new VerifyResponse(score, accepted == 1);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> body, out EnrollResponse response, out WireError error)
    {
        response = default;
        var r = new BodyReader(body, "ENROLL response");
        if (!r.U32("templates", out uint templates, out error) || !r.End(out error)) return false;
        response = new EnrollResponse(templates);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> body, out RemoveResponse response, out WireError error)
    {
        response = default;
        var r = new BodyReader(body, "REMOVE response");
        if (!r.U32("removed", out uint removed, out error) || !r.End(out error)) return false;
        response = new RemoveResponse(removed);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> body, out StatsResponse response, out WireError error)
    {
        response = default;
        var r = new BodyReader(body, "STATS response");
        if (!r.U64("frames ok", out ulong ok, out error)
            || !r.U64("frames dropped", out ulong dropped, out error)
            || !r.U64("errors sent", out ulong errors, out error)
            || !r.End(out error))
            return false;
        response = new StatsResponse(ok, dropped, errors);
        return true;
    }

    /// <summary>An ERROR body. The message is human text: invalid UTF-8 in it shows as U+FFFD rather than failing.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> body, out ErrorResponse response, out WireError error)
    {
        response = default;
        var r = new BodyReader(body, "ERROR");
        if (!r.U8("status", out byte status, out error) || !r.U8("message length", out byte length, out error)) return false;
        if (r.Rest.Length != length)
            return r.Fail(Status.Argument, $"message length = {length} but the body has {MessageTypes.Bytes(r.Rest.Length)} left", out error);
        response = new ErrorResponse((Status)status, Encoding.UTF8.GetString(r.Rest));
        return true;
    }
}
