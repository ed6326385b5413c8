using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Losses;

public class KLDivTests
{
    private const string File = "Losses/kl_div.json";

    public static TheoryData<string, int> Cases => Fixture.Names(File);

    private static KLDivReduction Parse(string r) => r switch
    {
        "none" => KLDivReduction.None,
        "mean" => KLDivReduction.Mean,
        "sum" => KLDivReduction.Sum,
        "batchmean" => KLDivReduction.BatchMean,
        _ => throw new FormatException(r),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torch(string name, int index)
    {
        var c = Fixture.Cases(File)[index];
        var options = new KLDivOptions { LogTarget = c.GetProperty("log_target").GetBoolean(), Reduction = Parse(c.Str("reduction")) };
        int classes = c.Int("classes");
        bool none = options.Reduction == KLDivReduction.None;
        PointwiseLossCases.Check(c,
            (x, y, l, g) => EdgeLoss.Losses.KLDiv(x, y, classes, l, g, options),
            (x, y, g) => EdgeLoss.Losses.KLDiv(x, y, classes, g, options), none);
        Assert.StartsWith("kldiv_", name);
    }

    [Fact]
    public void Sum_over_a_row_is_the_kl_divergence_and_batchmean_its_mean()
    {
        // KL(p || q) for two rows, computed directly in double.
        double[][] p = [[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]];
        double[][] q = [[0.2, 0.5, 0.3], [0.25, 0.25, 0.5]];
        var input = q.SelectMany(r => r.Select(v => (float)Math.Log(v))).ToArray();
        var target = p.SelectMany(r => r.Select(v => (float)v)).ToArray();
        double kl0 = 0, kl1 = 0;
        for (int j = 0; j < 3; j++)
        {
            if (p[0][j] > 0) kl0 += p[0][j] * Math.Log(p[0][j] / q[0][j]);
            if (p[1][j] > 0) kl1 += p[1][j] * Math.Log(p[1][j] / q[1][j]);
        }
        float sum = EdgeLoss.Losses.KLDiv(input, target, 3, default, new KLDivOptions { Reduction = KLDivReduction.Sum });
        float batchMean = EdgeLoss.Losses.KLDiv(input, target, 3, default, new KLDivOptions { Reduction = KLDivReduction.BatchMean });
        float mean = EdgeLoss.Losses.KLDiv(input, target, 3);
        Approx.Equal(kl0 + kl1, sum, 1e-6, 1e-7, "sum");
        Approx.Equal((kl0 + kl1) / 2, batchMean, 1e-6, 1e-7, "batchmean");
        Approx.Equal((kl0 + kl1) / 6, mean, 1e-6, 1e-7, "mean (torch's default, per element)");
        Approx.Printed(0.3466, kl1, 4, "KL([.5, 0, .5] || [.25, .25, .5]) = 0.5 log 2");
    }

    [Fact]
    public void Zero_target_gives_zero_even_where_torch_gives_nan()
    {
        // torch: 0 * (log 0 - (-inf)) = NaN. Here an element with p = 0 contributes 0 whatever q is.
        float[] input = [float.NegativeInfinity, -0.5f];
        float[] target = [0f, 0.5f];
        var loss = new float[2];
        var gradient = new float[2];
        EdgeLoss.Losses.KLDiv(input, target, 2, loss, gradient, new KLDivOptions { Reduction = KLDivReduction.None });
        Assert.Equal(0f, loss[0]);
        Approx.Equal(0.5 * (Math.Log(0.5) + 0.5), loss[1], 1e-6, 0, "loss[1]");
        Assert.Equal([-0f, -0.5f], gradient);

        // Log-target: a target log-probability of -inf is p = 0.
        EdgeLoss.Losses.KLDiv(input, [float.NegativeInfinity, -1f], 2, loss, gradient, new KLDivOptions { LogTarget = true, Reduction = KLDivReduction.None });
        Assert.Equal(0f, loss[0]);
        Approx.Equal(Math.Exp(-1) * (-1 + 0.5), loss[1], 1e-6, 0, "log-target loss[1]");
    }

    [Fact]
    public void Positive_target_where_the_input_is_minus_infinity_is_an_infinite_loss()
    {
        float loss = EdgeLoss.Losses.KLDiv([float.NegativeInfinity, 0f], [0.5f, 0.5f], 2, default, new KLDivOptions { Reduction = KLDivReduction.Sum });
        Assert.Equal(float.PositiveInfinity, loss);
    }

    [Fact]
    public void Gradient_passes_finite_differences()
    {
        var rng = new Random(29);
        var x = Enumerable.Range(0, 12).Select(_ => (float)(-3 * rng.NextDouble() - 0.1)).ToArray();
        var p = Enumerable.Range(0, 12).Select(_ => (float)rng.NextDouble()).ToArray();
        var logP = p.Select(v => MathF.Log(v)).ToArray();
        PointwiseLossCases.GradientCheck(x, (a, g) => EdgeLoss.Losses.KLDiv(a, p, 4, g, new KLDivOptions { Reduction = KLDivReduction.BatchMean }), what: "kl");
        PointwiseLossCases.GradientCheck(x, (a, g) => EdgeLoss.Losses.KLDiv(a, logP, 4, g, new KLDivOptions { LogTarget = true, Reduction = KLDivReduction.Sum }), what: "kl log-target");
    }

    [Fact]
    public void Bad_input_is_rejected()
    {
        float[] x = [-1f, -2f, -0.5f, -1f];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.KLDiv(x, [0.5f, -0.1f, 0.5f, 0.5f], 2));
        Assert.Contains("target[1] = -0.1 is a negative probability", e.Message);
        var n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.KLDiv([-1f, float.NaN, 0f, 0f], [0.5f, 0.5f, 0.5f, 0.5f], 2));
        Assert.Contains("input[1] = NaN", n.Message);
        n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.KLDiv([-1f, float.PositiveInfinity, 0f, 0f], [0.5f, 0.5f, 0.5f, 0.5f], 2));
        Assert.Contains("input[1] = Infinity", n.Message);
        n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.KLDiv(x, [0.5f, float.NegativeInfinity, 0.5f, 0.5f], 2));
        Assert.Equal("target", n.ParamName);
        n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.KLDiv(x, [0f, float.PositiveInfinity, 0f, 0f], 2, default, new KLDivOptions { LogTarget = true }));
        Assert.Contains("target[1] = Infinity", n.Message);
        var a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.KLDiv(x, [0.5f, 0.5f, 0.5f, 0.5f], 3));
        Assert.Contains("input has length 4, which is not a multiple of classes = 3", a.Message);
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.KLDiv(x, [0.5f, 0.5f, 0.5f, 0.5f], 0));
        Assert.Contains("classes = 0 must be >= 1", r.Message);
        r = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.KLDiv(x, [0.5f, 0.5f, 0.5f, 0.5f], 2, default, new KLDivOptions { Reduction = (KLDivReduction)9 }));
        Assert.Contains("options.Reduction = 9 is not a defined KLDivReduction", r.Message);
        a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.KLDiv(x, [0.5f, 0.5f, 0.5f, 0.5f], 2, default, new KLDivOptions { Reduction = KLDivReduction.None }));
        Assert.Contains("use the overload that takes a loss span", a.Message);
    }

    [Fact]
    public void Does_not_allocate()
    {
        var x = Enumerable.Range(0, 120).Select(i => -1f - i % 7).ToArray();
        var p = Enumerable.Range(0, 120).Select(i => (i % 5) / 10f).ToArray();
        var g = new float[120];
        var options = new KLDivOptions { Reduction = KLDivReduction.BatchMean };
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.KLDiv(x, p, 10, g, options));
    }
}
