namespace EdgeLoss.Tests.Generators;

/// <summary>
/// The emitted source of representative heads, compared as text with the committed files in Tests/Generators/Snapshots.
/// A change to the emitter shows up as a reviewable diff: run with EDGELOSS_UPDATE_SNAPSHOTS=1 to rewrite the files,
/// then read the diff before committing it. Each snapshot must also compile without warnings.
/// </summary>
public class SnapshotTests
{
    public static TheoryData<string, string> Heads()
    {
        var data = new TheoryData<string, string>
        {
            { "SoftmaxHead3", "[SoftmaxHead(3)] public static partial class Head { }" },
            { "SoftmaxHead10", "[SoftmaxHead(10)] public static partial class Head { }" },
            { "SoftmaxHead1000", "[SoftmaxHead(1000)] public static partial class Head { }" },
            { "Nested", "public partial class Outer<T> { internal partial struct Middle { [SoftmaxHead(4)] internal static partial class Head { } } }" },
            { "MarginSoftmax7x5", "[MarginHead(MarginKind.Softmax, classes: 7, dim: 5)] public static partial class Head { }" },
            { "LSoftmax10x3", "[MarginHead(MarginKind.LSoftmax, classes: 10, dim: 3, M = 4)] public static partial class Head { }" },
            { "NormFace10x3", "[MarginHead(MarginKind.NormFace, classes: 10, dim: 3, Scale = 16f)] public static partial class Head { }" },
            { "CosFace7x5", "[MarginHead(MarginKind.CosFace, classes: 7, dim: 5, Scale = 30f, Margin = 0.35f)] public static partial class Head { }" },
            { "ArcFace100x128", "[MarginHead(MarginKind.ArcFace, classes: 100, dim: 128, Scale = 64f, Margin = 0.5f)] public static partial class Head { }" },
            { "ArcFaceEasy10x3", "[MarginHead(MarginKind.ArcFace, classes: 10, dim: 3, EasyMargin = true)] public static partial class Head { }" },
            { "Combined7x5", "[MarginHead(MarginKind.Combined, classes: 7, dim: 5, M1 = 1f, M2 = 0.3f, M3 = 0.2f)] public static partial class Head { }" },
            { "CombinedAcos10x3", "[MarginHead(MarginKind.Combined, classes: 10, dim: 3, M1 = 0.9f, M2 = 0.4f, M3 = 0.15f)] public static partial class Head { }" },
        };
        for (int m = 1; m <= 8; m++)
            data.Add($"SphereFaceM{m}", $"[MarginHead(MarginKind.SphereFace, classes: 2, dim: 1, M = {m})] public static partial class Head {{ }}");
        return data;
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void Emitted_source_matches_the_snapshot(string name, string declaration)
    {
        string source = "using EdgeLoss;\nnamespace Demo;\n" + declaration + "\n";
        var (result, compiled) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(compiled);
        string actual = result.GeneratedSources.Single().SourceText.ToString();

        string path = Path.Combine(SnapshotDirectory(), name + ".g.cs");
        if (Environment.GetEnvironmentVariable("EDGELOSS_UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"no snapshot {path}: run the tests with EDGELOSS_UPDATE_SNAPSHOTS=1 to write it");
        string expected = File.ReadAllText(path);
        if (expected != actual)
        {
            string[] e = expected.Split('\n'), a = actual.Split('\n');
            int line = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
            Assert.Fail($"{name}.g.cs differs from the emitted source at line {line + 1}:\n" +
                $"  snapshot: {(line < e.Length ? e[line] : "<end>")}\n  emitted:  {(line < a.Length ? a[line] : "<end>")}\n" +
                "If the change is intended, rerun with EDGELOSS_UPDATE_SNAPSHOTS=1 and review the diff.");
        }
    }

    [Fact]
    public void The_header_states_the_formula_with_its_constants()
    {
        string sphere = Emit("[MarginHead(MarginKind.SphereFace, classes: 10, dim: 3, M = 4)] public static partial class Head { }");
        Assert.Contains("psi(theta) = (-1)^k * (8c^4 - 8c^2 + 1) - 2k, k from c < {0.70710677, 6.123234E-17, -0.70710677}", sphere);
        Assert.Contains("int k = (c < 0.70710677f ? 1 : 0) + (c < 6.123234E-17f ? 1 : 0) + (c < -0.70710677f ? 1 : 0);", sphere);
        Assert.Contains("float t = (8f * c2 - 8f) * c2 + 1f;", sphere);

        string arc = Emit("[MarginHead(MarginKind.ArcFace, classes: 10, dim: 3, Scale = 64f, Margin = 0.5f)] public static partial class Head { }");
        Assert.Contains("cos m = 0.87758255, sin m = 0.47942555,", arc);
        Assert.Contains("where c_y > cos(pi - m) = -0.87758255, else s (c_y - m sin m) with m sin m = 0.23971277.", arc);
        Assert.Contains("return 64f * (c * 0.87758255f - sinTheta * 0.47942555f); // s cos(theta + m)", arc);

        string softmax = Emit("[SoftmaxHead(100)] public static partial class Head { }");
        Assert.Contains("// Vector512: logits: 100 = 6 x 16 + 4; 7 blocks unrolled, and a last block at 84 whose first 12 lanes repeat the block before (masked out of sums).", softmax);
        Assert.Contains("Vector512<float> v6 = Vector512.LoadUnsafe(ref x, 84);", softmax);
        Assert.Contains("for (nuint i = 0; i < 96; i += 32)", softmax); // Vector256: 12 whole blocks in 3 groups of 4
    }

    private static string Emit(string declaration) =>
        GeneratorHarness.Run("using EdgeLoss;\nnamespace Demo;\n" + declaration).Result.GeneratedSources.Single().SourceText.ToString();

    private static string SnapshotDirectory() => Repository.Path("Tests", "Generators", "Snapshots");
}
