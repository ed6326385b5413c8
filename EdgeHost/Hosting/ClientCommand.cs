using System.CommandLine;
using System.Globalization;
using EdgeLoss.EdgeHost.Protocol;

namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>
/// <c>edgehost client</c>: the reference client of the wire protocol, to poke a running host (or a device that speaks
/// the protocol) from a shell. Embeddings are given as a file of little-endian float32 values (<c>.f32</c>), a text file
/// of numbers, or inline as comma-separated numbers.
/// </summary>
internal sealed class ClientCommand : Command
{
    public const int ExitRefused = 1, ExitUsage = 2, ExitUnreachable = 3;

    private readonly Option<string> connect = new("--connect")
    {
        HelpName = "unix:PATH|tcp://127.0.0.1:PORT|serial:DEVICE",
        Description = "Where the host listens: a local socket or a serial device.",
        Required = true,
        Recursive = true,
    };
    private readonly Option<int> baud = new("--baud") { Description = "Serial speed (default 115200).", DefaultValueFactory = _ => 115200, Recursive = true };
    private readonly Option<double> timeout = new("--timeout") { Description = "Seconds to wait for each reply (default 5).", DefaultValueFactory = _ => 5, Recursive = true };
    private readonly Option<string> encoding = new("--encoding") { Description = "How embeddings travel: f32, f16 or i8 (default f32).", DefaultValueFactory = _ => "f32", Recursive = true };

    public ClientCommand() : base("client", "Talk to a running edgehost: ping, stats, enroll, identify, verify, remove (the reference client).")
    {
        encoding.AcceptOnlyFromAmong("f32", "f16", "i8");
        Add(connect);
        Add(baud);
        Add(timeout);
        Add(encoding);

        var ping = new Command("ping", "Protocol version, dimension, counts and storage of the gallery.");
        ping.SetAction((r, ct) => Run(r, ct, async (client, output, ct2) =>
        {
            PingResponse p = await client.PingAsync(ct2).ConfigureAwait(false);
            await output.WriteLineAsync($"protocol {p.ProtocolVersion} dim {p.Dimension} identities {p.Identities} templates {p.Templates} storage {(p.Storage == 1 ? "i8" : "f32")}").ConfigureAwait(false);
        }));
        Add(ping);

        var stats = new Command("stats", "The host's frame counters.");
        stats.SetAction((r, ct) => Run(r, ct, async (client, output, ct2) =>
        {
            StatsResponse s = await client.StatsAsync(ct2).ConfigureAwait(false);
            await output.WriteLineAsync($"frames_ok {s.FramesOk} frames_dropped {s.FramesDropped} errors_sent {s.ErrorsSent}").ConfigureAwait(false);
        }));
        Add(stats);

        var embeddingArg = new Argument<string>("embedding") { Description = "A .f32 file, a text file of numbers, or inline numbers 0.1,0.2,..." };
        var idArg = new Argument<string>("id") { Description = "The identity (1..63 bytes of UTF-8)." };
        var k = new Option<int>("--k") { Description = "How many identities (1..32, default 5).", DefaultValueFactory = _ => 5 };

        var identify = new Command("identify", "1:N: the best identities for an embedding.") { embeddingArg, k };
        identify.SetAction((r, ct) => Run(r, ct, async (client, output, ct2) =>
        {
            float[] e = ReadEmbedding(r.GetValue(embeddingArg)!);
            EdgeLoss.Match[] matches = await client.IdentifyAsync(e, r.GetValue(k), ct2).ConfigureAwait(false);
            if (matches.Length == 0) await output.WriteLineAsync("no match (empty gallery)").ConfigureAwait(false);
            for (int i = 0; i < matches.Length; i++)
                await output.WriteLineAsync($"{i + 1} {matches[i].Id} {matches[i].Score.ToString("F6", CultureInfo.InvariantCulture)}").ConfigureAwait(false);
        }));
        Add(identify);

        var verify = new Command("verify", "1:1: the score of an embedding against one identity, and the host's decision.") { idArg, embeddingArg };
        verify.SetAction((r, ct) => Run(r, ct, async (client, output, ct2) =>
        {
            VerifyResponse v = await client.VerifyAsync(r.GetValue(idArg)!, ReadEmbedding(r.GetValue(embeddingArg)!), ct2).ConfigureAwait(false);
            await output.WriteLineAsync($"score {v.Score.ToString("F6", CultureInfo.InvariantCulture)} {(v.Accepted ? "accepted" : "rejected")}").ConfigureAwait(false);
        }));
        Add(verify);

        var enroll = new Command("enroll", "Add a template for an identity.") { idArg, embeddingArg };
        enroll.SetAction((r, ct) => Run(r, ct, async (client, output, ct2) =>
        {
            uint held = await client.EnrollAsync(r.GetValue(idArg)!, ReadEmbedding(r.GetValue(embeddingArg)!), ct2).ConfigureAwait(false);
            await output.WriteLineAsync($"enrolled {r.GetValue(idArg)}: {held} template(s)").ConfigureAwait(false);
        }));
        Add(enroll);

        var remove = new Command("remove", "Remove every template of an identity.") { idArg };
        remove.SetAction((r, ct) => Run(r, ct, async (client, output, ct2) =>
        {
            uint removed = await client.RemoveAsync(r.GetValue(idArg)!, ct2).ConfigureAwait(false);
            await output.WriteLineAsync($"removed {r.GetValue(idArg)}: {removed} template(s)").ConfigureAwait(false);
        }));
        Add(remove);
    }

    private async Task<int> Run(ParseResult r, CancellationToken ct, Func<ProtocolClient, TextWriter, CancellationToken, Task> body)
    {
        TextWriter output = r.InvocationConfiguration.Output, error = r.InvocationConfiguration.Error;
        Stream stream;
        try
        {
            stream = await Connect.OpenAsync(r.GetValue(connect)!, r.GetValue(baud), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException)
        {
            await error.WriteLineAsync($"edgehost client: {e.Message}").ConfigureAwait(false);
            return ExitUsage;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"edgehost client: cannot connect to {r.GetValue(connect)}: {e.Message}").ConfigureAwait(false);
            return ExitUnreachable;
        }
        using var client = new ProtocolClient(stream)
        {
            Timeout = TimeSpan.FromSeconds(r.GetValue(timeout)),
            Encoding = r.GetValue(encoding) switch { "f16" => EmbeddingEncoding.Float16, "i8" => EmbeddingEncoding.Int8, _ => EmbeddingEncoding.Float32 },
        };
        try
        {
            await body(client, output, ct).ConfigureAwait(false);
            return 0;
        }
        catch (ProtocolException e)
        {
            await error.WriteLineAsync($"edgehost client: {e.Message}").ConfigureAwait(false);
            return ExitRefused;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or TimeoutException)
        {
            await error.WriteLineAsync($"edgehost client: {e.Message}").ConfigureAwait(false);
            return e is ArgumentException or FormatException ? ExitUsage : ExitUnreachable;
        }
    }

    /// <summary>An embedding from a .f32 file (little-endian float32), a text file of numbers, or inline numbers.</summary>
    internal static float[] ReadEmbedding(string source)
    {
        if (File.Exists(source))
        {
            if (source.EndsWith(".f32", StringComparison.OrdinalIgnoreCase))
            {
                byte[] bytes = File.ReadAllBytes(source);
                if (bytes.Length == 0 || bytes.Length % 4 != 0)
                    throw new FormatException($"{source} has {bytes.Length} bytes: a .f32 file holds little-endian float32 values (a multiple of 4 bytes)");
                var values = new float[bytes.Length / 4];
                for (int i = 0; i < values.Length; i++)
                    values[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
                return values;
            }
            return ParseNumbers(File.ReadAllText(source), source);
        }
        return ParseNumbers(source, "embedding");
    }

    private static float[] ParseNumbers(string text, string what)
    {
        string[] parts = text.Split([',', ' ', '\t', '\r', '\n', ';'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new FormatException($"{what} holds no numbers");
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw new FormatException($"{what}[{i}] = \"{parts[i]}\" is not a number (nor a file that exists)");
        return values;
    }
}
