using System.Text.Json;
using EdgeLoss.Tests.Common;
using EdgeLoss.Tests.Softmax;

namespace EdgeLoss.Tests.Losses;

public class NllTests
{
    private const string Golden = "Softmax/nll.json";
    private static readonly IReadOnlyList<JsonElement> Cases = Fixture.Cases(Golden);

    public static TheoryData<string, int> Names => Fixture.Names(Golden);

    [Theory, MemberData(nameof(Names))]
    public void Matches_torch(string name, int index)
    {
        JsonElement c = Cases[index];
        float[] logp = c.Floats("log_probabilities");
        int[] targets = c.Ints("targets");
        CrossEntropyOptions options = CrossEntropyTests.OptionsOf(c);
        double[] expectedLoss = c.Doubles("loss");
        var loss = new float[expectedLoss.Length];
        var grad = new float[logp.Length];
        grad.AsSpan().Fill(123f);                            // every element is written
        EdgeLoss.Losses.Nll(logp, targets, loss, grad, options);
        CrossEntropyTests.LossClose(expectedLoss, loss, $"{name} loss");
        CrossEntropyTests.LossClose(c.Doubles("grad"), grad, $"{name} grad");
    }

    [Theory]
    [InlineData(Reduction.Mean, false)]
    [InlineData(Reduction.Sum, true)]
    [InlineData(Reduction.None, true)]
    public void Gradient_matches_finite_differences(Reduction reduction, bool weighted)
    {
        const int rows = 5, classes = 4;
        float[] x = SoftmaxReference.RandomLogits(rows * classes, seed: 21, scale: 2);
        int[] targets = [1, 3, -100, 0, 3];
        var options = new CrossEntropyOptions { Reduction = reduction, Weight = weighted ? new float[] { 1f, 0.5f, 2f, 3f } : ReadOnlyMemory<float>.Empty };
        int length = reduction == Reduction.None ? rows : 1;
        var grad = new float[x.Length];
        EdgeLoss.Losses.Nll(x, targets, new float[length], grad, options);
        GradCheck.Check(p =>
        {
            var l = new float[length];
            EdgeLoss.Losses.Nll(p, targets, l, default, options);
            return l.Sum(v => (double)v);
        }, x, grad);
    }

    [Fact]
    public void A_zero_weight_class_contributes_0_even_at_log_probability_minus_inf()
    {
        var loss = new float[2];
        EdgeLoss.Losses.Nll([float.NegativeInfinity, -0.1f, -2f, -0.5f], [0, 1], loss, default,
            new CrossEntropyOptions { Weight = new float[] { 0f, 2f }, Reduction = Reduction.None });
        Assert.Equal(0f, loss[0]);                            // torch: -0 * -inf = NaN
        Assert.Equal(1f, loss[1]);
    }

    [Fact]
    public void Label_smoothing_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            EdgeLoss.Losses.Nll(new float[6], [0, 1], new float[1], default, new CrossEntropyOptions { LabelSmoothing = 0.1f }));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("options.LabelSmoothing = 0.1", e.Message);
    }

    [Fact]
    public void NaN_and_positive_infinity_are_named_but_minus_infinity_is_a_probability_of_0()
    {
        var logp = new float[12];
        logp[7] = float.NegativeInfinity;
        EdgeLoss.Losses.Nll(logp, [0, 1, 2], new float[1], default);
        logp[9] = float.NaN;
        var e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.Nll(logp, [0, 1, 2], new float[1], default));
        Assert.Equal("logProbabilities", e.ParamName);
        Assert.StartsWith("logProbabilities[9] = NaN is not finite", e.Message);
        logp[9] = 0f;
        logp[2] = float.PositiveInfinity;
        e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.Nll(logp, [0, 1, 2], new float[1], default));
        Assert.StartsWith("logProbabilities[2] = Infinity is not finite", e.Message);
    }

    [Fact]
    public void Targets_weights_and_lengths_are_checked()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Nll(new float[12], [0, 4, 1], new float[1], default));
        Assert.Equal("targets", range.ParamName);
        Assert.Contains("targets[1] = 4 is outside [0, 4)", range.Message);
        range = Assert.Throws<ArgumentOutOfRangeException>(() =>
            EdgeLoss.Losses.Nll(new float[12], [0, 1, 1], new float[1], default, new CrossEntropyOptions { Weight = new float[] { 1, -1, 1, 1 } }));
        Assert.Contains("options.Weight[1] = -1 is negative", range.Message);
        var e = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.Nll(new float[12], [0, 1, 1, 1, 1], new float[1], default));
        Assert.Equal("logProbabilities", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.Nll(new float[12], [0, 1, 1], new float[3], default));
        Assert.Equal("loss", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.Nll(new float[12], [0, 1, 1], new float[1], new float[3]));
        Assert.Equal("gradient", e.ParamName);
    }

    [Fact]
    public void Nll_does_not_allocate()
    {
        float[] logp = SoftmaxReference.RandomLogits(64 * 10, seed: 3);
        int[] targets = Enumerable.Range(0, 64).Select(n => n % 10).ToArray();
        var grad = new float[logp.Length];
        var loss = new float[1];
        var options = new CrossEntropyOptions { Weight = Enumerable.Repeat(2f, 10).ToArray(), Reduction = Reduction.Sum };
        Assert.Equal(0, AllocatedBytes.Of(() => EdgeLoss.Losses.Nll(logp, targets, loss, grad, options)));
    }
}
