namespace EdgeLoss.Tests.Losses;

/// <summary>Bad input to the cross-entropy losses: each kind has its own exception, naming the argument and the value.</summary>
public class CrossEntropyInputTests
{
    private static readonly float[] Logits = new float[4 * 10];        // 4 rows x 10 classes
    private static readonly int[] Targets = [0, 9, 3, 5];

    private static void Index(float[] logits, int[] targets, CrossEntropyOptions? options = null, int lossLength = 1, int gradLength = 0) =>
        EdgeLoss.Losses.CrossEntropy(logits, targets, new float[lossLength], new float[gradLength], options);

    [Fact]
    public void A_target_outside_the_classes_is_named()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Index(Logits, [0, 1, 2, 12]));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets[3] = 12 is outside [0, 10)", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Index(Logits, [0, -1, 2, 3]));
        Assert.Contains("targets[1] = -1 is outside [0, 10)", e.Message);
        // -100 is the default ignore index; with another ignore index it is out of range.
        Index(Logits, [0, -100, 2, 3]);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Index(Logits, [0, -100, 2, 3], new CrossEntropyOptions { IgnoreIndex = 0 }));
        Assert.Contains("targets[1] = -100 is outside [0, 10)", e.Message);
    }

    [Fact]
    public void Non_finite_logits_are_named_by_index()
    {
        var logits = (float[])Logits.Clone();
        logits[27] = float.NaN;
        var e = Assert.Throws<NonFiniteInputException>(() => Index(logits, Targets, gradLength: 40));
        Assert.Equal("logits", e.ParamName);
        Assert.StartsWith("logits[27] = NaN is not finite", e.Message);
        logits[27] = float.PositiveInfinity;
        e = Assert.Throws<NonFiniteInputException>(() => Index(logits, Targets));
        Assert.StartsWith("logits[27] = Infinity is not finite", e.Message);
        logits[27] = 0f;
        logits.AsSpan(10, 10).Fill(float.NegativeInfinity);
        e = Assert.Throws<NonFiniteInputException>(() => Index(logits, Targets));
        Assert.StartsWith("logits[10..19] are all -inf", e.Message);
        // The same checks in the probability form.
        e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.CrossEntropy(logits, new float[40], 10, new float[1], default));
        Assert.StartsWith("logits[10..19] are all -inf", e.Message);
    }

    [Fact]
    public void A_NaN_row_that_is_ignored_is_not_read()
    {
        // PyTorch does not look at ignored rows either; their gradient is 0.
        var logits = (float[])Logits.Clone();
        logits[15] = float.NaN;
        var grad = new float[40];
        grad.AsSpan().Fill(7f);
        EdgeLoss.Losses.CrossEntropy(logits, [0, -100, 3, 5], new float[1], grad);
        Assert.All(grad.AsSpan(10, 10).ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Lengths_are_checked()
    {
        var e = Assert.Throws<ArgumentException>(() => Index(new float[39], Targets));
        Assert.Equal("logits", e.ParamName);
        Assert.Contains("logits has length 39, which is not a positive multiple of targets.Length = 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => Index(new float[5], []));
        Assert.Equal("targets", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Index(Logits, Targets, lossLength: 4));
        Assert.Equal("loss", e.ParamName);
        Assert.Contains("loss has length 4, expected 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => Index(Logits, Targets, new CrossEntropyOptions { Reduction = Reduction.None }, lossLength: 1));
        Assert.Contains("loss has length 1, expected 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => Index(Logits, Targets, gradLength: 39));
        Assert.Equal("gradient", e.ParamName);
        Assert.Contains("gradient has length 39, expected 40", e.Message);

        e = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.CrossEntropy(new float[40], new float[39], 10, new float[1], default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets has length 39, expected 40", e.Message);
        e = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.CrossEntropy(new float[40], new float[40], 7, new float[1], default));
        Assert.Equal("logits", e.ParamName);
        Assert.Contains("logits has length 40, which is not a multiple of classes = 7", e.Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.CrossEntropy(new float[40], new float[40], 0, new float[1], default));
        Assert.Equal("classes", range.ParamName);
        Assert.Contains("classes = 0 must be >= 1", range.Message);
    }

    [Fact]
    public void Weights_must_be_C_finite_non_negative_values()
    {
        var w = new float[10];
        w.AsSpan().Fill(1f);
        w[4] = -0.5f;
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Index(Logits, Targets, new CrossEntropyOptions { Weight = w }));
        Assert.Equal("options", range.ParamName);
        Assert.Contains("options.Weight[4] = -0.5 is negative", range.Message);
        w[4] = float.NaN;
        var nonFinite = Assert.Throws<NonFiniteInputException>(() => Index(Logits, Targets, new CrossEntropyOptions { Weight = w }));
        Assert.Equal("options", nonFinite.ParamName);
        Assert.Contains("options.Weight[4] = NaN is not finite", nonFinite.Message);
        w[4] = float.PositiveInfinity;
        nonFinite = Assert.Throws<NonFiniteInputException>(() =>
            EdgeLoss.Losses.CrossEntropy(Logits, new float[40], 10, new float[1], default, new CrossEntropyOptions { Weight = w }));
        Assert.Contains("options.Weight[4] = Infinity is not finite", nonFinite.Message);
        var e = Assert.Throws<ArgumentException>(() => Index(Logits, Targets, new CrossEntropyOptions { Weight = new float[9] }));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("options.Weight has length 9, expected 10", e.Message);
    }

    [Theory]
    [InlineData(-0.1f, "-0.1")]
    [InlineData(1.5f, "1.5")]
    [InlineData(float.NaN, "NaN")]
    public void Label_smoothing_must_be_in_0_1(float eps, string printed)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyOptions { LabelSmoothing = eps });
        Assert.Equal("LabelSmoothing", e.ParamName);
        Assert.Contains($"LabelSmoothing = {printed} is outside [0, 1]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropyOptions.Default with { LabelSmoothing = eps });
    }

    [Fact]
    public void An_undefined_reduction_is_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyOptions { Reduction = (Reduction)3 });
        Assert.Equal("Reduction", e.ParamName);
        Assert.Contains("Reduction = 3 is not None (0), Mean (1) or Sum (2)", e.Message);
    }

    [Fact]
    public void The_scalar_overload_has_no_per_row_reduction()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            EdgeLoss.Losses.CrossEntropy(Logits, Targets, new CrossEntropyOptions { Reduction = Reduction.None }));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("Reduction = None", e.Message);
    }

    [Fact]
    public void Non_finite_probability_targets_are_named()
    {
        var y = new float[40];
        y[33] = float.NaN;
        var e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.CrossEntropy(Logits, y, 10, new float[1], default));
        Assert.Equal("targets", e.ParamName);
        Assert.StartsWith("targets[33] = NaN is not finite", e.Message);
    }

    [Fact]
    public void Defaults_are_PyTorchs()
    {
        CrossEntropyOptions d = CrossEntropyOptions.Default;
        Assert.True(d.Weight.IsEmpty);
        Assert.Equal(-100, d.IgnoreIndex);
        Assert.Equal(0f, d.LabelSmoothing);
        Assert.Equal(Reduction.Mean, d.Reduction);
        Assert.Equal(d, new CrossEntropyOptions());
    }
}
