using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Losses;

public class HingeLossTests
{
    private const string File = "Losses/hinge.json";

    public static TheoryData<string, int> Cases => Fixture.Names(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torch(string name, int index)
    {
        var c = Fixture.Cases(File)[index];
        var reduction = PointwiseLossCases.ParseReduction(c);
        var options = new HingeOptions { Reduction = reduction };
        bool none = reduction == Reduction.None;
        switch (c.Str("loss"))
        {
            case "hinge":
                PointwiseLossCases.Check(c, (x, y, l, g) => EdgeLoss.Losses.Hinge(x, y, l, g, options),
                    (x, y, g) => EdgeLoss.Losses.Hinge(x, y, g, options), none);
                break;
            case "squared_hinge":
                PointwiseLossCases.Check(c, (x, y, l, g) => EdgeLoss.Losses.SquaredHinge(x, y, l, g, options),
                    (x, y, g) => EdgeLoss.Losses.SquaredHinge(x, y, g, options), none);
                break;
            case "exponential":
                PointwiseLossCases.Check(c, (x, y, l, g) => EdgeLoss.Losses.Exponential(x, y, l, g, options),
                    (x, y, g) => EdgeLoss.Losses.Exponential(x, y, g, options), none);
                break;
            default:
                Assert.Fail($"{name}: unknown loss {c.Str("loss")}");
                break;
        }
    }

    [Fact]
    public void Worked_values()
    {
        // margins y s = [2, 0.5, -1, 1]: hinge [0, 0.5, 2, 0], squared [0, 0.25, 4, 0]; the kink (y s = 1) has derivative 0.
        float[] s = [2f, -0.5f, 1f, -1f];
        float[] y = [1f, -1f, -1f, -1f];
        var none = new HingeOptions { Reduction = Reduction.None };
        float[] l = new float[4], g = new float[4];
        EdgeLoss.Losses.Hinge(s, y, l, g, none);
        Assert.Equal([0f, 0.5f, 2f, 0f], l);
        Assert.Equal([0f, 1f, 1f, 0f], g);
        EdgeLoss.Losses.SquaredHinge(s, y, l, g, none);
        Assert.Equal([0f, 0.25f, 4f, 0f], l);
        Assert.Equal([0f, 1f, 4f, 0f], g);
        Assert.Equal(0.625f, EdgeLoss.Losses.Hinge(s, y));
        EdgeLoss.Losses.Exponential([0f, 1f], [1f, -1f], l.AsSpan(0, 2), g.AsSpan(0, 2), none);
        Approx.Equal([1.0, Math.E], l.AsSpan(0, 2), 1e-6, 0, "exp loss");
        Approx.Equal([-1.0, Math.E], g.AsSpan(0, 2), 1e-6, 0, "exp grad");
    }

    [Fact]
    public void Exponential_loss_overflows_to_infinity_not_nan()
    {
        // exp(100) does not fit a float: the true loss is reported as +inf, never as NaN.
        float loss = EdgeLoss.Losses.Exponential([100f, 0f], [-1f, 1f], default, new HingeOptions { Reduction = Reduction.Sum });
        Assert.Equal(float.PositiveInfinity, loss);
    }

    [Fact]
    public void Gradients_pass_finite_differences()
    {
        var rng = new Random(23);
        var y = Enumerable.Range(0, 12).Select(i => i % 3 == 0 ? -1f : 1f).ToArray();
        // Scores with |1 - y s| >= 0.1, away from the hinge's kink.
        var s = Enumerable.Range(0, 12).Select(i => y[i] * (float)(1 + (i % 2 == 0 ? 1 : -1) * (0.1 + 1.5 * rng.NextDouble()))).ToArray();
        PointwiseLossCases.GradientCheck(s, (p, g) => EdgeLoss.Losses.Hinge(p, y, g), what: "hinge");
        PointwiseLossCases.GradientCheck(s, (p, g) => EdgeLoss.Losses.SquaredHinge(p, y, g), what: "squared hinge");
        PointwiseLossCases.GradientCheck(s, (p, g) => EdgeLoss.Losses.Exponential(p, y, g, new HingeOptions { Reduction = Reduction.Sum }), what: "exponential");
    }

    [Theory]
    [InlineData(0f, "target[1] = 0 must be -1 or +1")]
    [InlineData(2f, "target[1] = 2 must be -1 or +1")]
    [InlineData(0.5f, "target[1] = 0.5 must be -1 or +1")]
    public void Labels_other_than_plus_minus_one_are_rejected(float label, string message)
    {
        float[] y = [1f, label, -1f];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Hinge([0f, 0f, 0f], y));
        Assert.Equal("target", e.ParamName);
        Assert.Contains(message, e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Exponential([0f, 0f, 0f], y));
    }

    [Fact]
    public void A_bad_label_past_the_first_vector_is_named()
    {
        var y = Enumerable.Repeat(1f, 40).ToArray();
        y[33] = 0f;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.SquaredHinge(new float[40], y));
        Assert.Contains("target[33] = 0 must be -1 or +1", e.Message);
    }

    [Fact]
    public void Non_finite_scores_and_bad_lengths_are_rejected()
    {
        var e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.Hinge([0f, float.NaN], [1f, 1f]));
        Assert.Contains("input[1] = NaN", e.Message);
        var a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.Hinge([0f, 1f], [1f, 1f], new float[3], default, new HingeOptions { Reduction = Reduction.None }));
        Assert.Contains("loss has length 3, expected 2", a.Message);
    }

    [Fact]
    public void Does_not_allocate()
    {
        var s = Enumerable.Range(0, 100).Select(i => (float)Math.Sin(i)).ToArray();
        var y = Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? 1f : -1f).ToArray();
        var g = new float[100];
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.Hinge(s, y, g));
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.Exponential(s, y, g));
    }
}
