using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EdgeLoss.EdgeHost.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>
/// <c>edgehost demo</c>: the main job on its embedded default, with no hardware and no set-up. It creates a gallery
/// file, starts the real worker (the same host as <c>serve</c>) on a serial pseudo-terminal pair made with socat (or on
/// a Unix socket when socat is missing), enrolls a synthetic population over the wire, then plays a camera: noisy
/// views of enrolled people and of strangers, identified and verified over the real protocol. It prints what an
/// integrator wants to know: accuracy, accept/reject rates at the threshold, latency and throughput.
/// </summary>
internal sealed partial class DemoCommand : Command
{
    private readonly Option<int> people = new("--people") { Description = "Enrolled identities (default 500).", DefaultValueFactory = _ => 500 };
    private readonly Option<int> strangers = new("--strangers") { Description = "Identities never enrolled (default 100).", DefaultValueFactory = _ => 100 };
    private readonly Option<int> dim = new("--dim") { Description = "Embedding dimension (default 128, as SFace).", DefaultValueFactory = _ => 128 };
    private readonly Option<int> probes = new("--probes") { Description = "Camera frames to identify (default 400).", DefaultValueFactory = _ => 400 };
    private readonly Option<string> storage = new("--storage") { Description = "f32 or i8 (default f32).", DefaultValueFactory = _ => "f32" };
    private readonly Option<string> transport = new("--transport") { Description = "pty (socat pseudo-terminals, default when socat exists) or unix.", DefaultValueFactory = _ => "auto" };
    private readonly Option<int> seed = new("--seed") { Description = "Random seed (default 7).", DefaultValueFactory = _ => 7 };

    public DemoCommand() : base("demo", "Run a self-contained demonstration: a worker on a serial pseudo-terminal, a simulated camera, and a report.")
    {
        storage.AcceptOnlyFromAmong("f32", "i8");
        transport.AcceptOnlyFromAmong("auto", "pty", "unix");
        Add(people); Add(strangers); Add(dim); Add(probes); Add(storage); Add(transport); Add(seed);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult r, CancellationToken ct)
    {
        TextWriter output = r.InvocationConfiguration.Output, error = r.InvocationConfiguration.Error;
        int nPeople = r.GetValue(people), nStrangers = r.GetValue(strangers), d = r.GetValue(dim), nProbes = r.GetValue(probes);
        if (nPeople < 1 || nStrangers < 0 || d < 2 || d > EdgeHostOptions.MaxDim || nProbes < 1)
        {
            await error.WriteLineAsync($"edgehost demo: need --people >= 1, --strangers >= 0, --dim in 2..{EdgeHostOptions.MaxDim}, --probes >= 1 (got {nPeople}, {nStrangers}, {d}, {nProbes})").ConfigureAwait(false);
            return 2;
        }
        string mode = r.GetValue(transport)!;
        string? socat = FindOnPath("socat");
        bool usePty = mode == "pty" || (mode == "auto" && socat is not null);
        if (usePty && socat is null)
        {
            await error.WriteLineAsync("edgehost demo: --transport pty needs socat (Debian: apt-get install socat)").ConfigureAwait(false);
            return 2;
        }

        string dir = Path.Combine(Path.GetTempPath(), $"edgehost-demo-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        Process? socatProcess = null;
        try
        {
            string galleryPath = Path.Combine(dir, "gallery.elg");
            string hostSide, clientSide, transportText;
            if (usePty)
            {
                (socatProcess, hostSide, clientSide) = await StartPtyPairAsync(socat!, ct).ConfigureAwait(false);
                transportText = $"serial line (System.IO.Ports) on pseudo-terminal {hostSide} <-> {clientSide}";
            }
            else
            {
                hostSide = "unix:" + Path.Combine(dir, "edgehost.sock");
                clientSide = hostSide;
                transportText = $"Unix socket {hostSide[5..]} (socat not found: no pseudo-terminal)";
            }

            var settings = new Dictionary<string, string?>
            {
                ["EdgeLoss:Gallery"] = galleryPath,
                ["EdgeLoss:Dim"] = d.ToString(CultureInfo.InvariantCulture),
                ["EdgeLoss:Storage"] = r.GetValue(storage),
                [usePty ? "EdgeLoss:Serial" : "EdgeLoss:Listen:0"] = hostSide,
                ["Logging:LogLevel:Default"] = "Warning",
            };
            HostApplicationBuilder builder = ServeCommand.CreateBuilder(settings, dir);
            EdgeHostSettings hostSettings = EdgeHostSettings.Load(builder.Configuration);
            ServeCommand.ConfigureServices(builder.Services, hostSettings);
            using IHost host = builder.Build();
            var started = Stopwatch.StartNew();
            await host.StartAsync(ct).ConfigureAwait(false);

            await output.WriteLineAsync($"EdgeLoss demo: edgehost {ServeCommand.Version} serving {transportText}").ConfigureAwait(false);
            await output.WriteLineAsync($"gallery {galleryPath}, dim {d}, storage {r.GetValue(storage)}, threshold {hostSettings.Options.Threshold.ToString(CultureInfo.InvariantCulture)} (cosine)").ConfigureAwait(false);

            using var client = new ProtocolClient(await Connect.OpenAsync(clientSide, 115200, ct).ConfigureAwait(false)) { Timeout = TimeSpan.FromSeconds(10) };
            PingResponse ping = await client.PingAsync(ct).ConfigureAwait(false);
            double firstPingMs = started.Elapsed.TotalMilliseconds;

            var population = new Population(nPeople + nStrangers, d, r.GetValue(seed));
            var enrollTime = Stopwatch.StartNew();
            const int templatesPerPerson = 2;
            for (int p = 0; p < nPeople; p++)
                for (int t = 0; t < templatesPerPerson; t++)
                    await client.EnrollAsync(Population.Name(p), population.View(p), ct).ConfigureAwait(false);
            enrollTime.Stop();
            ping = await client.PingAsync(ct).ConfigureAwait(false);
            await output.WriteLineAsync($"enrolled {ping.Identities} people x {templatesPerPerson} templates = {ping.Templates} over the wire in {enrollTime.Elapsed.TotalSeconds:F2} s (each fsynced); first PING answered {firstPingMs:F0} ms after start").ConfigureAwait(false);

            // The camera: 80% enrolled people, 20% strangers; each frame is identified (top 5) and verified against a
            // claimed identity (its own for enrolled people, a random enrolled one for strangers).
            var rng = new Random(r.GetValue(seed) + 1);
            var identifyMs = new List<double>(nProbes);
            var verifyMs = new List<double>(nProbes);
            int genuine = 0, rank1 = 0, rank5 = 0, genuineAccepted = 0, impostors = 0, impostorAccepted = 0, openSetRejected = 0;
            var camera = Stopwatch.StartNew();
            for (int i = 0; i < nProbes; i++)
            {
                bool stranger = nStrangers > 0 && rng.NextDouble() < 0.2;
                int who = stranger ? nPeople + rng.Next(nStrangers) : rng.Next(nPeople);
                float[] frame = population.View(who);

                long t0 = Stopwatch.GetTimestamp();
                EdgeLoss.Match[] top = await client.IdentifyAsync(frame, 5, ct).ConfigureAwait(false);
                identifyMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);

                string claimed = stranger ? Population.Name(rng.Next(nPeople)) : Population.Name(who);
                t0 = Stopwatch.GetTimestamp();
                VerifyResponse v = await client.VerifyAsync(claimed, frame, ct).ConfigureAwait(false);
                verifyMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);

                if (stranger)
                {
                    impostors++;
                    if (v.Accepted) impostorAccepted++;
                    if (top.Length == 0 || top[0].Score < hostSettings.Options.Threshold) openSetRejected++;
                }
                else
                {
                    genuine++;
                    string name = Population.Name(who);
                    if (top.Length > 0 && top[0].Id == name) rank1++;
                    if (top.Any(m => m.Id == name)) rank5++;
                    if (v.Accepted) genuineAccepted++;
                }
            }
            camera.Stop();
            StatsResponse stats = await client.StatsAsync(ct).ConfigureAwait(false);

            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync($"camera: {nProbes} frames ({genuine} enrolled people, {impostors} strangers), IDENTIFY top-5 + VERIFY each").ConfigureAwait(false);
            await output.WriteLineAsync($"  identification  rank-1 {Percent(rank1, genuine)}   rank-5 {Percent(rank5, genuine)}   strangers rejected (best score < threshold) {Percent(openSetRejected, impostors)}").ConfigureAwait(false);
            await output.WriteLineAsync($"  verification    genuine accepted {Percent(genuineAccepted, genuine)}   impostors accepted {Percent(impostorAccepted, impostors)}").ConfigureAwait(false);
            await output.WriteLineAsync($"  latency (ms)    IDENTIFY {Percentiles(identifyMs)}").ConfigureAwait(false);
            await output.WriteLineAsync($"                  VERIFY   {Percentiles(verifyMs)}").ConfigureAwait(false);
            await output.WriteLineAsync($"  throughput      {nProbes / camera.Elapsed.TotalSeconds:F0} frames/s ({2 * nProbes / camera.Elapsed.TotalSeconds:F0} requests/s, one request in flight)").ConfigureAwait(false);
            await output.WriteLineAsync($"  host counters   frames ok {stats.FramesOk}, dropped {stats.FramesDropped}, errors sent {stats.ErrorsSent}").ConfigureAwait(false);

            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await output.WriteLineAsync("worker stopped cleanly; try it yourself: edgehost serve --gallery FILE --dim 128 --listen unix:/tmp/edgehost.sock").ConfigureAwait(false);
            return 0;
        }
        finally
        {
            if (socatProcess is { HasExited: false })
            {
                socatProcess.Kill();
                await socatProcess.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            socatProcess?.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string Percent(int n, int of) => of == 0 ? "n/a" : $"{100.0 * n / of:F1}% ({n}/{of})";

    private static string Percentiles(List<double> ms)
    {
        ms.Sort();
        double At(double q) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"p50 {At(0.50):F3}  p95 {At(0.95):F3}  p99 {At(0.99):F3}  max {ms[^1]:F3}");
    }

    /// <summary>Starts <c>socat -d -d pty,raw,echo=0 pty,raw,echo=0</c> and reads the two device paths it reports.</summary>
    private static async Task<(Process, string, string)> StartPtyPairAsync(string socat, CancellationToken ct)
    {
        var start = new ProcessStartInfo(socat, ["-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"]) { RedirectStandardError = true, UseShellExecute = false };
        Process process = Process.Start(start) ?? throw new IOException("socat did not start");
        var paths = new List<string>(2);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (paths.Count < 2)
        {
            string? line = await process.StandardError.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            if (line is null) throw new IOException("socat exited before reporting its pseudo-terminals");
            if (PtyLine().Match(line) is { Success: true } m) paths.Add(m.Groups[1].Value);
        }
        // Keep draining socat's log so it never blocks on a full pipe.
        _ = Task.Run(async () => { while (await process.StandardError.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is not null) { } }, CancellationToken.None);
        return (process, paths[0], paths[1]);
    }

    [GeneratedRegex(@"PTY is (/dev/pts/\d+)")]
    private static partial Regex PtyLine();

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Synthetic faces: each identity is a random direction; a camera view is that direction plus noise of the size
    /// that gives genuine pairs a cosine near 0.45, as real face embeddings do around SFace's 0.363 threshold, while
    /// strangers score near 0.
    /// </summary>
    private sealed class Population(int count, int dim, int seed)
    {
        private readonly float[][] centers = Enumerable.Range(0, count).Select(i => Unit(new Random(seed * 7919 + i), dim, null, 0f)).ToArray();
        private readonly Random noise = new(seed);

        public static string Name(int i) => $"person-{i:D4}";

        public float[] View(int i) => Unit(noise, dim, centers[i], 1.1f);

        private static float[] Unit(Random rng, int dim, float[]? center, float sigma)
        {
            var v = new float[dim];
            double norm = 0;
            for (int j = 0; j < dim; j++) { v[j] = (float)Gaussian(rng); norm += v[j] * v[j]; }
            float scale = (float)(1 / Math.Sqrt(norm));
            for (int j = 0; j < dim; j++) v[j] = center is null ? v[j] * scale : center[j] + sigma * v[j] * scale;
            if (center is not null)
            {
                norm = 0;
                foreach (float x in v) norm += x * x;
                scale = (float)(1 / Math.Sqrt(norm));
                for (int j = 0; j < dim; j++) v[j] *= scale;
            }
            return v;
        }

        private static double Gaussian(Random rng) =>
            Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
    }
}
