using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Margins;

/// <summary>
/// Every head against the PyTorch float64 autograd reference of tools/golden/margins.py: cosines, margin logits, the
/// mean loss and the gradients w.r.t. the raw x and w. The float API must hold float-level accuracy; the same code
/// instantiated for double must agree to ~1e-9, which checks the hand-derived gradients exactly (the reference's psi
/// uses acos and floor, its ArcFace acos, its gradients autograd).
/// </summary>
public class MarginHeadGoldenTests
{
    public static TheoryData<string, string, int> Cases() => MarginFixtures.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_api_matches_the_reference(string file, string name, int index)
    {
        var c = MarginFixtures.Case(file, index);
        Assert.Equal(name, c.Str("name"));
        var head = MarginFixtures.Head(c);
        int rows = c.Int("rows"), dim = c.Int("dim"), classes = c.Int("classes");
        float[] x = c.Floats("x"), w = c.Floats("w");
        int[] targets = c.Ints("targets");

        var cosines = new float[rows * classes];
        MarginHeads.Cosines(x, w, dim, cosines);
        Close(c.Doubles("cosines"), cosines, 0, 1e-6, "cosines");                 // measured worst: 1.6e-7

        var logits = new float[rows * classes];
        var gradX = new float[rows * dim];
        var gradW = new float[classes * dim];
        float loss = MarginHeads.Forward(head, x, w, targets, dim, logits, gradX, gradW);
        // Bars relative to the largest element of each array (measured worst over all cases in brackets): logits and
        // loss within semantics.md's 1e-5 relative [4.5e-7, 3e-7]; gradients, which amplify the cosines' rounding by
        // psi' (up to m^2 = 64) or by s = 64, within 1e-5 of their largest element [1.8e-6].
        Close(c.Doubles("logits"), logits, 1e-5, 2e-6, "logits");
        Close([c.Scalar("loss")], [loss], 1e-5, 2e-6, "loss");
        Close(c.Doubles("grad_x"), gradX, 1e-4, 1e-5, "grad_x");
        Close(c.Doubles("grad_w"), gradW, 1e-4, 1e-5, "grad_w");

        // The same call without the optional outputs returns the same loss.
        Assert.Equal(loss, MarginHeads.Forward(head, x, w, targets, dim, default, default, default));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_core_matches_the_reference_to_1e9(string file, string name, int index)
    {
        var c = MarginFixtures.Case(file, index);
        Assert.Equal(name, c.Str("name"));
        var plan = new HeadPlan(MarginFixtures.Head(c));
        int rows = c.Int("rows"), dim = c.Int("dim"), classes = c.Int("classes");
        double[] x = c.Doubles("x"), w = c.Doubles("w");
        int[] targets = c.Ints("targets");
        var logits = new double[rows * classes];
        var gradX = new double[rows * dim];
        var gradW = new double[classes * dim];
        double loss = MarginCore<double>.Forward(plan, x, w, targets, dim, logits, gradX, gradW);
        Close(c.Doubles("logits"), logits, 1e-9, 1e-9, "logits");
        Close([c.Scalar("loss")], [loss], 1e-9, 1e-9, "loss");
        Close(c.Doubles("grad_x"), gradX, 1e-9, 1e-9, "grad_x");
        Close(c.Doubles("grad_w"), gradW, 1e-9, 1e-9, "grad_w");
    }

    [Fact]
    public void The_fixtures_cover_every_kind_and_m()
    {
        var heads = MarginFixtures.Files.SelectMany(f => Fixture.Cases($"Margins/{f}.json")).Select(MarginFixtures.Head).ToList();
        foreach (MarginKind kind in Enum.GetValues<MarginKind>())
            Assert.Contains(heads, h => h.Kind == kind);
        foreach (var kind in new[] { MarginKind.LSoftmax, MarginKind.SphereFace })
            for (int m = 1; m <= 8; m++)
            {
                Assert.Contains(heads, h => h.Kind == kind && h.M == m && h.Lambda == 0);
                Assert.Contains(heads, h => h.Kind == kind && h.M == m && h.Lambda == 5);
            }
        Assert.Contains(heads, h => h.Kind == MarginKind.ArcFace && h.EasyMargin);
        Assert.Contains(heads, h => h.Kind == MarginKind.ArcFace && !h.EasyMargin);
    }

    [Fact]
    public void ArcFace_fixtures_hit_the_fallback_and_the_arc_form()
    {
        // The cases named "fallback" / "easy" have target cosines on both sides of the switch, so the comparison above
        // covers both branches; this pins that the fixture still does after regeneration.
        int below = 0, above = 0;
        foreach (var c in Fixture.Cases("Margins/arcface.json").Where(c => c.Str("name").Contains("fallback") || c.Str("name").Contains("easy")))
        {
            var head = MarginFixtures.Head(c);
            float threshold = head.EasyMargin ? 0f : new ArcFaceConstants(head.Margin).Threshold;
            double[] cos = c.Doubles("cosines");
            int[] t = c.Ints("targets");
            int classes = c.Int("classes");
            for (int i = 0; i < t.Length; i++)
            {
                if (cos[i * classes + t[i]] > threshold) above++;
                else below++;
            }
        }
        Assert.True(below >= 4 && above >= 4, $"{below} target cosines below the switch, {above} above");
    }

    /// <summary>|actual - expected| <= absFraction * max|expected| + rel * |expected| element-wise.</summary>
    internal static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rel, double absFraction, string what)
    {
        double scale = 0;
        foreach (double e in expected) scale = Math.Max(scale, Math.Abs(e));
        Approx.Equal(expected, actual, rel, absFraction * Math.Max(scale, 1e-30), what);
    }

    internal static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rel, double absFraction, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (double e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
            Approx.Equal(expected[i], actual[i], rel, absFraction * Math.Max(scale, 1e-30), $"{what}[{i}]");
    }
}
