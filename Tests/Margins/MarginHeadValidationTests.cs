namespace EdgeLoss.Tests.Margins;

/// <summary>Bad input to the margin heads: each kind of mistake gets its own exception and a message naming it.</summary>
public class MarginHeadValidationTests
{
    private const int Dim = 3, Classes = 4;
    private static readonly float[] X = [1f, 2f, 3f, -1f, 0.5f, 2f];                  // 2 rows
    private static readonly float[] W = [1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f, 1f, 1f, 1f];
    private static readonly int[] Targets = [0, 3];

    private static float Forward(MarginHeadOptions head, float[]? x = null, float[]? w = null, int[]? targets = null, int dim = Dim,
                                 float[]? logits = null, float[]? gradX = null, float[]? gradW = null) =>
        MarginHeads.Forward(head, x ?? X, w ?? W, targets ?? Targets, dim, logits, gradX, gradW);

    private static T Throws<T>(Action a, string expected) where T : Exception
    {
        var e = Assert.Throws<T>(a);
        Assert.Contains(expected, e.Message);
        return e;
    }

    [Fact]
    public void Wrong_lengths_name_the_argument_and_both_lengths()
    {
        var h = MarginHeadOptions.ArcFace();
        Throws<ArgumentException>(() => Forward(h, x: [1f, 2f, 3f, 4f]), "x has length 4, expected targets.Length * dim = 6");
        Throws<ArgumentException>(() => Forward(h, w: new float[11]), "w has length 11, not a positive multiple of dim = 3");
        Throws<ArgumentException>(() => Forward(h, w: []), "w has length 0");
        Throws<ArgumentException>(() => Forward(h, targets: []), "targets is empty");
        Throws<ArgumentException>(() => Forward(h, logits: new float[7]), "logits has length 7, expected 8");
        Throws<ArgumentException>(() => Forward(h, gradX: new float[5]), "gradX has length 5, expected 6");
        Throws<ArgumentException>(() => Forward(h, gradW: new float[13]), "gradW has length 13, expected 12");
        Throws<ArgumentOutOfRangeException>(() => Forward(h, dim: 0), "dim = 0 must be >= 1");
        Throws<ArgumentException>(() => MarginHeads.Predict(h, X, W, Dim, new float[9]), "probabilities has length 9, expected 8");
        Throws<ArgumentException>(() => MarginHeads.Predict(h, [1f, 2f], W, Dim, new float[8]), "x has length 2, not a positive multiple of dim = 3");
        Throws<ArgumentException>(() => MarginHeads.Cosines(X, W, Dim, new float[3]), "cosines has length 3, expected 8");
    }

    [Fact]
    public void Targets_out_of_range_name_index_and_range()
    {
        var h = MarginHeadOptions.CosFace();
        Throws<ArgumentOutOfRangeException>(() => Forward(h, targets: [0, 4]), "targets[1] = 4 is outside [0, 4)");
        Throws<ArgumentOutOfRangeException>(() => Forward(h, targets: [-1, 0]), "targets[0] = -1 is outside [0, 4)");
    }

    [Fact]
    public void Non_finite_elements_are_NonFiniteInputException()
    {
        var h = MarginHeadOptions.SphereFace();
        float[] x = (float[])X.Clone();
        x[4] = float.NaN;
        Throws<NonFiniteInputException>(() => Forward(h, x: x), "x[4] = NaN is not finite");
        float[] w = (float[])W.Clone();
        w[10] = float.NegativeInfinity;
        Throws<NonFiniteInputException>(() => Forward(h, w: w), "w[10] = -Infinity is not finite");
        Throws<NonFiniteInputException>(() => MarginHeads.Predict(h, X, w, Dim, new float[8]), "w[10]");
        Throws<NonFiniteInputException>(() => MarginHeads.Cosines(x, W, Dim, new float[8]), "x[4]");
    }

    [Fact]
    public void Zero_norm_rows_are_NonFiniteInputException_for_every_kind()
    {
        float[] x = (float[])X.Clone();
        x[3] = x[4] = x[5] = 0f;
        float[] w = (float[])W.Clone();
        w[6] = w[7] = w[8] = 0f;
        foreach (MarginKind kind in Enum.GetValues<MarginKind>())
        {
            var h = new MarginHeadOptions { Kind = kind, Margin = 0.3f };
            var e = Throws<NonFiniteInputException>(() => Forward(h, x: x), "x row 1 has norm 0");
            Assert.Equal("x", e.ParamName);
            e = Throws<NonFiniteInputException>(() => Forward(h, w: w), "w row 2 has norm 0");
            Assert.Equal("w", e.ParamName);
            Throws<NonFiniteInputException>(() => MarginHeads.Predict(h, x, W, Dim, new float[8]), "x row 1 has norm 0");
        }
        Throws<NonFiniteInputException>(() => MarginHeads.Cosines(X, w, Dim, new float[8]), "w row 2 has norm 0");
    }

    [Fact]
    public void Norms_too_small_or_too_large_for_float_are_refused()
    {
        // Squares of 1e-20 underflow float (subnormal: precision lost), squares of 1e20 overflow.
        Throws<NonFiniteInputException>(() => Forward(MarginHeadOptions.ArcFace(), x: [1e-20f, 1e-20f, 0f, 1f, 1f, 1f]),
            "too small to normalize (its square underflows float)");
        Throws<NonFiniteInputException>(() => Forward(MarginHeadOptions.ArcFace(), x: [1e-20f, 1e-20f, 0f, 1f, 1f, 1f]), "x row 0 has norm 1.41");
        float[] w = (float[])W.Clone();
        w[4] = 1e20f;
        Throws<NonFiniteInputException>(() => Forward(MarginHeadOptions.Softmax(), w: w), "w row 1 has norm Infinity: too large to normalize (its square overflows float)");
        // 1e-18 is fine: its square is a normal float.
        Assert.True(float.IsFinite(Forward(MarginHeadOptions.ArcFace(), x: [1e-18f, 1e-18f, 0f, 1f, 1f, 1f])));
    }

    [Fact]
    public void Overflowing_logits_are_refused_before_any_output_is_written()
    {
        // ||x|| ||w_0|| = 2.25e38 is a float, but L-Softmax m = 8 multiplies it by psi down to -15.
        float[] x = [1.5e19f, 0f, 0f, 1f, 1f, 1f];
        float[] w = (float[])W.Clone();
        w[0] = 1.5e19f;
        var logits = Enumerable.Repeat(-7f, 8).ToArray();
        var gradX = Enumerable.Repeat(-7f, 6).ToArray();
        Throws<NonFiniteInputException>(() => Forward(MarginHeadOptions.LSoftmax(8), x: x, w: w, logits: logits, gradX: gradX),
            "x row 0: the LSoftmax logits could overflow float (||x|| = 1.5E+19, largest ||w_j|| = 1.5E+19)");
        Assert.All(logits, v => Assert.Equal(-7f, v));
        Assert.All(gradX, v => Assert.Equal(-7f, v));
        Throws<NonFiniteInputException>(() => Forward(MarginHeadOptions.CosFace(3e38f, 0.5f)), "the CosFace logits could overflow");
        // The same norms are fine where the logits do not multiply them: SphereFace uses ||x|| c_j only.
        Assert.True(float.IsFinite(MarginHeads.Forward(MarginHeadOptions.SphereFace(4), x, w, Targets, Dim, logits, gradX, default)));
    }

    [Fact]
    public void A_bad_last_row_leaves_every_output_untouched()
    {
        float[] x = (float[])X.Clone();
        x[3] = x[4] = x[5] = 0f;
        var logits = Enumerable.Repeat(-7f, 8).ToArray();
        var gradX = Enumerable.Repeat(-7f, 6).ToArray();
        var gradW = Enumerable.Repeat(-7f, 12).ToArray();
        Assert.Throws<NonFiniteInputException>(() => Forward(MarginHeadOptions.ArcFace(), x: x, logits: logits, gradX: gradX, gradW: gradW));
        Assert.All(logits.Concat(gradX).Concat(gradW), v => Assert.Equal(-7f, v));
    }

    public static TheoryData<MarginHeadOptions, string, string> BadHeads() => new()
    {
        { MarginHeadOptions.SphereFace(0), "M", "M = 0 is outside [1, 8] for SphereFace" },
        { MarginHeadOptions.LSoftmax(9), "M", "M = 9 is outside [1, 8] for LSoftmax" },
        { MarginHeadOptions.SphereFace(4, -1f), "Lambda", "Lambda = -1 must be finite and >= 0" },
        { MarginHeadOptions.LSoftmax(2, float.NaN), "Lambda", "Lambda = NaN" },
        { MarginHeadOptions.NormFace(0f), "Scale", "Scale = 0 must be finite and > 0 for NormFace" },
        { MarginHeadOptions.ArcFace(-64f), "Scale", "Scale = -64 must be finite and > 0" },
        { MarginHeadOptions.CosFace(float.PositiveInfinity), "Scale", "Scale = Infinity" },
        { MarginHeadOptions.Combined(float.NaN, 1, 0, 0), "Scale", "Scale = NaN" },
        { MarginHeadOptions.CosFace(30f, 1.5f), "Margin", "Margin = 1.5 is outside [0, 1]" },
        { MarginHeadOptions.CosFace(30f, -0.1f), "Margin", "Margin = -0.1 is outside [0, 1]" },
        { MarginHeadOptions.ArcFace(64f, -0.1f), "Margin", "Margin = -0.1 is outside [0, pi/2)" },
        { MarginHeadOptions.ArcFace(64f, 1.5707964f), "Margin", "Margin = 1.5707964 is outside [0, pi/2)" },
        { MarginHeadOptions.ArcFace(64f, float.NaN), "Margin", "Margin = NaN" },
        { MarginHeadOptions.Combined(64f, 0f, 0.3f, 0.2f), "M1", "M1 = 0 must be finite and > 0" },
        { MarginHeadOptions.Combined(64f, 1f, float.PositiveInfinity, 0.2f), "M2", "M2 = Infinity must be finite" },
        { MarginHeadOptions.Combined(64f, 1f, 0.3f, float.NaN), "M3", "M3 = NaN must be finite" },
        { new MarginHeadOptions { Kind = (MarginKind)7 }, "Kind", "Kind = 7 is not a MarginKind (0..6)" },
    };

    [Theory]
    [MemberData(nameof(BadHeads))]
    public void Bad_head_parameters_name_the_property_and_value(MarginHeadOptions head, string property, string message)
    {
        var e = Throws<ArgumentOutOfRangeException>(head.Validate, message);
        Assert.Equal(property, e.ParamName);
        Throws<ArgumentOutOfRangeException>(() => Forward(head), message);
        Throws<ArgumentOutOfRangeException>(() => MarginHeads.Predict(head, X, W, Dim, new float[8]), message);
    }

    [Fact]
    public void Parameters_of_other_kinds_are_ignored_and_the_limits_are_inclusive_where_documented()
    {
        // A CosFace margin of 7 or an m of 0 mean nothing to NormFace (the C struct always carries every field).
        new MarginHeadOptions { Kind = MarginKind.NormFace, Margin = 7f, M = 0, Lambda = -1f }.Validate();
        MarginHeadOptions.CosFace(1f, 1f).Validate();
        MarginHeadOptions.CosFace(1f, 0f).Validate();
        MarginHeadOptions.ArcFace(1f, 0f).Validate();
        MarginHeadOptions.ArcFace(1f, 1.5707963f).Validate();      // the largest float below pi/2
        MarginHeadOptions.SphereFace(1).Validate();
        MarginHeadOptions.SphereFace(8).Validate();
        Assert.Throws<ArgumentNullException>(() => Forward(null!));
    }
}
