using System.Buffers.Binary;
using EdgeLoss.EdgeHost.Hosting;
using EdgeLoss.EdgeHost.Protocol;
using EdgeLoss.Tests.Host;

namespace EdgeLoss.Tests.EndToEnd;

/// <summary>
/// The proof that what users deploy works: the Native AOT binary artifacts/linux-x64/edgehost (tools/publish.sh),
/// started as its own process exactly as systemd or a person would, spoken to over a pseudo-terminal pair (a UART
/// stand-in) and a Unix socket by the in-process protocol client, and by its own <c>edgehost client</c> command.
/// Every answer is checked against a gallery computed here (<see cref="GalleryModel"/>).
/// </summary>
public sealed class PublishedHostTests : IDisposable
{
    private const string Rid = "linux-x64";
    private const int Dim = 16;
    private const float Threshold = 0.5f;

    /// <summary>Start and stop of the AOT binary take a fraction of a second; this is for a machine under load.</summary>
    private static readonly TimeSpan Patience = Net.Patience;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string[] Edgehost => PublishedBinary.Command(Rid);

    private string Gallery => _dir.File("faces.elg");

    private string Socket => _dir.File("edgehost.sock");

    /// <summary>
    /// Starts <c>edgehost serve</c> on <see cref="Gallery"/> and waits until it serves: the unix socket listens (its
    /// file is there), the serial line is open.
    /// </summary>
    private async Task<ChildProcess> ServeAsync(string[] command, string? socket, string? serial, TimeSpan patience, params string[] extra)
    {
        var args = new List<string> { "serve", "--gallery", Gallery, "--dim", Dim.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--threshold", "0.5" };
        if (socket is not null) args.AddRange(["--listen", "unix:" + socket]);
        if (serial is not null) args.AddRange(["--serial", serial]);
        args.AddRange(extra);
        ChildProcess host = ChildProcess.Start(command, [.. args]);
        try
        {
            if (socket is not null)
            {
                await host.WaitForLineAsync($"Listening on unix:{socket}", patience);
                Assert.True(File.Exists(socket), $"{socket} exists once the host listens");
            }
            if (serial is not null)
                await host.WaitForLineAsync($"Opened serial:{serial} at 115200 baud", patience);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static async Task<ProtocolClient> ConnectAsync(string target)
    {
        Stream stream = await Connect.OpenAsync(target, 115200, CancellationToken.None).WaitAsync(Patience);
        return new ProtocolClient(stream) { Timeout = Patience };
    }

    private static async Task<ProtocolException> RefusedAsync(Func<Task> request, Status status, string message)
    {
        ProtocolException e = await Assert.ThrowsAsync<ProtocolException>(request);
        Assert.Equal(message, e.HostMessage);
        Assert.Equal(status, e.Status);
        return e;
    }

    /// <summary>IDENTIFY through <paramref name="client"/>, checked id by id and score by score against the model.</summary>
    internal static async Task<EdgeLoss.Match[]> IdentifyAsync(ProtocolClient client, GalleryModel model, float[] probe, int k)
    {
        EdgeLoss.Match[] actual = await client.IdentifyAsync(probe, k);
        (string Id, double Score)[] expected = model.Identify(probe, k);
        Assert.Equal(expected.Select(m => m.Id), actual.Select(m => m.Id));
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i].Score, actual[i].Score, 2e-6);
        return actual;
    }

    /// <summary>The population of the scenarios: six templates of five identities, two of them with the same face.</summary>
    private sealed class People
    {
        public People(int seed)
        {
            var rng = new Random(seed);
            Alice = GalleryModel.Random(rng, Dim);
            AliceAgain = GalleryModel.Near(rng, Alice, 0.7);
            Bob = GalleryModel.Random(rng, Dim, 3f);          // any scale: the host normalizes
            Carol = GalleryModel.Random(rng, Dim, 0.01f);
            Erin = GalleryModel.Random(rng, Dim);
            Probes = [GalleryModel.Near(rng, Alice, 0.4), GalleryModel.Near(rng, Bob, 0.5), Carol, GalleryModel.Random(rng, Dim)];
        }

        public float[] Alice { get; }
        public float[] AliceAgain { get; }
        public float[] Bob { get; }
        public float[] Carol { get; }
        public float[] Erin { get; }
        public float[][] Probes { get; }

        /// <summary>Enrolls everyone through <paramref name="client"/>, checking each count against the model.</summary>
        public async Task EnrollAsync(ProtocolClient client, GalleryModel model)
        {
            // dave is enrolled with exactly carol's vector: their scores tie, and carol, enrolled first, ranks first.
            foreach (var (id, v) in new[] { ("alice", Alice), ("bob", Bob), ("carol", Carol), ("alice", AliceAgain), ("dave", Carol), ("erin", Erin) })
                Assert.Equal((uint)model.Enroll(id, v), await client.EnrollAsync(id, v));
        }
    }

    [Theory]
    [InlineData("serial")]
    [InlineData("unix")]
    public async Task Enroll_identify_verify_remove_and_stats_over(string transport)
    {
        using PtyPair? pty = transport == "serial" ? await PtyPair.StartAsync() : null;
        string? socket = pty is null ? Socket : null;
        using ChildProcess host = await ServeAsync(Edgehost, socket, pty?.A, Patience);
        // The host talks on end A of the pair; the test is the microcontroller on end B.
        Stream stream = await Connect.OpenAsync(pty is null ? "unix:" + socket : "serial:" + pty.B, 115200, CancellationToken.None).WaitAsync(Patience);
        using var client = new ProtocolClient(stream) { Timeout = Patience };

        Assert.Equal(new PingResponse(1, Dim, 0, 0, 0), await client.PingAsync());

        var model = new GalleryModel();
        var people = new People(seed: 6);
        await people.EnrollAsync(client, model);
        Assert.Equal(new PingResponse(1, Dim, 5, 6, 0), await client.PingAsync());

        foreach (float[] probe in people.Probes)
            foreach (int k in new[] { 1, 3, 32 })
                Assert.Equal(Math.Min(k, 5), (await IdentifyAsync(client, model, probe, k)).Length);

        EdgeLoss.Match[] twins = await IdentifyAsync(client, model, people.Carol, 2);
        Assert.Equal(["carol", "dave"], twins.Select(m => m.Id));
        Assert.Equal(twins[0].Score, twins[1].Score);
        Assert.Equal(1.0, twins[0].Score, 1e-6);

        // VERIFY: the best template's score, accepted at or above --threshold 0.5.
        VerifyResponse genuine = await client.VerifyAsync("alice", people.Probes[0]);
        Assert.Equal(model.Verify("alice", people.Probes[0]), genuine.Score, 2e-6);
        Assert.True(genuine.Score > Threshold + 0.05, $"premise: alice's probe scores {genuine.Score}");
        Assert.True(genuine.Accepted);
        VerifyResponse impostor = await client.VerifyAsync("alice", people.Erin);
        Assert.Equal(model.Verify("alice", people.Erin), impostor.Score, 2e-6);
        Assert.True(impostor.Score < Threshold - 0.05, $"premise: erin against alice scores {impostor.Score}");
        Assert.False(impostor.Accepted);

        // Requests with a good CRC but bad content: an ERROR with the request's sequence number, naming the problem.
        int errors = 0;
        await RefusedAsync(() => client.VerifyAsync("zoe", people.Alice), Status.NotFound, "identity \"zoe\" is not in the gallery");
        errors++;
        ProtocolException shortEmbedding = await Assert.ThrowsAsync<ProtocolException>(() => client.IdentifyAsync(people.Alice.AsMemory(1), 3));
        Assert.Equal(Status.Argument, shortEmbedding.Status);
        Assert.Contains("embedding", shortEmbedding.HostMessage);
        errors++;
        float[] nan = [.. people.Alice];
        nan[5] = float.NaN;
        ProtocolException nonFinite = await Assert.ThrowsAsync<ProtocolException>(() => client.EnrollAsync("frank", nan));
        Assert.Equal(Status.NonFinite, nonFinite.Status);
        Assert.Contains("NaN", nonFinite.HostMessage);
        errors++;

        // REMOVE, and an identity enrolled again counts from its new enrollment: dave now ranks before carol.
        Assert.Equal((uint)model.Remove("bob"), await client.RemoveAsync("bob"));
        await RefusedAsync(() => client.RemoveAsync("bob"), Status.NotFound, "identity \"bob\" is not in the gallery");
        errors++;
        Assert.Equal((uint)model.Remove("carol"), await client.RemoveAsync("carol"));
        Assert.Equal((uint)model.Enroll("carol", people.Carol), await client.EnrollAsync("carol", people.Carol));
        Assert.Equal(["dave", "carol"], (await IdentifyAsync(client, model, people.Carol, 3)).Take(2).Select(m => m.Id));
        foreach (float[] probe in people.Probes)
            Assert.DoesNotContain("bob", (await IdentifyAsync(client, model, probe, 32)).Select(m => m.Id));
        Assert.Equal(new PingResponse(1, Dim, 4, 5, 0), await client.PingAsync());

        // STATS counts every request as a good frame (itself included) and the ERRORs sent.
        StatsResponse before = await client.StatsAsync();
        Assert.Equal(new StatsResponse(client.LastSequence, 0, (ulong)errors), before);

        // A noisy line: a COBS block cut short by a delimiter, a frame too short to hold a header and CRC, and a PING
        // whose CRC is wrong. Each is dropped and counted, none is answered, and the next request is served.
        byte[] badCrc = new byte[Frame.MinLength];
        int length = Frame.Seal(badCrc, (byte)MessageType.Ping, 0x7777, 0);
        badCrc[length - 1] ^= 0x5A;
        byte[] wire = new byte[Frame.MaxEncodedLength];
        int n = Frame.Encode(badCrc.AsSpan(0, length), wire);
        await stream.WriteAsync((byte[])[0x05, 0x11, 0x22, 0x00, 0x02, 0x01, 0x00]);
        await stream.WriteAsync(wire.AsMemory(0, n));
        await stream.FlushAsync();
        Assert.Equal(new PingResponse(1, Dim, 4, 5, 0), await client.PingAsync());
        StatsResponse after = await client.StatsAsync();
        Assert.Equal(new StatsResponse(client.LastSequence, 3, (ulong)errors), after);
        Assert.Equal(0, client.StaleReplies);                                // nothing answered the noise
        Assert.Equal((ulong)client.LastSequence, client.Counters.FramesOk);   // one reply per request, no more
        Assert.Equal(0ul, client.Counters.FramesDropped);

        client.Dispose();
        Assert.Equal(0, await host.TerminateAsync(Patience));
        if (socket is not null)
            Assert.False(File.Exists(socket), "the socket file is removed at stop");
        Assert.Contains("edgehost stopped", host.StandardOutput);
        Assert.Equal("", host.StandardError);
    }

    [Fact]
    public async Task The_gallery_survives_a_restart_is_locked_while_served_and_refuses_changes_when_read_only()
    {
        var model = new GalleryModel();
        var people = new People(seed: 7);
        var before = new List<EdgeLoss.Match[]>();
        using (ChildProcess host = await ServeAsync(Edgehost, Socket, null, Patience))
        {
            using (ProtocolClient client = await ConnectAsync("unix:" + Socket))
            {
                await people.EnrollAsync(client, model);
                foreach (float[] probe in people.Probes)
                    before.Add(await IdentifyAsync(client, model, probe, 5));

                // A second host on the same file cannot open it, says why in one line, and leaves no socket behind.
                string other = _dir.File("other.sock");
                var (exit, log, error) = await ChildProcess.RunAsync(Edgehost, Patience,
                    "serve", "--gallery", Gallery, "--dim", "16", "--listen", "unix:" + other);
                Assert.Equal(1, exit);
                Assert.Equal($"edgehost: gallery file '{Gallery}' is open elsewhere (another process or another EmbeddingGallery holds its lock)\n", error);
                Assert.DoesNotContain("   at ", log);   // the reason, not a stack trace
                Assert.False(File.Exists(other));

                // The first host never noticed.
                Assert.Equal(new PingResponse(1, Dim, 5, 6, 0), await client.PingAsync());
            }

            Assert.Equal(0, await host.TerminateAsync(Patience));
            Assert.False(File.Exists(Socket), "the socket file is removed at stop");
            Assert.Equal("", host.StandardError);
        }

        byte[] file = await File.ReadAllBytesAsync(Gallery);
        using (ChildProcess host = await ServeAsync(Edgehost, Socket, null, Patience, "--read-only"))
        {
            Assert.Contains("(dim 16, f32, read-only)", host.StandardOutput);
            using (ProtocolClient client = await ConnectAsync("unix:" + Socket))
            {
                Assert.Equal(new PingResponse(1, Dim, 5, 6, 0), await client.PingAsync());
                for (int i = 0; i < people.Probes.Length; i++)
                {
                    // The same templates from the file: the same ids and bit for bit the same scores.
                    EdgeLoss.Match[] again = await client.IdentifyAsync(people.Probes[i], 5);
                    Assert.Equal(before[i], again);
                }
                await RefusedAsync(() => client.EnrollAsync("mallory", people.Erin), Status.Argument, "ENROLL: refused, this host's gallery is read-only");
                await RefusedAsync(() => client.RemoveAsync("alice"), Status.Argument, "REMOVE: refused, this host's gallery is read-only");
                Assert.Equal(new PingResponse(1, Dim, 5, 6, 0), await client.PingAsync());
                StatsResponse stats = await client.StatsAsync();
                Assert.Equal(new StatsResponse(client.LastSequence, 0, 2), stats);
            }
            Assert.Equal(0, await host.TerminateAsync(Patience));
        }
        Assert.Equal(file, await File.ReadAllBytesAsync(Gallery));   // read-only really wrote nothing
    }

    [Fact]
    public async Task The_client_command_talks_to_a_running_host()
    {
        using ChildProcess host = await ServeAsync(Edgehost, Socket, null, Patience);
        async Task<(int Exit, string Out, string Err)> Client(params string[] args) =>
            await ChildProcess.RunAsync(Edgehost, Patience, ["client", "--connect", "unix:" + Socket, .. args]);

        string Zeros(params (int At, string Value)[] set)
        {
            string[] v = [.. Enumerable.Repeat("0", Dim)];
            foreach (var (at, value) in set) v[at] = value;
            return string.Join(',', v);
        }

        Assert.Equal((0, "protocol 1 dim 16 identities 0 templates 0 storage f32\n", ""), await Client("ping"));
        Assert.Equal((0, "enrolled alice: 1 template(s)\n", ""), await Client("enroll", "alice", Zeros((0, "1"))));
        Assert.Equal((0, "enrolled alice: 2 template(s)\n", ""), await Client("enroll", "alice", Zeros((0, "0.6"), (1, "0.8"))));
        // A text file of numbers and a .f32 file work as well as inline numbers.
        string text = _dir.File("bob.txt"), f32 = _dir.File("probe.f32");
        await File.WriteAllTextAsync(text, string.Join('\n', Zeros((1, "2")).Split(',')));
        Assert.Equal((0, "enrolled bob: 1 template(s)\n", ""), await Client("enroll", "bob", text));
        byte[] bytes = new byte[4 * Dim];
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(0), 3f);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4), 4f);
        await File.WriteAllBytesAsync(f32, bytes);

        // (0.6, 0.8): alice's second template is the same direction (1), bob's (0, 1) scores 0.8.
        Assert.Equal((0, "1 alice 1.000000\n2 bob 0.800000\n", ""), await Client("identify", f32, "--k", "2"));
        Assert.Equal((0, "1 alice 1.000000\n", ""), await Client("identify", Zeros((0, "0.6"), (1, "0.8")), "--k", "1"));
        Assert.Equal((0, "score 0.600000 accepted\n", ""), await Client("verify", "bob", Zeros((1, "0.6"), (2, "0.8"))));
        Assert.Equal((0, "score 0.000000 rejected\n", ""), await Client("verify", "bob", Zeros((0, "1"))));
        Assert.Equal((0, "removed alice: 2 template(s)\n", ""), await Client("remove", "alice"));
        Assert.Equal((0, "protocol 1 dim 16 identities 1 templates 1 storage f32\n", ""), await Client("ping"));

        // Refused by the host: exit 1 and its message on stderr.
        Assert.Equal((1, "", "edgehost client: EL_ERR_NOT_FOUND (3): identity \"alice\" is not in the gallery\n"),
            await Client("verify", "alice", Zeros((0, "1"))));
        var (exit, output, error) = await Client("identify", "1,0,0");
        Assert.Equal((1, ""), (exit, output));
        Assert.StartsWith("edgehost client: EL_ERR_ARGUMENT (1): ", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        // Each of the 13 commands so far sent one request; the two refused ones got an ERROR.
        Assert.Equal((0, "frames_ok 13 frames_dropped 0 errors_sent 2\n", ""), await Client("stats"));

        // Usage: exit 2, naming the bad value. Unreachable: exit 3.
        Assert.Equal((2, "", "edgehost client: embedding[1] = \"x\" is not a number (nor a file that exists)\n"),
            await Client("identify", "1,x,0"));
        (exit, output, error) = await ChildProcess.RunAsync(Edgehost, Patience, "client", "--connect", "unix:" + _dir.File("nobody.sock"), "ping");
        Assert.Equal((3, ""), (exit, output));
        Assert.StartsWith($"edgehost client: cannot connect to unix:{_dir.File("nobody.sock")}: ", error);

        Assert.Equal(0, await host.TerminateAsync(Patience));
    }

    [Fact]
    public async Task A_corrupt_or_mismatched_gallery_stops_the_start_with_its_reason_and_no_stack_trace()
    {
        byte[] garbage = System.Text.Encoding.ASCII.GetBytes("this is not an EdgeLoss gallery file, just 48 bytes");
        await File.WriteAllBytesAsync(Gallery, garbage);
        var (exit, log, error) = await ChildProcess.RunAsync(Edgehost, Patience,
            "serve", "--gallery", Gallery, "--dim", "16", "--listen", "unix:" + Socket);
        Assert.Equal(1, exit);
        Assert.Equal($"edgehost: gallery file '{Gallery}' is corrupt at byte 0: not an EdgeLoss gallery file (bad magic)\n", error);
        Assert.Contains("edgehost cannot open the gallery: gallery file", log);
        Assert.DoesNotContain("   at ", log);
        Assert.False(File.Exists(Socket), "nothing listens when the gallery cannot open");
        Assert.Equal(garbage, await File.ReadAllBytesAsync(Gallery));   // a corrupt file is never touched

        // A valid file of another dimension: the reason names both.
        File.Delete(Gallery);
        using (EmbeddingGallery g = EmbeddingGallery.Open(Gallery, 8, EmbeddingStorage.F32)) { }
        (exit, log, error) = await ChildProcess.RunAsync(Edgehost, Patience,
            "serve", "--gallery", Gallery, "--dim", "16", "--listen", "unix:" + Socket);
        Assert.Equal(1, exit);
        Assert.StartsWith("edgehost: ", error);
        Assert.Contains("8", error);
        Assert.Contains("16", error);
        Assert.DoesNotContain("   at ", log);
    }

    [Fact]
    public async Task Invalid_settings_exit_2_with_one_line_naming_the_setting()
    {
        var (exit, output, error) = await ChildProcess.RunAsync(Edgehost, Patience,
            "serve", "--gallery", Gallery, "--dim", "0", "--listen", "unix:" + Socket);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Equal("edgehost: invalid settings: --dim (EdgeLoss:Dim) = 0 is outside [1, 2029]\n", error);
        Assert.False(File.Exists(Gallery), "nothing is created for settings that are refused");
    }

    [Fact]
    public async Task A_dimension_too_large_for_a_frame_is_refused_at_start_not_at_the_first_request()
    {
        // 2030 float32 values and a 63-byte id do not fit one 8192-byte frame. Such a host used to start, listen, and
        // then drop every connection; now the settings are refused before anything is opened.
        var (exit, output, error) = await ChildProcess.RunAsync(Edgehost, Patience,
            "serve", "--gallery", Gallery, "--dim", "2030", "--listen", "unix:" + Socket);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Equal("edgehost: invalid settings: --dim (EdgeLoss:Dim) = 2030 is outside [1, 2029] "
            + "(an ENROLL of 2030 float32 values with a 63-byte id does not fit one 8192-byte frame)\n", error);

        // The largest dimension is served: ENROLL with the longest id, then IDENTIFY.
        using ChildProcess host = ChildProcess.Start(Edgehost, "serve", "--gallery", Gallery, "--dim", "2029", "--listen", "unix:" + Socket);
        await host.WaitForLineAsync($"Listening on unix:{Socket}", Patience);
        using ProtocolClient client = await ConnectAsync("unix:" + Socket);
        float[] v = GalleryModel.Random(new Random(2029), 2029);
        string id = new('x', 63);
        Assert.Equal(1u, await client.EnrollAsync(id, v));
        EdgeLoss.Match[] top = await client.IdentifyAsync(v, 1);
        Assert.Equal(id, Assert.Single(top).Id);
        Assert.Equal(1.0, top[0].Score, 1e-5);
        Assert.Equal(0, await host.TerminateAsync(Patience));
    }
}
