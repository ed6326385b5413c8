using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Losses;

public class BinaryCrossEntropyTests
{
    private const string File = "Losses/binary_cross_entropy.json";

    public static TheoryData<string, int> Cases => Fixture.Names(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torch(string name, int index)
    {
        var c = Fixture.Cases(File)[index];
        var reduction = PointwiseLossCases.ParseReduction(c);
        bool none = reduction == Reduction.None;
        float[] weight = c.Has("weight") ? c.Floats("weight") : [];
        if (c.Str("loss") == "bce")
        {
            var options = new BceOptions { Weight = weight, Reduction = reduction };
            PointwiseLossCases.Check(c,
                (x, y, l, g) => EdgeLoss.Losses.BinaryCrossEntropy(x, y, l, g, options),
                (x, y, g) => EdgeLoss.Losses.BinaryCrossEntropy(x, y, g, options), none);
        }
        else
        {
            float[] posWeight = c.Has("pos_weight") ? c.Floats("pos_weight") : [];
            var options = new BceWithLogitsOptions { Weight = weight, PosWeight = posWeight, Reduction = reduction };
            PointwiseLossCases.Check(c,
                (x, y, l, g) => EdgeLoss.Losses.BinaryCrossEntropyWithLogits(x, y, l, g, options),
                (x, y, g) => EdgeLoss.Losses.BinaryCrossEntropyWithLogits(x, y, g, options), none);
        }
        Assert.StartsWith(c.Str("loss") == "bce" ? "bce_" : "bcelogits_", name);
    }

    /// <summary>Straightforward double reference of torch's BCE with logits (weight and pos_weight per class).</summary>
    private static double ReferenceWithLogits(double x, double y, double w, double p) =>
        -w * (p * y * LogSigmoid(x) + (1 - y) * LogSigmoid(-x));

    private static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

    [Theory]
    [InlineData(Reduction.None)]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    public void With_logits_over_many_classes_matches_a_double_reference(Reduction reduction)
    {
        // 7 rows of 19 classes: per-class weights cut the input into segments of 19, each two vectors and a tail
        // on AVX2 (one vector and a tail on 128-bit NEON), so every path of the driver is exercised.
        const int rows = 7, classes = 19;
        var rng = new Random(7);
        var x = new float[rows * classes];
        var y = new float[rows * classes];
        var w = new float[classes];
        var p = new float[classes];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(rng.NextDouble() * 16 - 8);
            y[i] = i % 5 == 0 ? (float)rng.NextDouble() : rng.Next(2);
        }
        for (int j = 0; j < classes; j++)
        {
            w[j] = (float)(0.25 + rng.NextDouble());
            p[j] = (float)(rng.NextDouble() * 4);
        }
        var options = new BceWithLogitsOptions { Weight = w, PosWeight = p, Reduction = reduction };
        var loss = new float[reduction == Reduction.None ? x.Length : 1];
        var gradient = new float[x.Length];
        EdgeLoss.Losses.BinaryCrossEntropyWithLogits(x, y, loss, gradient, options);

        double sum = 0;
        double scale = reduction == Reduction.Mean ? 1.0 / x.Length : 1.0;
        for (int i = 0; i < x.Length; i++)
        {
            int j = i % classes;
            double l = ReferenceWithLogits(x[i], y[i], w[j], p[j]);
            double s = 1 / (1 + Math.Exp(-(double)x[i]));
            double g = w[j] * ((1 - y[i]) * s - p[j] * y[i] * (1 - s));
            if (reduction == Reduction.None) Approx.Equal(l, loss[i], 1e-5, 1e-6, $"loss[{i}]");
            sum += l;
            Approx.Equal(g * scale, gradient[i], 1e-5, 1e-6 * scale, $"gradient[{i}]");
        }
        if (reduction != Reduction.None)
            Approx.Equal(sum * scale, loss[0], 1e-6, 0, "reduced loss");
    }

    [Fact]
    public void Gradients_pass_finite_differences()
    {
        var rng = new Random(3);
        var p = Enumerable.Range(0, 12).Select(_ => (float)(0.1 + 0.8 * rng.NextDouble())).ToArray();
        var y = Enumerable.Range(0, 12).Select(i => i % 3 == 0 ? 0.25f : i % 2).ToArray();
        var bce = new BceOptions { Weight = new float[] { 0.5f, 1f, 2f } };
        PointwiseLossCases.GradientCheck(p, (x, g) => EdgeLoss.Losses.BinaryCrossEntropy(x, y, g, bce), h: 1e-3, what: "bce");

        var z = Enumerable.Range(0, 12).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
        var logits = new BceWithLogitsOptions { Weight = new float[] { 0.5f, 1f, 2f }, PosWeight = new float[] { 3f, 0.5f, 1f }, Reduction = Reduction.Sum };
        PointwiseLossCases.GradientCheck(z, (x, g) => EdgeLoss.Losses.BinaryCrossEntropyWithLogits(x, y, g, logits), what: "bce with logits");
    }

    [Fact]
    public void Logits_far_out_give_exact_finite_losses()
    {
        // log(sigmoid(-1e4)) computed naively is log(0) = -inf; the stable form gives the exact 1e4.
        float[] x = [1e4f, -1e4f, 1e4f, -1e4f];
        float[] y = [0f, 1f, 1f, 0f];
        var loss = new float[4];
        var gradient = new float[4];
        EdgeLoss.Losses.BinaryCrossEntropyWithLogits(x, y, loss, gradient, new BceWithLogitsOptions { Reduction = Reduction.None });
        Assert.Equal([1e4f, 1e4f, 0f, 0f], loss);
        Assert.Equal([1f, -1f, 0f, 0f], gradient);
    }

    [Fact]
    public void Probabilities_at_0_and_1_are_clamped_like_torch()
    {
        float[] x = [0f, 1f, 0f, 1f];
        float[] y = [1f, 0f, 0f, 1f];
        var loss = new float[4];
        EdgeLoss.Losses.BinaryCrossEntropy(x, y, loss, default, new BceOptions { Reduction = Reduction.None });
        Assert.Equal([100f, 100f, 0f, 0f], loss);
    }

    [Fact]
    public void Probability_outside_0_1_is_rejected_with_index_and_value()
    {
        float[] x = [0.5f, 0.2f, 1.5f];
        float[] y = [1f, 0f, 1f];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.BinaryCrossEntropy(x, y));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("input[2] = 1.5 is outside [0, 1]", e.Message);

        float[] badTarget = [1f, -0.25f, 1f];
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.BinaryCrossEntropy([0.5f, 0.5f, 0.5f], badTarget));
        Assert.Contains("target[1] = -0.25 is outside [0, 1]", e.Message);

        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.BinaryCrossEntropyWithLogits([3f, 0f], [1f, 2f]));
        Assert.Contains("target[1] = 2 is outside [0, 1]", e.Message);
    }

    [Fact]
    public void Non_finite_values_are_rejected()
    {
        var e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.BinaryCrossEntropy([0.5f, float.NaN], [1f, 0f]));
        Assert.Contains("input[1] = NaN", e.Message);
        e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.BinaryCrossEntropyWithLogits([float.PositiveInfinity, 0f], [1f, 0f]));
        Assert.Contains("input[0] = Infinity", e.Message);
        e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.BinaryCrossEntropyWithLogits([1f, 0f], [1f, float.NaN]));
        Assert.Equal("target", e.ParamName);
    }

    [Fact]
    public void Bad_weights_are_rejected_with_their_name()
    {
        float[] x = [0.5f, 0.5f, 0.5f, 0.5f];
        float[] y = [1f, 0f, 1f, 0f];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            EdgeLoss.Losses.BinaryCrossEntropy(x, y, default, new BceOptions { Weight = new float[] { 1f, -1f } }));
        Assert.Contains("options.Weight[1] = -1 must be finite and >= 0", e.Message);

        var e2 = Assert.Throws<ArgumentException>(() =>
            EdgeLoss.Losses.BinaryCrossEntropyWithLogits(x, y, default, new BceWithLogitsOptions { PosWeight = new float[] { 1f, 2f, 3f } }));
        Assert.Contains("options.PosWeight has length 3, which does not divide the input's length 4", e2.Message);

        e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            EdgeLoss.Losses.BinaryCrossEntropyWithLogits(x, y, default, new BceWithLogitsOptions { PosWeight = new float[] { float.NaN } }));
        Assert.Contains("options.PosWeight[0] = NaN must be finite and >= 0", e.Message);
    }

    [Fact]
    public void Wrong_lengths_and_reductions_are_rejected()
    {
        float[] x = [0.5f, 0.5f, 0.5f];
        var e = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.BinaryCrossEntropy(x, [1f, 0f]));
        Assert.Contains("target has length 2, expected 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.BinaryCrossEntropy(x, [1f, 0f, 1f], new float[2]));
        Assert.Contains("gradient has length 2, expected 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.BinaryCrossEntropy(x, [1f, 0f, 1f], new float[1], default, new BceOptions { Reduction = Reduction.None }));
        Assert.Contains("loss has length 1, expected 3", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.BinaryCrossEntropy(x, [1f, 0f, 1f], default, new BceOptions { Reduction = (Reduction)5 }));
        Assert.Contains("options.Reduction = 5 is not a defined Reduction", e.Message);
        e = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.BinaryCrossEntropy(x, [1f, 0f, 1f], default, new BceOptions { Reduction = Reduction.None }));
        Assert.Contains("use the overload that takes a loss span", e.Message);
    }

    [Fact]
    public void Does_not_allocate()
    {
        var rng = new Random(5);
        var x = Enumerable.Range(0, 300).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
        var y = Enumerable.Range(0, 300).Select(i => (float)(i % 2)).ToArray();
        var g = new float[300];
        var loss = new float[300];
        var options = new BceWithLogitsOptions { Weight = new float[] { 1f, 2f, 3f }, PosWeight = new float[] { 2f, 1f, 0.5f } };
        var none = options with { Reduction = Reduction.None };
        var probabilities = new float[300];
        EdgeLoss.Activations.Sigmoid(x, probabilities);
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.BinaryCrossEntropyWithLogits(x, y, g, options));
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.BinaryCrossEntropyWithLogits(x, y, loss, g, none));
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.BinaryCrossEntropy(probabilities, y, g));
    }
}
