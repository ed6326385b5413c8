namespace EdgeLoss.Tests.Margins;

/// <summary>
/// Worked values computed by hand, identities between the heads, batching, optional outputs, inference without margin
/// and the allocation-free promise.
/// </summary>
public class MarginHeadBehaviourTests
{
    /// <summary>x at angle theta from w_0 = (1, 0) with norm r; w_1 = (0, 2), w_2 = (-1, -1).</summary>
    private static (float[] X, float[] W) Plane(double theta, double r) =>
        ([(float)(r * Math.Cos(theta)), (float)(r * Math.Sin(theta))], [1f, 0f, 0f, 2f, -1f, -1f]);

    private static double Ce(double[] z, int y) => Math.Log(z.Sum(v => Math.Exp(v - z.Max()))) + z.Max() - z[y];

    [Fact]
    public void Worked_values_by_hand()
    {
        const double theta = Math.PI / 3, r = 2;                  // c_0 = 0.5, c_1 = sin(pi/3), c_2 = -(c + s)/sqrt 2
        var (x, w) = Plane(theta, r);
        double c1 = Math.Sin(theta), c2 = -(0.5 + Math.Sin(theta)) / Math.Sqrt(2);
        var logits = new float[3];

        // SphereFace m = 4: theta = pi/3 lies in [pi/4, pi/2): k = 1, psi = -cos(4 pi/3) - 2 = -1.5; z_0 = ||x|| psi = -3.
        float loss = MarginHeads.Forward(MarginHeadOptions.SphereFace(4), x, w, [0], 2, logits, default, default);
        double[] z = [-3, r * c1, r * c2];
        Assert.Equal(z, logits.Select(v => (double)v), (a, b) => Math.Abs(a - b) < 2e-6);
        Assert.Equal(Ce(z, 0), loss, 5);

        // ... with lambda = 5: ||x|| (psi + 5 c) / 6 = 2 (-1.5 + 2.5) / 6 = 1/3.
        MarginHeads.Forward(MarginHeadOptions.SphereFace(4, 5f), x, w, [0], 2, logits, default, default);
        Assert.Equal(1.0 / 3, logits[0], 5);

        // L-Softmax m = 2: k = floor(2/3) = 0, psi = cos(2 pi/3) = -0.5; z_0 = ||x|| ||w_0|| psi = -1;
        // non-target z_1 = x . w_1 = 2 * 2 sin(pi/3).
        MarginHeads.Forward(MarginHeadOptions.LSoftmax(2), x, w, [0], 2, logits, default, default);
        Assert.Equal(-1.0, logits[0], 5);
        Assert.Equal(4 * Math.Sin(theta), logits[1], 5);

        // CosFace s = 30, m = 0.35: z_0 = 30 (0.5 - 0.35) = 4.5; ArcFace s = 64, m = 0.5: z_0 = 64 cos(pi/3 + 0.5).
        MarginHeads.Forward(MarginHeadOptions.CosFace(30f, 0.35f), x, w, [0], 2, logits, default, default);
        Assert.Equal(4.5, logits[0], 4);
        Assert.Equal(30 * c1, logits[1], 4);
        MarginHeads.Forward(MarginHeadOptions.ArcFace(64f, 0.5f), x, w, [0], 2, logits, default, default);
        Assert.Equal(64 * Math.Cos(theta + 0.5), logits[0], 4);
        Assert.Equal(64 * c2, logits[2], 4);

        // Combined (s = 64, 0.9, 0.4, 0.15): 64 (cos(0.9 pi/3 + 0.4) - 0.15).
        MarginHeads.Forward(MarginHeadOptions.Combined(64f, 0.9f, 0.4f, 0.15f), x, w, [0], 2, logits, default, default);
        Assert.Equal(64 * (Math.Cos(0.9 * theta + 0.4) - 0.15), logits[0], 4);
    }

    [Fact]
    public void ArcFace_switches_to_the_fallback_past_pi_minus_m_and_easy_margin_past_pi_over_2()
    {
        const float m = 0.5f;
        var logits = new float[3];
        // theta = 2.7 > pi - 0.5 = 2.64: fallback s (c - m sin m).
        var (x, w) = Plane(2.7, 1);
        MarginHeads.Forward(MarginHeadOptions.ArcFace(10f, m), x, w, [0], 2, logits, default, default);
        Assert.Equal(10 * (Math.Cos(2.7) - m * Math.Sin(m)), logits[0], 4);
        // theta = 2.6 < 2.64: the arc form, cos(3.1).
        (x, w) = Plane(2.6, 1);
        MarginHeads.Forward(MarginHeadOptions.ArcFace(10f, m), x, w, [0], 2, logits, default, default);
        Assert.Equal(10 * Math.Cos(2.6 + m), logits[0], 4);
        // Easy margin: theta = 1.7 > pi/2: plain s c; theta = 1.4: arc.
        (x, w) = Plane(1.7, 1);
        MarginHeads.Forward(MarginHeadOptions.ArcFace(10f, m, easyMargin: true), x, w, [0], 2, logits, default, default);
        Assert.Equal(10 * Math.Cos(1.7), logits[0], 4);
        (x, w) = Plane(1.4, 1);
        MarginHeads.Forward(MarginHeadOptions.ArcFace(10f, m, easyMargin: true), x, w, [0], 2, logits, default, default);
        Assert.Equal(10 * Math.Cos(1.4 + m), logits[0], 4);
    }

    [Fact]
    public void Heads_reduce_to_each_other_where_the_formulas_coincide()
    {
        var rng = new Random(11);
        float[] x = Array.ConvertAll(MarginHeadGradientTests.Normal(rng, 3 * 6, 1), v => (float)v);
        float[] w = Array.ConvertAll(MarginHeadGradientTests.Normal(rng, 5 * 6, 1), v => (float)v);
        int[] t = [4, 0, 2];
        Same(MarginHeadOptions.Softmax(), MarginHeadOptions.LSoftmax(1, 0f));         // psi_1(c) = c
        Same(MarginHeadOptions.Softmax(), MarginHeadOptions.LSoftmax(4, 1e6f), 1e-4);  // lambda -> inf: the plain logit
        Same(MarginHeadOptions.NormFace(20f), MarginHeadOptions.CosFace(20f, 0f));
        Same(MarginHeadOptions.NormFace(20f), MarginHeadOptions.ArcFace(20f, 0f));
        Same(MarginHeadOptions.NormFace(20f), MarginHeadOptions.Combined(20f, 1f, 0f, 0f));
        Same(MarginHeadOptions.CosFace(20f, 0.35f), MarginHeadOptions.Combined(20f, 1f, 0f, 0.35f));
        // ArcFace equals combined (1, m, 0) wherever no target is past pi - m (true here: checked).
        var cos = new float[15];
        MarginHeads.Cosines(x, w, 6, cos);
        Assert.All(t.Select((y, i) => cos[i * 5 + y]), c => Assert.True(c > Math.Cos(Math.PI - 0.5)));
        Same(MarginHeadOptions.ArcFace(20f, 0.5f), MarginHeadOptions.Combined(20f, 1f, 0.5f, 0f));

        void Same(MarginHeadOptions a, MarginHeadOptions b, double tol = 2e-6)
        {
            var (la, za, xa, wa) = Run(a, x, w, t, 6);
            var (lb, zb, xb, wb) = Run(b, x, w, t, 6);
            Assert.Equal(la, lb, tol * (1 + Math.Abs(la)));
            foreach (var (p, q) in new[] { (za, zb), (xa, xb), (wa, wb) })
                for (int i = 0; i < p.Length; i++)
                    Assert.True(Math.Abs(p[i] - q[i]) <= tol * (1 + Math.Abs(p[i])), $"{a.Kind} vs {b.Kind}: [{i}] {p[i]} vs {q[i]}");
        }
    }

    [Theory]
    [InlineData("ArcFace 64 0.5", 4)]
    [InlineData("SphereFace 4 0", 4)]
    [InlineData("LSoftmax 3 2", 4)]
    [InlineData("Combined 64 0.9 0.4 0.15", 4)]
    [InlineData("ArcFace 64 0.5 easy", 19)]      // blocks of 8, 8 and 3 rows
    [InlineData("SphereFace 2 1", 17)]           // 8, 8 and a single row
    [InlineData("Softmax", 16)]                  // two full blocks
    public void A_batch_is_the_mean_of_its_rows_and_optional_outputs_do_not_change_results(string spec, int rows)
    {
        var head = MarginHeadGradientTests.Parse(spec);
        var rng = new Random(3);
        const int dim = 7, classes = 9;
        float[] x = Array.ConvertAll(MarginHeadGradientTests.Normal(rng, rows * dim, 1), v => (float)v);
        float[] w = Array.ConvertAll(MarginHeadGradientTests.Normal(rng, classes * dim, 1), v => (float)v);
        int[] t = Enumerable.Range(0, rows).Select(i => (i * 5 + 8) % classes).ToArray();
        var (loss, logits, gradX, gradW) = Run(head, x, w, t, dim);

        double sum = 0;
        var meanGradW = new double[classes * dim];
        for (int i = 0; i < rows; i++)
        {
            var (li, zi, gxi, gwi) = Run(head, x.AsSpan(i * dim, dim).ToArray(), w, [t[i]], dim);
            sum += li;
            Assert.Equal(zi, logits.AsSpan(i * classes, classes).ToArray());
            for (int k = 0; k < dim; k++) Assert.Equal(gxi[k] / rows, gradX[i * dim + k], 1e-6 * (1 + Math.Abs(gradX[i * dim + k])));
            for (int k = 0; k < gwi.Length; k++) meanGradW[k] += gwi[k] / rows;
        }
        Assert.Equal(sum / rows, loss, 1e-5 * (1 + loss));
        for (int k = 0; k < gradW.Length; k++) Assert.Equal(meanGradW[k], gradW[k], 1e-6 * (1 + Math.Abs(gradW[k])));

        // Each output alone; gradW is overwritten (not accumulated) over whatever the caller left in it.
        var onlyW = Enumerable.Repeat(123f, classes * dim).ToArray();
        Assert.Equal(loss, MarginHeads.Forward(head, x, w, t, dim, default, default, onlyW));
        Assert.Equal(gradW, onlyW);
        var onlyX = Enumerable.Repeat(-5f, rows * dim).ToArray();
        MarginHeads.Forward(head, x, w, t, dim, default, onlyX, default);
        Assert.Equal(gradX, onlyX);
        var onlyLogits = new float[rows * classes];
        MarginHeads.Forward(head, x, w, t, dim, onlyLogits, default, default);
        Assert.Equal(logits, onlyLogits);
    }

    [Theory]
    [InlineData("Softmax")]
    [InlineData("LSoftmax 4 0")]
    [InlineData("SphereFace 4 0")]
    [InlineData("NormFace 16")]
    [InlineData("CosFace 16 0.35")]
    [InlineData("ArcFace 16 0.5")]
    [InlineData("Combined 16 0.9 0.4 0.15")]
    public void Predict_is_the_softmax_of_the_plain_form_without_margin(string spec)
    {
        var head = MarginHeadGradientTests.Parse(spec);
        var rng = new Random(8);
        const int rows = 3, dim = 4, classes = 5;
        float[] x = Array.ConvertAll(MarginHeadGradientTests.Normal(rng, rows * dim, 1), v => (float)v);
        float[] w = Array.ConvertAll(MarginHeadGradientTests.Normal(rng, classes * dim, 1), v => (float)v);
        var p = new float[rows * classes];
        MarginHeads.Predict(head, x, w, dim, p);
        for (int i = 0; i < rows; i++)
        {
            double nx = Math.Sqrt(Enumerable.Range(0, dim).Sum(k => (double)x[i * dim + k] * x[i * dim + k]));
            var z = new double[classes];
            for (int j = 0; j < classes; j++)
            {
                double dot = Enumerable.Range(0, dim).Sum(k => (double)x[i * dim + k] * w[j * dim + k]);
                double nw = Math.Sqrt(Enumerable.Range(0, dim).Sum(k => (double)w[j * dim + k] * w[j * dim + k]));
                z[j] = head.Kind switch
                {
                    MarginKind.Softmax or MarginKind.LSoftmax => dot,
                    MarginKind.SphereFace => dot / nw,
                    _ => head.Scale * dot / (nx * nw),
                };
            }
            double lse = Math.Log(z.Sum(v => Math.Exp(v - z.Max()))) + z.Max();
            for (int j = 0; j < classes; j++)
                Assert.Equal(Math.Exp(z[j] - lse), p[i * classes + j], 1e-5 * Math.Exp(z[j] - lse) + 1e-7);
        }
        Assert.Equal(rows, p.Sum(), 4);
    }

    [Fact]
    public void Calls_do_not_allocate()
    {
        var rng = new Random(1);
        const int rows = 4, dim = 64, classes = 300;
        float[] x = Array.ConvertAll(MarginHeadGradientTests.Normal(rng, rows * dim, 1), v => (float)v);
        float[] w = Array.ConvertAll(MarginHeadGradientTests.Normal(rng, classes * dim, 1), v => (float)v);
        int[] t = [1, 2, 3, 299];
        var logits = new float[rows * classes];
        var gradX = new float[rows * dim];
        var gradW = new float[classes * dim];
        var heads = new[] { MarginHeadOptions.ArcFace(), MarginHeadOptions.SphereFace(4, 5f), MarginHeadOptions.LSoftmax(2), MarginHeadOptions.Softmax() };
        foreach (var h in heads)                                   // warm up: JIT and static tables
        {
            MarginHeads.Forward(h, x, w, t, dim, logits, gradX, gradW);
            MarginHeads.Predict(h, x, w, dim, logits);
        }
        MarginHeads.Cosines(x, w, dim, logits);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int n = 0; n < 20; n++)
        {
            foreach (var h in heads)
            {
                MarginHeads.Forward(h, x, w, t, dim, logits, gradX, gradW);
                MarginHeads.Predict(h, x, w, dim, logits);
            }
            MarginHeads.Cosines(x, w, dim, logits);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // Beyond the 32 KiB of stack scratch (here 3000 classes) the scratch is rented from the shared pool: no
        // allocation either once the thread has rented it.
        float[] wBig = Array.ConvertAll(MarginHeadGradientTests.Normal(rng, 3000 * 8, 1), v => (float)v);
        float[] xBig = x.AsSpan(0, 4 * 8).ToArray();
        var gradWBig = new float[wBig.Length];
        MarginHeads.Forward(heads[0], xBig, wBig, t, 8, default, default, gradWBig);
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int n = 0; n < 10; n++)
            MarginHeads.Forward(heads[0], xBig, wBig, t, 8, default, default, gradWBig);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    internal static (float Loss, float[] Logits, float[] GradX, float[] GradW) Run(MarginHeadOptions head, float[] x, float[] w, int[] t, int dim)
    {
        int classes = w.Length / dim;
        var logits = new float[t.Length * classes];
        var gradX = new float[x.Length];
        var gradW = new float[w.Length];
        float loss = MarginHeads.Forward(head, x, w, t, dim, logits, gradX, gradW);
        return (loss, logits, gradX, gradW);
    }
}
