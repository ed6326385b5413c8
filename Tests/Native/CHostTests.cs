using System.Diagnostics;
using System.Globalization;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Native;

/// <summary>
/// Builds the sample C host (tools/chost) against the published libedgeloss.so with a plain cc for x64 and with
/// aarch64-linux-gnu-gcc for arm64, runs both (arm64 under qemu-aarch64) and checks the numbers they print against the
/// managed Runtime.
/// </summary>
[Collection(NativeCollection.Name)]
public sealed class CHostTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("edgeloss-chost-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Root => Repository.Root;

    private static (int Exit, string Output, string Error) Run(string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? Root };
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        Task<string> output = p.StandardOutput.ReadToEndAsync(), error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(); throw new TimeoutException($"{file} did not finish"); }
        return (p.ExitCode, output.Result, error.Result);
    }

    private string Build(string rid, string cc)
    {
        string libDir = Path.Combine(Root, "artifacts", rid);
        Assert.True(File.Exists(Path.Combine(libDir, "libedgeloss.so")), $"run tools/publish.sh {rid} first (tools/test.sh does)");
        string output = Path.Combine(dir, rid, "chost");
        var (exit, stdout, stderr) = Run("make", ["-C", Path.Combine(Root, "tools", "chost"), $"CC={cc}", $"LIBDIR={libDir}",
            $"INCLUDE={Path.Combine(Root, "EdgeHost", "Native")}", $"OUT={output}"]);
        Assert.True(exit == 0, $"make for {rid} failed:\n{stdout}\n{stderr}");
        return output;
    }

    private static Dictionary<string, string[]> Parse(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => g.Select(p => p.Length > 1 ? p[1] : "").ToArray());

    private static float[] Floats(string line) => line.Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    // The sample's deterministic vectors (xorshift32 seeded as main.c does).
    private static float[] MakeVector(uint seed, int dim)
    {
        uint s = unchecked(seed * 2654435761u + 1u);
        var v = new float[dim];
        for (int i = 0; i < dim; i++)
        {
            s ^= s << 13; s ^= s >> 17; s ^= s << 5;
            v[i] = (float)(s / 4294967296.0 - 0.5);
        }
        return v;
    }

    private static void CheckOutput(string output)
    {
        var o = Parse(output);
        Assert.Equal("1", o["abi"][0]);
        Assert.Equal(typeof(Reduction).Assembly.GetName().Version!.ToString(3), o["version"][0]);

        float[] softmax = Floats(o["softmax"][0]);
        double[] printed = [0.0321, 0.0871, 0.2369, 0.6439];
        for (int i = 0; i < 4; i++) Approx.Printed(printed[i], softmax[i], 4, $"softmax[{i}]");
        float[] large = Floats(o["softmax_large"][0]);
        Approx.Printed(0.0900, large[0], 4); Approx.Printed(0.2447, large[1], 4); Approx.Printed(0.6652, large[2], 4);
        float[] ce = Floats(o["ce_none"][0]);
        Approx.Printed(0.0092, ce[0], 4); Approx.Printed(0.1328, ce[1], 4); Approx.Printed(0.0247, ce[2], 4);
        Approx.Printed(0.0556, Floats(o["ce_mean"][0])[0], 4);
        Assert.Equal("status 1 message target[0] = 12 is outside [0, 3)", o["bad_target"][0]);

        // The margin heads, recomputed by the managed Runtime from the same vectors.
        float[] x = [.. MakeVector(100, 4), .. MakeVector(101, 4)];
        float[] w = [.. MakeVector(200, 4), .. MakeVector(201, 4), .. MakeVector(202, 4)];
        int[] y = [0, 2];
        float[] logits = new float[6], gx = new float[8], gw = new float[12];
        float loss = MarginHeads.Forward(MarginHeadOptions.ArcFace(64f, 0.5f), x, w, y, 4, logits, gx, gw);
        Approx.Equal(logits, Floats(o["arcface_logits"][0]), 1e-5, 1e-5, "arcface_logits");
        Approx.Equal(loss, Floats(o["arcface_loss"][0])[0], 1e-5, 1e-6, "arcface_loss");
        Approx.Equal(gx, Floats(o["arcface_grad_x"][0]), 1e-4, 1e-5, "arcface_grad_x");
        Approx.Equal(gw, Floats(o["arcface_grad_w"][0]), 1e-4, 1e-5, "arcface_grad_w");
        float sphere = MarginHeads.Forward(MarginHeadOptions.SphereFace(4, 5f), x, w, y, 4, default, default, default);
        Approx.Equal(sphere, Floats(o["sphereface_loss"][0])[0], 1e-5, 1e-6, "sphereface_loss");

        Assert.Equal("identities 5 templates 10", o["gallery"][0]);
        Assert.StartsWith("0 person-3 ", o["identify"][0]);
        Assert.Equal(3, o["identify"].Length);
        Assert.EndsWith("accepted 1", o["verify"][0]);
        Assert.StartsWith("person-3 ", o["verify"][0]);
        Assert.EndsWith("accepted 0", o["verify"][1]);
        Assert.StartsWith("status 3 message ", o["verify_unknown"][0]);
        Assert.Contains("nobody", o["verify_unknown"][0]);
        Assert.Equal("done", output.TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public void The_sample_builds_with_cc_and_prints_the_expected_values_on_x64()
    {
        string chost = Build("linux-x64", "cc");
        var (exit, output, error) = Run(chost, [Path.Combine(dir, "x64.elg")]);
        Assert.True(exit == 0, error);
        CheckOutput(output);
        // The file gallery it wrote reopens in the managed Runtime.
        using var gallery = EmbeddingGallery.Open(Path.Combine(dir, "x64.elg"), 128, EmbeddingStorage.F32);
        Assert.Equal((5, 10), gallery.Count);
    }

    [Fact]
    public void The_sample_cross_compiles_for_arm64_and_runs_under_qemu()
    {
        Assert.True(File.Exists("/usr/bin/aarch64-linux-gnu-gcc") && File.Exists("/usr/bin/qemu-aarch64"),
            "needs gcc-aarch64-linux-gnu and qemu-user (tools/test.sh installs them as root)");
        string chost = Build("linux-arm64", "aarch64-linux-gnu-gcc");
        var (exit, output, error) = Run("/usr/bin/qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", chost]);
        Assert.True(exit == 0, error);
        CheckOutput(output);
    }
}
