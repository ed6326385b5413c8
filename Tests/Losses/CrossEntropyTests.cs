using System.Text.Json;
using EdgeLoss.Tests.Common;
using EdgeLoss.Tests.Softmax;

namespace EdgeLoss.Tests.Losses;

public class CrossEntropyTests
{
    private const string IndexGolden = "Softmax/ce_index.json", SoftGolden = "Softmax/ce_soft.json";
    private static readonly IReadOnlyList<JsonElement> IndexCases = Fixture.Cases(IndexGolden);
    private static readonly IReadOnlyList<JsonElement> SoftCases = Fixture.Cases(SoftGolden);

    public static TheoryData<string, int> IndexNames => Fixture.Names(IndexGolden);
    public static TheoryData<string, int> SoftNames => Fixture.Names(SoftGolden);

    internal static CrossEntropyOptions OptionsOf(JsonElement c) => new()
    {
        Weight = c.Has("weight") ? c.Floats("weight") : ReadOnlyMemory<float>.Empty,
        IgnoreIndex = c.TryGetProperty("ignore_index", out JsonElement ignore) ? ignore.GetInt32() : -100,
        LabelSmoothing = c.TryGetProperty("label_smoothing", out JsonElement eps) ? (float)eps.GetDouble() : 0f,
        Reduction = c.ReductionOf(),
    };

    /// <summary>Losses at the log-softmax bar (1e-5 relative), gradients at 1e-5 relative or 1e-6 absolute.</summary>
    internal static void LossClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, string what) =>
        Approx.Equal(expected, actual, rel: 1e-5, abs: 1e-6, what);

    // ------------------------------------------------------------------------------------------------------------
    // semantics.md section 1, worked values
    // ------------------------------------------------------------------------------------------------------------

    [Fact]
    public void CE_of_1_2_7_target_2_is_0_0091745()
    {
        float l = EdgeLoss.Losses.CrossEntropy([1f, 2f, 7f], [2]);
        Approx.Printed(0.0092, l, 4, "CE");
        Approx.Printed(0.0091745, l, 7, "CE");
    }

    [Fact]
    public void CE_of_three_rows_prints_as_the_table_for_each_reduction()
    {
        float[] logits = [1, 2, 7, 4, 7, 9, 8, 3, 4];
        int[] targets = [2, 2, 0];
        var none = new float[3];
        EdgeLoss.Losses.CrossEntropy(logits, targets, none, default, new CrossEntropyOptions { Reduction = Reduction.None });
        Approx.Printed(0.0092, none[0], 4, "none[0]");
        Approx.Printed(0.1328, none[1], 4, "none[1]");
        Approx.Printed(0.0247, none[2], 4, "none[2]");
        Approx.Printed(0.0556, EdgeLoss.Losses.CrossEntropy(logits, targets), 4, "mean");
        Approx.Printed(0.1668, EdgeLoss.Losses.CrossEntropy(logits, targets, new CrossEntropyOptions { Reduction = Reduction.Sum }), 4, "sum");
    }

    [Fact]
    public void Sum_of_CE_over_three_rows_of_1_2_3_is_1_2228()
    {
        float l = EdgeLoss.Losses.CrossEntropy([1, 2, 3, 1, 2, 3, 1, 2, 3], [2, 2, 2], new CrossEntropyOptions { Reduction = Reduction.Sum });
        Approx.Printed(1.2228, l, 4, "sum");
    }

    // ------------------------------------------------------------------------------------------------------------
    // Golden fixtures (PyTorch float64, autograd)
    // ------------------------------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(IndexNames))]
    public void Class_index_targets_match_torch(string name, int index)
    {
        JsonElement c = IndexCases[index];
        float[] logits = c.Floats("logits");
        int[] targets = c.Ints("targets");
        CrossEntropyOptions options = OptionsOf(c);
        double[] expectedLoss = c.Doubles("loss");
        var loss = new float[expectedLoss.Length];
        var grad = new float[logits.Length];

        EdgeLoss.Losses.CrossEntropy(logits, targets, loss, grad, options);
        LossClose(expectedLoss, loss, $"{name} loss");
        LossClose(c.Doubles("grad"), grad, $"{name} grad");

        // Without a gradient: the same loss, bit for bit.
        var lossOnly = new float[loss.Length];
        EdgeLoss.Losses.CrossEntropy(logits, targets, lossOnly, default, options);
        Assert.Equal(loss, lossOnly);
        if (options.Reduction != Reduction.None)
            Assert.Equal(loss[0], EdgeLoss.Losses.CrossEntropy(logits, targets, options));
    }

    [Theory, MemberData(nameof(SoftNames))]
    public void Probability_targets_match_torch(string name, int index)
    {
        JsonElement c = SoftCases[index];
        float[] logits = c.Floats("logits"), targets = c.Floats("targets");
        int classes = c.Cols("logits");
        CrossEntropyOptions options = OptionsOf(c);
        double[] expectedLoss = c.Doubles("loss");
        var loss = new float[expectedLoss.Length];
        var grad = new float[logits.Length];

        EdgeLoss.Losses.CrossEntropy(logits, targets, classes, loss, grad, options);
        LossClose(expectedLoss, loss, $"{name} loss");
        LossClose(c.Doubles("grad"), grad, $"{name} grad");

        var lossOnly = new float[loss.Length];
        EdgeLoss.Losses.CrossEntropy(logits, targets, classes, lossOnly, default, options);
        Assert.Equal(loss, lossOnly);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Identities between the forms
    // ------------------------------------------------------------------------------------------------------------

    public static TheoryData<int, int, float, float> Shapes => new()
    {
        { 4, 3, 0f, 0f }, { 6, 10, 0.1f, 0f }, { 3, 17, 0.2f, 2f }, { 2, 1000, 0f, 1f }, { 5, 8, 0.05f, 1f },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void One_hot_probability_targets_equal_class_index_targets(int rows, int classes, float smoothing, float weighted)
    {
        float[] logits = SoftmaxReference.RandomLogits(rows * classes, seed: rows * classes, scale: 3);
        var rng = new Random(rows);
        int[] targets = Enumerable.Range(0, rows).Select(_ => rng.Next(classes)).ToArray();
        var onehot = new float[logits.Length];
        for (int n = 0; n < rows; n++) onehot[n * classes + targets[n]] = 1f;
        float[] w = Enumerable.Range(0, classes).Select(c => 0.5f + (c % 4) * 0.5f).ToArray();
        // With weights the means differ (index form divides by sum w[y_n], probability form by N): compare sums.
        foreach (Reduction reduction in weighted > 0 ? new[] { Reduction.None, Reduction.Sum } : new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
        {
            var options = new CrossEntropyOptions
            {
                LabelSmoothing = smoothing, Reduction = reduction, Weight = weighted > 0 ? w : ReadOnlyMemory<float>.Empty,
            };
            int length = reduction == Reduction.None ? rows : 1;
            float[] l1 = new float[length], l2 = new float[length], g1 = new float[logits.Length], g2 = new float[logits.Length];
            EdgeLoss.Losses.CrossEntropy(logits, targets, l1, g1, options);
            EdgeLoss.Losses.CrossEntropy(logits, onehot, classes, l2, g2, options);
            Approx.Equal(l1, l2, rel: 1e-6, abs: 1e-7, $"{reduction} loss");
            Approx.Equal(g1, g2, rel: 1e-6, abs: 1e-7, $"{reduction} grad");
        }
    }

    [Theory, MemberData(nameof(Shapes))]
    public void CE_equals_NLL_of_the_log_softmax(int rows, int classes, float smoothing, float weighted)
    {
        _ = smoothing;                                        // NLL has no smoothing
        float[] logits = SoftmaxReference.RandomLogits(rows * classes, seed: 7 + rows, scale: 4);
        int[] targets = Enumerable.Range(0, rows).Select(n => n == 1 ? -100 : (n * 7) % classes).ToArray();
        float[] w = Enumerable.Range(0, classes).Select(c => 1f + c % 3).ToArray();
        var logp = new float[logits.Length];
        Functional.LogSoftmax(logits, classes, logp);
        foreach (Reduction reduction in Enum.GetValues<Reduction>())
        {
            var options = new CrossEntropyOptions { Reduction = reduction, Weight = weighted > 0 ? w : ReadOnlyMemory<float>.Empty };
            int length = reduction == Reduction.None ? rows : 1;
            float[] ce = new float[length], nll = new float[length];
            EdgeLoss.Losses.CrossEntropy(logits, targets, ce, default, options);
            EdgeLoss.Losses.Nll(logp, targets, nll, default, options);
            Approx.Equal(ce, nll, rel: 1e-6, abs: 1e-6, $"{reduction}");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Finite differences
    // ------------------------------------------------------------------------------------------------------------

    public static TheoryData<string, float, Reduction, bool> GradCases => new()
    {
        { "plain", 0f, Reduction.Mean, false },
        { "weighted-smoothed", 0.1f, Reduction.Mean, true },
        { "weighted-sum", 0f, Reduction.Sum, true },
        { "smoothed-none", 0.3f, Reduction.None, true },
        { "full-smoothing", 1f, Reduction.Mean, false },
    };

    [Theory, MemberData(nameof(GradCases))]
    public void Class_index_gradient_matches_finite_differences(string name, float smoothing, Reduction reduction, bool weighted)
    {
        const int rows = 4, classes = 6;
        float[] x = SoftmaxReference.RandomLogits(rows * classes, seed: 11, scale: 2);
        int[] targets = [3, -100, 0, 5];
        var options = new CrossEntropyOptions
        {
            LabelSmoothing = smoothing, Reduction = reduction,
            Weight = weighted ? new float[] { 0.5f, 2f, 1f, 1.5f, 0.25f, 1f } : ReadOnlyMemory<float>.Empty,
        };
        int length = reduction == Reduction.None ? rows : 1;
        var loss = new float[length];
        var grad = new float[x.Length];
        EdgeLoss.Losses.CrossEntropy(x, targets, loss, grad, options);
        GradCheck.Check(p =>
        {
            var l = new float[length];
            EdgeLoss.Losses.CrossEntropy(p, targets, l, default, options);
            return l.Sum(v => (double)v);                     // None: the sum's gradient is row i's d l_i / d x_i
        }, x, grad, what: name);
        Assert.All(grad.AsSpan(classes, classes).ToArray(), g => Assert.Equal(0f, g));   // the ignored row
    }

    [Theory, MemberData(nameof(GradCases))]
    public void Probability_target_gradient_matches_finite_differences(string name, float smoothing, Reduction reduction, bool weighted)
    {
        const int rows = 3, classes = 7;
        float[] x = SoftmaxReference.RandomLogits(rows * classes, seed: 12, scale: 2);
        float[] y = SoftmaxReference.RandomLogits(rows * classes, seed: 13, scale: 1);
        for (int n = 0; n < rows; n++)                       // rows of a softmax: valid distributions
            Functional.Softmax(y.AsSpan(n * classes, classes), y.AsSpan(n * classes, classes));
        y[3] *= 0.5f;                                         // ... except one that does not sum to 1
        var options = new CrossEntropyOptions
        {
            LabelSmoothing = smoothing, Reduction = reduction,
            Weight = weighted ? new float[] { 0.5f, 2f, 1f, 1.5f, 0.25f, 1f, 3f } : ReadOnlyMemory<float>.Empty,
        };
        int length = reduction == Reduction.None ? rows : 1;
        var loss = new float[length];
        var grad = new float[x.Length];
        EdgeLoss.Losses.CrossEntropy(x, y, classes, loss, grad, options);
        GradCheck.Check(p =>
        {
            var l = new float[length];
            EdgeLoss.Losses.CrossEntropy(p, y, classes, l, default, options);
            return l.Sum(v => (double)v);
        }, x, grad, what: name);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Edge cases
    // ------------------------------------------------------------------------------------------------------------

    [Fact]
    public void An_empty_batch_gives_NaN_for_the_mean_and_0_for_the_sum_as_torch()
    {
        Assert.True(float.IsNaN(EdgeLoss.Losses.CrossEntropy([], [])));
        Assert.Equal(0f, EdgeLoss.Losses.CrossEntropy([], [], new CrossEntropyOptions { Reduction = Reduction.Sum }));
        EdgeLoss.Losses.CrossEntropy([], ReadOnlySpan<int>.Empty, Span<float>.Empty, default, new CrossEntropyOptions { Reduction = Reduction.None });
        var mean = new float[1];
        EdgeLoss.Losses.CrossEntropy([], ReadOnlySpan<float>.Empty, 5, mean, default);
        Assert.True(float.IsNaN(mean[0]));
    }

    [Fact]
    public void A_zero_weight_class_contributes_0_even_where_its_logit_is_masked()
    {
        // Class 1 is masked (-inf) and has weight 0: torch computes 0 * -inf = NaN in the smoothing term; the
        // contract's 0 log 0 = 0 gives the loss of the other classes only.
        float[] logits = [1f, float.NegativeInfinity, 3f];
        float[] w = [1f, 0f, 2f];
        const float eps = 0.1f;
        double lse = Math.Log(Math.Exp(1) + Math.Exp(3));
        double[] logp = [1 - lse, double.NegativeInfinity, 3 - lse];
        double nll = -w[2] * logp[2];
        double r = -(w[0] * logp[0] + w[2] * logp[2]);
        double expected = (1 - eps) * nll + eps / 3 * r;
        var loss = new float[1];
        var grad = new float[3];
        EdgeLoss.Losses.CrossEntropy(logits, [2], loss, grad, new CrossEntropyOptions { Weight = w, LabelSmoothing = eps, Reduction = Reduction.Sum });
        Approx.Equal(expected, loss[0], 1e-6, 0, "loss");
        Assert.Equal(0f, grad[1]);                           // p = 0 and w = 0

        // The probability form likewise: target 0 on the masked class.
        var soft = new float[1];
        EdgeLoss.Losses.CrossEntropy(logits, [0.25f, 0f, 0.75f], 3, soft, default);
        Approx.Equal(-(0.25 * logp[0] + 0.75 * logp[2]), soft[0], 1e-6, 0, "soft loss");
    }

    [Fact]
    public void Large_logits_do_not_overflow()
    {
        float[] logits = [1000f, 1001f, 1002f, -1000f, -1001f, -1002f];
        var loss = new float[2];
        var grad = new float[6];
        EdgeLoss.Losses.CrossEntropy(logits, [2, 2], loss, grad, new CrossEntropyOptions { Reduction = Reduction.None });
        double lse = Math.Log(Math.Exp(-2) + Math.Exp(-1) + 1);
        Approx.Equal(lse, loss[0], 1e-6, 0, "row 0");
        Approx.Equal(2 + lse, loss[1], 1e-6, 0, "row 1");
        Assert.All(grad, g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Cross_entropy_does_not_allocate()
    {
        const int rows = 64;
        foreach (int classes in new[] { 10, 1000 })
        {
            float[] logits = SoftmaxReference.RandomLogits(rows * classes, seed: classes);
            int[] targets = Enumerable.Range(0, rows).Select(n => n % 9 == 4 ? -100 : (n * 31) % classes).ToArray();
            var soft = new float[logits.Length];
            Functional.Softmax(logits, classes, soft, 3f);
            var grad = new float[logits.Length];
            var perRow = new float[rows];
            var one = new float[1];
            var options = new CrossEntropyOptions { Weight = Enumerable.Repeat(0.5f, classes).ToArray(), LabelSmoothing = 0.1f };
            var none = options with { Reduction = Reduction.None };
            Assert.Equal(0, AllocatedBytes.Of(() => EdgeLoss.Losses.CrossEntropy(logits, targets, one, grad)));
            Assert.Equal(0, AllocatedBytes.Of(() => EdgeLoss.Losses.CrossEntropy(logits, targets, one, grad, options)));
            Assert.Equal(0, AllocatedBytes.Of(() => EdgeLoss.Losses.CrossEntropy(logits, targets, perRow, default, none)));
            Assert.Equal(0, AllocatedBytes.Of(() => EdgeLoss.Losses.CrossEntropy(logits, targets, options)));
            Assert.Equal(0, AllocatedBytes.Of(() => EdgeLoss.Losses.CrossEntropy(logits, soft, classes, one, grad, options)));
        }
    }
}
