using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Losses;

public class RegressionLossTests
{
    private const string File = "Losses/regression.json";

    public static TheoryData<string, int> Cases => Fixture.Names(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torch(string name, int index)
    {
        var c = Fixture.Cases(File)[index];
        var reduction = PointwiseLossCases.ParseReduction(c);
        bool none = reduction == Reduction.None;
        var plain = new RegressionOptions { Reduction = reduction };
        switch (c.Str("loss"))
        {
            case "mse":
                PointwiseLossCases.Check(c, (x, y, l, g) => EdgeLoss.Losses.Mse(x, y, l, g, plain),
                    (x, y, g) => EdgeLoss.Losses.Mse(x, y, g, plain), none);
                break;
            case "msle":
                PointwiseLossCases.Check(c, (x, y, l, g) => EdgeLoss.Losses.Msle(x, y, l, g, plain),
                    (x, y, g) => EdgeLoss.Losses.Msle(x, y, g, plain), none);
                break;
            case "l1":
                PointwiseLossCases.Check(c, (x, y, l, g) => EdgeLoss.Losses.L1(x, y, l, g, plain),
                    (x, y, g) => EdgeLoss.Losses.L1(x, y, g, plain), none);
                break;
            case "smooth_l1":
                var smooth = new SmoothL1Options { Beta = (float)c.Scalar("beta"), Reduction = reduction };
                PointwiseLossCases.Check(c, (x, y, l, g) => EdgeLoss.Losses.SmoothL1(x, y, l, g, smooth),
                    (x, y, g) => EdgeLoss.Losses.SmoothL1(x, y, g, smooth), none);
                break;
            case "huber":
                var huber = new HuberOptions { Delta = (float)c.Scalar("delta"), Reduction = reduction };
                PointwiseLossCases.Check(c, (x, y, l, g) => EdgeLoss.Losses.Huber(x, y, l, g, huber),
                    (x, y, g) => EdgeLoss.Losses.Huber(x, y, g, huber), none);
                break;
            default:
                Assert.Fail($"{name}: unknown loss {c.Str("loss")}");
                break;
        }
    }

    [Fact]
    public void Defaults_are_torchs()
    {
        Assert.Equal(1f, SmoothL1Options.Default.Beta);
        Assert.Equal(1f, HuberOptions.Default.Delta);
        Assert.Equal(Reduction.Mean, SmoothL1Options.Default.Reduction);
        Assert.Equal(Reduction.Mean, RegressionOptions.Default.Reduction);
        Assert.Equal(Reduction.Mean, HuberOptions.Default.Reduction);
    }

    [Fact]
    public void Small_worked_example()
    {
        // d = x - y = [0.5, -2]: MSE mean (0.25 + 4) / 2, L1 mean 1.25, smooth L1 (beta 1) mean (0.125 + 1.5) / 2,
        // Huber (delta 1) equal to it, Huber delta 0.25 mean (0.25 (0.5 - 0.125) + 0.25 (2 - 0.125)) / 2.
        float[] x = [1.5f, 0f];
        float[] y = [1f, 2f];
        Assert.Equal(2.125f, EdgeLoss.Losses.Mse(x, y));
        Assert.Equal(1.25f, EdgeLoss.Losses.L1(x, y));
        Assert.Equal(0.8125f, EdgeLoss.Losses.SmoothL1(x, y));
        Assert.Equal(0.8125f, EdgeLoss.Losses.Huber(x, y));
        Assert.Equal(0.28125f, EdgeLoss.Losses.Huber(x, y, default, new HuberOptions { Delta = 0.25f }));
        var g = new float[2];
        EdgeLoss.Losses.Mse(x, y, g, new RegressionOptions { Reduction = Reduction.Sum });
        Assert.Equal([1f, -4f], g);
    }

    [Fact]
    public void Smooth_l1_with_beta_0_is_l1_including_the_derivative_at_0()
    {
        float[] x = [1f, 2f, -3f, 0.5f];
        float[] y = [1f, 0f, 1f, 0.75f];
        var beta0 = new SmoothL1Options { Beta = 0f, Reduction = Reduction.None };
        var l1 = new RegressionOptions { Reduction = Reduction.None };
        float[] ls = new float[4], gs = new float[4], ll = new float[4], gl = new float[4];
        EdgeLoss.Losses.SmoothL1(x, y, ls, gs, beta0);
        EdgeLoss.Losses.L1(x, y, ll, gl, l1);
        Assert.Equal(ll, ls);
        Assert.Equal(gl, gs);
        Assert.Equal([0f, 2f, 4f, 0.25f], ls);
        Assert.Equal([0f, 1f, -1f, -1f], gs);
    }

    [Fact]
    public void Huber_is_delta_times_smooth_l1_with_beta_delta()
    {
        var rng = new Random(11);
        var x = Enumerable.Range(0, 50).Select(_ => (float)(rng.NextDouble() * 10 - 5)).ToArray();
        var y = Enumerable.Range(0, 50).Select(_ => (float)(rng.NextDouble() * 10 - 5)).ToArray();
        foreach (float delta in new[] { 0.3f, 1f, 2.5f })
        {
            var h = new float[50];
            var s = new float[50];
            EdgeLoss.Losses.Huber(x, y, h, default, new HuberOptions { Delta = delta, Reduction = Reduction.None });
            EdgeLoss.Losses.SmoothL1(x, y, s, default, new SmoothL1Options { Beta = delta, Reduction = Reduction.None });
            for (int i = 0; i < 50; i++)
                Approx.Equal(delta * (double)s[i], h[i], 1e-6, 1e-7, $"delta {delta} [{i}]");
        }
    }

    [Fact]
    public void Mean_over_many_elements_is_accumulated_in_double()
    {
        // 100 003 elements (a tail on every vector width): a float running sum of ~1e5 terms would be off by ~1e-4
        // relative; the double accumulator keeps the mean within a few float ulps.
        const int n = 100_003;
        var rng = new Random(13);
        var x = new float[n];
        var y = new float[n];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)(rng.NextDouble() * 4 - 2);
            y[i] = (float)(rng.NextDouble() * 4 - 2);
            double d = (double)x[i] - y[i];
            sum += d * d;
        }
        Approx.Equal(sum / n, EdgeLoss.Losses.Mse(x, y), 3e-7, 0, "mean");
        Approx.Equal(sum, EdgeLoss.Losses.Mse(x, y, default, new RegressionOptions { Reduction = Reduction.Sum }), 3e-7, 0, "sum");
    }

    [Fact]
    public void Empty_input_gives_nan_mean_and_zero_sum_as_torch()
    {
        Assert.True(float.IsNaN(EdgeLoss.Losses.Mse([], [])));
        Assert.Equal(0f, EdgeLoss.Losses.L1([], [], default, new RegressionOptions { Reduction = Reduction.Sum }));
    }

    [Fact]
    public void Gradients_pass_finite_differences()
    {
        var rng = new Random(17);
        // Differences kept away from the switch points (|d| in [0.2, 0.8] or [1.2, 3]) so the check is not across a kink.
        var y = Enumerable.Range(0, 10).Select(_ => (float)(3 + rng.NextDouble() * 2)).ToArray();  // x stays > -1 for MSLE
        var x = y.Select((v, i) => v + (i % 2 == 0 ? 1 : -1) * (float)(i % 3 == 0 ? 0.2 + 0.6 * rng.NextDouble() : 1.2 + 1.8 * rng.NextDouble())).ToArray();
        PointwiseLossCases.GradientCheck(x, (p, g) => EdgeLoss.Losses.Mse(p, y, g), what: "mse");
        PointwiseLossCases.GradientCheck(x, (p, g) => EdgeLoss.Losses.Msle(p, y, g), what: "msle");
        PointwiseLossCases.GradientCheck(x, (p, g) => EdgeLoss.Losses.L1(p, y, g), what: "l1");
        PointwiseLossCases.GradientCheck(x, (p, g) => EdgeLoss.Losses.SmoothL1(p, y, g), what: "smooth l1");
        PointwiseLossCases.GradientCheck(x, (p, g) => EdgeLoss.Losses.Huber(p, y, g, new HuberOptions { Delta = 1f, Reduction = Reduction.Sum }), what: "huber");
    }

    [Fact]
    public void Bad_options_are_rejected_with_name_and_value()
    {
        float[] x = [1f, 2f];
        float[] y = [0f, 0f];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.SmoothL1(x, y, default, new SmoothL1Options { Beta = -1f }));
        Assert.Contains("options.Beta = -1 must be finite and >= 0", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.SmoothL1(x, y, default, new SmoothL1Options { Beta = float.NaN }));
        Assert.Contains("options.Beta = NaN", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Huber(x, y, default, new HuberOptions { Delta = 0f }));
        Assert.Contains("options.Delta = 0 must be finite and > 0", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Mse(x, y, default, new RegressionOptions { Reduction = (Reduction)(-1) }));
        Assert.Contains("options.Reduction = -1 is not a defined Reduction", e.Message);
    }

    [Fact]
    public void Bad_values_are_rejected_with_index_and_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Msle([0.5f, -1f], [0f, 0f]));
        Assert.Contains("input[1] = -1 must be > -1", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Msle([0.5f, 1f], [-2f, 0f]));
        Assert.Contains("target[0] = -2 must be > -1", e.Message);
        var n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.Mse([1f, 2f, 3f], [0f, float.NegativeInfinity, 0f]));
        Assert.Contains("target[1] = -Infinity", n.Message);
        n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.Huber([float.NaN], [0f]));
        Assert.Equal("input", n.ParamName);
        var a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.L1([1f, 2f], [1f]));
        Assert.Contains("target has length 1, expected 2", a.Message);
    }

    [Fact]
    public void Does_not_allocate()
    {
        var rng = new Random(19);
        var x = Enumerable.Range(0, 257).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 257).Select(_ => (float)rng.NextDouble()).ToArray();
        var g = new float[257];
        var loss = new float[257];
        var smooth = new SmoothL1Options { Beta = 0.5f, Reduction = Reduction.None };
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.Mse(x, y, g));
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.Msle(x, y, g));
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.SmoothL1(x, y, loss, g, smooth));
    }
}
