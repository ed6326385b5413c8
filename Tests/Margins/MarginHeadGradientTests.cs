namespace EdgeLoss.Tests.Margins;

/// <summary>
/// Finite-difference checks of the gradients w.r.t. the raw x and w, run on the double instantiation of the very code
/// the float API runs (MarginCore&lt;double&gt;): random points for every kind and parameter, points straddling the psi
/// thresholds cos(j pi / m), points at c = +-1 exactly (where the derivative clamp applies) and at ArcFace's switch.
/// </summary>
public class MarginHeadGradientTests
{
    public static TheoryData<string> Heads() =>
    [
        "Softmax",
        "LSoftmax 1 0", "LSoftmax 2 0", "LSoftmax 3 3", "LSoftmax 4 0", "LSoftmax 5 0", "LSoftmax 6 2", "LSoftmax 7 0", "LSoftmax 8 0", "LSoftmax 8 5",
        "SphereFace 1 0", "SphereFace 2 0", "SphereFace 3 1", "SphereFace 4 0", "SphereFace 4 5", "SphereFace 5 0", "SphereFace 6 0", "SphereFace 7 3", "SphereFace 8 0",
        "NormFace 16", "CosFace 30 0.35", "CosFace 64 0.35",
        "ArcFace 64 0.5", "ArcFace 16 1.2", "ArcFace 64 0.5 easy", "ArcFace 10 0",
        "Combined 64 1 0.3 0.2", "Combined 64 0.9 0.4 0.15", "Combined 20 1.35 0 0",
    ];

    internal static MarginHeadOptions Parse(string spec)
    {
        string[] p = spec.Split(' ');
        float F(int i) => float.Parse(p[i], System.Globalization.CultureInfo.InvariantCulture);
        return p[0] switch
        {
            "Softmax" => MarginHeadOptions.Softmax(),
            "LSoftmax" => MarginHeadOptions.LSoftmax(int.Parse(p[1]), F(2)),
            "SphereFace" => MarginHeadOptions.SphereFace(int.Parse(p[1]), F(2)),
            "NormFace" => MarginHeadOptions.NormFace(F(1)),
            "CosFace" => MarginHeadOptions.CosFace(F(1), F(2)),
            "ArcFace" => MarginHeadOptions.ArcFace(F(1), F(2), p.Length > 3),
            "Combined" => MarginHeadOptions.Combined(F(1), F(2), F(3), F(4)),
            _ => throw new ArgumentException(spec),
        };
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void Gradients_match_finite_differences_at_random_points(string spec)
    {
        var head = Parse(spec);
        var rng = new Random(spec.Length * 7919 + spec[^1]);
        const int rows = 4, dim = 5, classes = 6;
        for (int trial = 0; trial < 3; trial++)
        {
            double[] x = Normal(rng, rows * dim, 1.5), w = Normal(rng, classes * dim, 1.0);
            int[] t = [0, 3, 5, 3];
            // Make row 1 nearly opposite its class and row 2 nearly aligned, so the ArcFace fallback, the easy
            // margin's plain branch and the high psi branches are visited.
            for (int k = 0; k < dim; k++)
            {
                x[1 * dim + k] = -1.3 * w[3 * dim + k] + 0.1 * rng.NextDouble();
                x[2 * dim + k] = 0.8 * w[5 * dim + k] + 0.2 * rng.NextDouble();
            }
            CheckFiniteDifferences(head, x, w, t, dim);
        }
    }

    [Theory]
    [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void Gradients_are_continuous_across_the_psi_thresholds(int m)
    {
        // psi is C1 at cos(j pi / m) (T_m' vanishes there), so the gradient just above and just below a threshold
        // agree, and a finite difference straddling it still matches (psi'' jumps there, so the straddling
        // difference is only first-order accurate: a small step).
        const int dim = 3, classes = 4;
        foreach (var head in new[] { MarginHeadOptions.SphereFace(m), MarginHeadOptions.LSoftmax(m, 1f) })
        {
            for (int j = 1; j < m; j++)
            {
                double theta = j * Math.PI / m;
                double[] below = null!, above = null!;
                foreach (double offset in new[] { -1e-9, 1e-9 })
                {
                    var (x, w) = AtAngle(theta + offset, dim, classes, target: 2, seed: m * 10 + j);
                    var (gx, gw) = CheckFiniteDifferences(head, x, w, [2], dim, step: 1e-8, tolerance: 1e-5);
                    if (offset < 0) below = [.. gx, .. gw];
                    else above = [.. gx, .. gw];
                }
                for (int i = 0; i < below.Length; i++)
                    Assert.True(Math.Abs(below[i] - above[i]) < 1e-5, $"{head.Kind} m={m} j={j}: gradient[{i}] jumps {below[i]} -> {above[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void Gradients_are_finite_at_cosine_plus_and_minus_one_exactly(string spec)
    {
        var head = Parse(spec);
        const int dim = 4, classes = 3;
        foreach (double sign in new[] { 1.0, -1.0 })
        {
            // x = +-2 w_y exactly (so the computed cosine is +-1 up to rounding, clamped).
            var rng = new Random(5);
            double[] w = Normal(rng, classes * dim, 1.0);
            double[] x = new double[dim];
            for (int k = 0; k < dim; k++) x[k] = sign * 2 * w[1 * dim + k];
            var cos = new double[classes];
            MarginCore<double>.Cosines(x, w, dim, cos);
            Assert.Equal(sign, cos[1], 12);

            var gx = new double[dim];
            var gw = new double[classes * dim];
            double loss = MarginCore<double>.Forward(new HeadPlan(head), x, w, [1], dim, default, gx, gw);
            Assert.True(double.IsFinite(loss), $"loss {loss}");
            Assert.All(gx, g => Assert.True(double.IsFinite(g), $"grad_x {g}"));
            Assert.All(gw, g => Assert.True(double.IsFinite(g), $"grad_w {g}"));

            // Where the target logit is differentiable in x at theta = 0 or pi, the clamped gradient is still the true
            // one. Not for the arc forms: cos(theta + m) at theta = 0 (ArcFace, both variants; at pi the fallback or the
            // easy margin's plain cosine applies) and cos(m1 theta + m2) are cones in x there, with no gradient to check.
            bool kink = (head.Kind == MarginKind.ArcFace && head.Margin > 0 && sign > 0) || head.Kind == MarginKind.Combined;
            if (!kink)
                CheckFiniteDifferences(head, x, w, [1], dim);

            // The float API at the same point is finite too.
            float[] xf = Array.ConvertAll(x, v => (float)v), wf = Array.ConvertAll(w, v => (float)v);
            var gxf = new float[dim];
            var gwf = new float[classes * dim];
            float lf = MarginHeads.Forward(head, xf, wf, [1], dim, default, gxf, gwf);
            Assert.True(float.IsFinite(lf));
            Assert.All(gxf, g => Assert.True(float.IsFinite(g)));
            Assert.All(gwf, g => Assert.True(float.IsFinite(g)));
        }
    }

    [Theory]
    [InlineData(0.5f)] [InlineData(0.3f)] [InlineData(1.2f)]
    public void ArcFace_gradients_are_finite_at_the_switch_and_exact_on_both_sides(float margin)
    {
        var head = MarginHeadOptions.ArcFace(16f, margin);
        double threshold = new ArcFaceConstants(margin).Threshold;
        const int dim = 3, classes = 4;
        foreach (double offset in new[] { -1e-5, 0.0, 1e-5 })
        {
            var (x, w) = AtAngle(Math.Acos(threshold + offset), dim, classes, target: 1, seed: 3);
            var gx = new double[dim];
            var gw = new double[classes * dim];
            double loss = MarginCore<double>.Forward(new HeadPlan(head), x, w, [1], dim, default, gx, gw);
            Assert.True(double.IsFinite(loss));
            Assert.All(gx.Concat(gw), g => Assert.True(double.IsFinite(g)));
            if (offset != 0)   // away from the jump of the logit by more than the finite-difference step
                CheckFiniteDifferences(head, x, w, [1], dim, step: 1e-8);
        }
    }

    [Theory]
    [InlineData("ArcFace 64 0.5", 50, 128)]
    [InlineData("SphereFace 4 0", 100, 512)]
    [InlineData("CosFace 30 0.35", 2100, 16)]    // > 2048 classes: scratch from the pool
    [InlineData("LSoftmax 3 1", 20, 37)]         // dim not a multiple of the vector width
    [InlineData("Combined 64 0.9 0.4 0.15", 300, 64, 21)]   // 21 rows: blocks of 8, 8 and 5
    public void Float_api_agrees_with_the_double_core_at_larger_sizes(string spec, int classes, int dim, int rows = 3)
    {
        var head = Parse(spec);
        var rng = new Random(classes + dim);
        double[] x = Normal(rng, rows * dim, 1.0), w = Normal(rng, classes * dim, 0.5);
        int[] t = Enumerable.Range(0, rows).Select(i => i % 3 == 0 ? 0 : i % 3 == 1 ? classes / 2 : classes - 1).ToArray();
        for (int k = 0; k < dim; k++) x[dim + k] = w[classes / 2 * dim + k] + 0.05 * x[dim + k];   // one confident row
        float[] xf = Array.ConvertAll(x, v => (float)v), wf = Array.ConvertAll(w, v => (float)v);
        x = Array.ConvertAll(xf, v => (double)v);
        w = Array.ConvertAll(wf, v => (double)v);

        var lg = new double[rows * classes];
        var gx = new double[rows * dim];
        var gw = new double[classes * dim];
        double loss = MarginCore<double>.Forward(new HeadPlan(head), x, w, t, dim, lg, gx, gw);
        var lgf = new float[rows * classes];
        var gxf = new float[rows * dim];
        var gwf = new float[classes * dim];
        float lossf = MarginHeads.Forward(head, xf, wf, t, dim, lgf, gxf, gwf);

        MarginHeadGoldenTests.Close([loss], [lossf], 1e-5, 1e-6, "loss");
        MarginHeadGoldenTests.Close(lg, lgf, 1e-5, 2e-6, "logits");
        MarginHeadGoldenTests.Close(gx, gxf, 1e-4, 1e-5, "grad_x");
        MarginHeadGoldenTests.Close(gw, gwf, 1e-4, 1e-5, "grad_w");
    }

    [Theory]
    [InlineData("SphereFace 4 0")]
    [InlineData("ArcFace 64 0.5")]
    [InlineData("LSoftmax 2 1")]
    public void Gradients_match_finite_differences_across_row_blocks(string spec)
    {
        // 11 rows: a block of 8 and one of 3, both contributing to dL/dw.
        var rng = new Random(17);
        const int rows = 11, dim = 3, classes = 4;
        double[] x = Normal(rng, rows * dim, 1.2), w = Normal(rng, classes * dim, 1.0);
        int[] t = Enumerable.Range(0, rows).Select(i => i % classes).ToArray();
        CheckFiniteDifferences(Parse(spec), x, w, t, dim);
    }

    /// <summary>
    /// Central differences of the double core's loss for every element of x and w, against its analytic gradient:
    /// |numeric - analytic| &lt;= tolerance * max|analytic| + 1e-5 * |analytic|. Returns the analytic gradients.
    /// </summary>
    internal static (double[] GradX, double[] GradW) CheckFiniteDifferences(MarginHeadOptions head, double[] x, double[] w, int[] t, int dim,
                                                                             double step = 1e-6, double tolerance = 1e-6)
    {
        var plan = new HeadPlan(head);
        var gx = new double[x.Length];
        var gw = new double[w.Length];
        MarginCore<double>.Forward(plan, x, w, t, dim, default, gx, gw);
        double scale = gx.Concat(gw).Max(Math.Abs);
        Probe(x, gx, "grad_x");
        Probe(w, gw, "grad_w");
        return (gx, gw);

        void Probe(double[] v, double[] analytic, string what)
        {
            for (int i = 0; i < v.Length; i++)
            {
                double saved = v[i], h = step * Math.Max(1, Math.Abs(saved));
                v[i] = saved + h;
                double fp = MarginCore<double>.Forward(plan, x, w, t, dim, default, default, default);
                v[i] = saved - h;
                double fm = MarginCore<double>.Forward(plan, x, w, t, dim, default, default, default);
                v[i] = saved;
                double numeric = (fp - fm) / (2 * h);
                double err = Math.Abs(numeric - analytic[i]);
                if (!(err <= tolerance * scale + 1e-5 * Math.Abs(analytic[i]) + 1e-9))
                    Assert.Fail($"{head.Kind}: {what}[{i}] analytic {analytic[i]:R}, finite difference {numeric:R} (error {err:E2}, scale {scale:E2})");
            }
        }
    }

    /// <summary>A single row x at angle <paramref name="theta"/> from w_target (norms 1.7 and 1.3), other classes random.</summary>
    internal static (double[] X, double[] W) AtAngle(double theta, int dim, int classes, int target, int seed)
    {
        var rng = new Random(seed);
        double[] w = Normal(rng, classes * dim, 1.0);
        double[] x = new double[dim];
        // w_target = 1.3 e0; x = 1.7 (cos theta e0 + sin theta e1).
        for (int k = 0; k < dim; k++) w[target * dim + k] = 0;
        w[target * dim] = 1.3;
        x[0] = 1.7 * Math.Cos(theta);
        x[1] = 1.7 * Math.Sin(theta);
        return (x, w);
    }

    internal static double[] Normal(Random rng, int n, double sigma)
    {
        var v = new double[n];
        for (int i = 0; i < n; i++)
            v[i] = sigma * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        return v;
    }
}
