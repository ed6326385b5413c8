using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EdgeLoss.Tests.Generators;

/// <summary>
/// The package as a consumer gets it: `dotnet pack Runtime` into a temporary feed, a throwaway console project that
/// references only EdgeLoss.Runtime from that feed (System.Numerics.Tensors from nuget.org or the machine's cache), its
/// [SoftmaxHead]/[MarginHead] classes compiled by the packed generator with warnings as errors, run, then published
/// with Native AOT without a single trim or AOT warning and run again. Slow (about a minute): [Trait("Category", "Slow")].
/// </summary>
[Trait("Category", "Slow")]
public sealed class PackageTests : IDisposable
{
    private const string PackageVersion = "0.1.0-packagetest";
    private readonly string _work = Path.Combine(Path.GetTempPath(), "edgeloss-package-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private const string Program = """
        using System.Globalization;
        using EdgeLoss;

        float[] logits = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
        var p = new float[Digits.Classes];
        Digits.Softmax(logits, p);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"softmax {p[9]:F4} argmax {Digits.ArgMax(logits)}"));

        float[] x = { 0.6f, -0.2f, 0.3f };
        var w = new float[FaceHead.Classes * FaceHead.Dim];
        for (int i = 0; i < w.Length; i++) w[i] = (i % 5) - 2 + 0.25f * i;
        float[] gx = new float[FaceHead.Dim], gw = new float[w.Length];
        float loss = FaceHead.Loss(x, w, 2, gx, gw);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loss {loss:F4}"));

        try { Digits.Softmax(new float[] { 0, 1, float.NaN, 3, 4, 5, 6, 7, 8, 9 }, p); }
        catch (NonFiniteInputException e) { Console.WriteLine(e.Message); }

        [SoftmaxHead(10)] static partial class Digits { }
        [MarginHead(MarginKind.ArcFace, classes: 4, dim: 3, Scale = 64f, Margin = 0.5f)] static partial class FaceHead { }
        """;

    [Fact]
    public void Packed_generator_works_in_a_consumer_and_under_Native_AOT()
    {
        string feed = Path.Combine(_work, "feed"), app = Path.Combine(_work, "app");
        Directory.CreateDirectory(feed);
        Directory.CreateDirectory(app);

        Run(Repository.Root, "pack", "Runtime/EdgeLoss.Runtime.csproj", "-c", "Release", "-o", feed, "-nologo", $"-p:PackageVersion={PackageVersion}");
        string package = Path.Combine(feed, $"EdgeLoss.Runtime.{PackageVersion}.nupkg");
        Assert.True(File.Exists(package), "no package at " + package);
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
            Assert.Contains(zip.Entries, e => e.FullName == "analyzers/dotnet/cs/EdgeLoss.Generators.dll");

        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{globalPackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <GenerateDocumentationFile>true</GenerateDocumentationFile>
                <InvariantGlobalization>true</InvariantGlobalization>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="EdgeLoss.Runtime" Version="{PackageVersion}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), Program);

        string[] expected = ExpectedOutput();
        Run(app, "build", "-c", "Release", "-nologo");
        string jit = Run(app, "bin/Release/net10.0/app.dll");
        Assert.Equal(expected, Lines(jit));

        string publish = Run(app, "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", "aot", "-nologo");
        string[] warnings = Lines(publish).Where(l => l.Contains("warning IL2", StringComparison.Ordinal) || l.Contains("warning IL3", StringComparison.Ordinal)).ToArray();
        Assert.True(warnings.Length == 0, "trim/AOT warnings:\n" + string.Join("\n", warnings));
        string native = Path.Combine(app, "aot", "app");
        Assert.True(File.Exists(native), "no native executable at " + native);
        Assert.Equal(expected, Lines(RunExe(native, app)));
    }

    /// <summary>What the consumer must print, computed here from the float64 references.</summary>
    private static string[] ExpectedOutput()
    {
        float[] logits = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
        double p9 = ReferenceSoftmax.Softmax(logits)[9];
        double[] x = { 0.6f, -0.2f, 0.3f };
        var w = new double[12];
        for (int i = 0; i < w.Length; i++) w[i] = (i % 5) - 2 + 0.25f * i;
        double loss = ReferenceMargin.Loss(new MarginSpec(MarginKind.ArcFace, 4, 3, Scale: 64, Margin: 0.5f), x, w, 2);
        return new[]
        {
            string.Create(CultureInfo.InvariantCulture, $"softmax {p9:F4} argmax 9"),
            string.Create(CultureInfo.InvariantCulture, $"loss {loss:F4}"),
            "logits[2] = NaN is not finite (Parameter 'logits')",
        };
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private string Run(string directory, params string[] args) => Start("dotnet", directory, args);

    private string RunExe(string exe, string directory) => Start(exe, directory);

    private string Start(string file, string directory, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) info.ArgumentList.Add(a);
        // A clean child: no MSBuild state inherited from the test host, a private package folder so that the packed
        // version is always the one restored (the machine's cache is a read-only fallback for everything else).
        foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToArray())
            info.Environment.Remove(key);
        info.Environment["NUGET_PACKAGES"] = Path.Combine(_work, "packages");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} timed out:\n{output}");
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{output}");
        return output.ToString();
    }
}
