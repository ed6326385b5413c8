using System.Globalization;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Generators;

/// <summary>The code generated for [MarginHead] against the float64 reference (acos/cos formulas, finite-difference gradients).</summary>
public class MarginHeadTests
{
    /// <summary>
    /// Random (x, w, target) of several magnitudes; the last two put x exactly along w_y and against it (c = +-1). There
    /// the float rounding of c (1e-7) is amplified by acos and 1 / sin theta, so only finiteness is asserted for them.
    /// </summary>
    public static IEnumerable<(string Name, float[] X, float[] W, int Target)> Samples(MarginHeadUnderTest head, int seed)
    {
        int c = head.Classes, d = head.Dim;
        var r = new Random(seed);
        float[] Uniform(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale)).ToArray();
        yield return ("unit", Uniform(d, 1), Uniform(c * d, 1), r.Next(c));
        yield return ("scaled", Uniform(d, 30), Uniform(c * d, 0.05), r.Next(c));
        yield return ("uneven rows", Uniform(d, 2), Enumerable.Range(0, c * d).Select(i => (float)((r.NextDouble() * 2 - 1) * (1 + i / d))).ToArray(), r.Next(c));
        if (head.Spec.Kind == MarginKind.Softmax)
            yield return ("huge logits", Uniform(d, 100), Uniform(c * d, 40), r.Next(c));
        int t = r.Next(c);
        float[] x = Uniform(d, 1), w = Uniform(c * d, 1);
        for (int i = 0; i < d; i++) w[t * d + i] = 2 * x[i];
        yield return ("c_y = 1", x, (float[])w.Clone(), t);
        for (int i = 0; i < d; i++) w[t * d + i] = -3 * x[i];
        yield return ("c_y = -1", x, w, t);
    }

    private static bool Degenerate(string sample) => sample.StartsWith("c_y", StringComparison.Ordinal);

    private static double[] D(float[] v) => v.Select(f => (double)f).ToArray();

    /// <summary>The size of the logits, for an absolute tolerance: s, ||x||, or ||x|| max ||w_j||.</summary>
    private static double LogitScale(MarginSpec h, float[] x, float[] w)
    {
        double a = Math.Sqrt(ReferenceMargin.Dot(D(x), D(x)));
        double b = Enumerable.Range(0, h.C).Max(j => Math.Sqrt(ReferenceMargin.Dot(D(w).AsSpan(j * h.D, h.D), D(w).AsSpan(j * h.D, h.D))));
        return h.Kind switch
        {
            MarginKind.Softmax or MarginKind.LSoftmax => a * b,
            MarginKind.SphereFace => a,
            _ => h.Scale,
        };
    }

    [Theory]
    [MemberData(nameof(MarginHeadUnderTest.Names), MemberType = typeof(MarginHeadUnderTest))]
    public void Cosines_logits_and_predictions_match_the_reference(string name)
    {
        MarginHeadUnderTest head = MarginHeadUnderTest.Get(name);
        MarginSpec h = head.Spec;
        var cos = new float[h.C];
        var z = new float[h.C];
        var p = new float[h.C];
        foreach (var (sample, x, w, target) in Samples(head, seed: h.C * 31 + h.D))
        {
            string what = $"{name} {sample}";
            head.Cosines(x, w, cos);
            Approx.Equal(ReferenceMargin.Cosines(h, D(x), D(w)), cos, 1e-5, 1e-6, what + " cosines");
            if (Degenerate(sample))
            {
                head.Logits(x, w, target, z);
                Assert.All(z, v => Assert.True(float.IsFinite(v), what + " logits"));
                continue;
            }

            double scale = LogitScale(h, x, w);
            head.Logits(x, w, target, z);
            Approx.Equal(ReferenceMargin.Logits(h, D(x), D(w), target), z, 1e-5, 2e-6 * scale, what + " logits");
            if (head.LogitsLambda is { } withLambda)
            {
                foreach (float lambda in new[] { 0.5f, 5f, 1000f })
                {
                    withLambda(x, w, target, z, lambda);
                    Approx.Equal(ReferenceMargin.Logits(h, D(x), D(w), target, lambda), z, 1e-5, 2e-6 * scale, $"{what} logits, lambda {lambda}");
                }
            }

            head.Predict(x, w, p);
            double[] expected = ReferenceMargin.Predict(h, D(x), D(w));
            for (int j = 0; j < h.C; j++)
                if (expected[j] >= 1e-30) Approx.Equal(expected[j], p[j], 1e-5, 0, $"{what} p[{j}]");
        }
    }

    [Theory]
    [MemberData(nameof(MarginHeadUnderTest.Names), MemberType = typeof(MarginHeadUnderTest))]
    public void Loss_and_gradients_match_the_reference(string name)
    {
        MarginHeadUnderTest head = MarginHeadUnderTest.Get(name);
        MarginSpec h = head.Spec;
        var r = new Random(h.C + 7 * h.D);
        var gradX = new float[h.D];
        var gradW = new float[h.C * h.D];
        foreach (var (sample, x, w, target) in Samples(head, seed: h.C * 17 + h.D))
        {
            foreach (float lambda in head.LossLambda is null ? new[] { 0f } : new[] { 0f, 0.5f, 5f })
            {
                string what = $"{name} {sample} lambda {lambda}";
                Array.Fill(gradX, float.NaN); // overwritten
                Array.Clear(gradW);            // accumulated
                float loss = head.LossLambda is { } withLambda && lambda != 0
                    ? withLambda(x, w, target, gradX, gradW, lambda)
                    : head.Loss(x, w, target, gradX, gradW);
                double[] xd = D(x), wd = D(w);
                Assert.True(float.IsFinite(loss), what + " loss");
                Assert.All(gradX, v => Assert.True(float.IsFinite(v), $"{what}: gradX not finite"));
                Assert.All(gradW, v => Assert.True(float.IsFinite(v), $"{what}: gradW not finite"));
                if (Degenerate(sample)) continue; // the derivative is clamped at c = +-1: finite is the contract
                Approx.Equal(ReferenceMargin.Loss(h, xd, wd, target, lambda), loss, 1e-5, 1e-5, what + " loss");

                // Every x element, the whole target row and a sample of the other elements of w.
                var wIndices = Enumerable.Range(target * h.D, h.D)
                    .Concat(Enumerable.Range(0, Math.Min(h.C * h.D, 60)).Select(_ => r.Next(h.C * h.D))).Distinct().ToArray();
                var (gx, gw) = ReferenceMargin.Gradient(h, xd, wd, target, lambda, wIndices);
                double sx = gx.Max(Math.Abs), sw = gw.Values.Max(Math.Abs);
                // 1e-5 relative, 1e-6 of the gradient's magnitude absolute (near zero).
                Approx.Equal(gx, gradX, 1e-5, 1e-6 * sx, what + " gradX");
                foreach (int k in wIndices)
                    Approx.Equal(gw[k], gradW[k], 1e-5, 1e-6 * sw, $"{what} gradW[{k}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(MarginHeadUnderTest.Names), MemberType = typeof(MarginHeadUnderTest))]
    public void GradW_accumulates_and_gradX_is_overwritten(string name)
    {
        MarginHeadUnderTest head = MarginHeadUnderTest.Get(name);
        var (_, x, w, target) = Samples(head, 5).First();
        int cd = head.Classes * head.Dim;
        var once = new float[cd];
        var gx1 = new float[head.Dim];
        float l1 = head.Loss(x, w, target, gx1, once);

        var start = Enumerable.Range(0, cd).Select(i => (float)(i % 7) - 3f).ToArray();
        var acc = (float[])start.Clone();
        var gx2 = Enumerable.Repeat(123f, head.Dim).ToArray();
        float l2 = head.Loss(x, w, target, gx2, acc);
        Assert.Equal(l1, l2);
        Assert.Equal(gx1, gx2);
        head.Loss(x, w, target, gx2, acc);
        for (int k = 0; k < cd; k++)
            Approx.Equal(start[k] + 2.0 * once[k], acc[k], 1e-6, 1e-6, $"gradW[{k}] after two calls");
    }

    [Fact]
    public void Psi_of_the_generated_code_is_the_chebyshev_form_for_every_m()
    {
        // Through SphereFace's logits with ||x|| = 1 and lambda = 0, z_y = psi(c_y) exactly as computed by the generated
        // Chebyshev polynomial; the reference uses (-1)^k cos(m theta) - 2k with acos.
        var heads = MarginHeadUnderTest.All.Where(h => h.Name.StartsWith("SphereM", StringComparison.Ordinal)).ToArray();
        Assert.Equal(8, heads.Length);
        foreach (MarginHeadUnderTest head in heads)
        {
            int d = head.Dim;
            var z = new float[head.Classes];
            for (double theta = 0; theta <= Math.PI; theta += Math.PI / 61)
            {
                float[] x = new float[d], w = new float[head.Classes * d];
                x[0] = 1;
                for (int j = 0; j < head.Classes; j++) w[j * d] = 1;
                w[d] = (float)Math.Cos(theta);
                w[d + 1] = (float)Math.Sin(theta);
                head.Logits(x, w, 1, z);
                double c = Math.Clamp(Math.Cos(theta), -1, 1);
                Approx.Equal(ReferenceMargin.Psi(head.Spec.M, c), z[1], 2e-5, 2e-5, $"m = {head.Spec.M}, theta = {theta:F3}");
            }
        }
    }

    [Fact]
    public void ArcFace_uses_the_fallback_below_cos_pi_minus_m()
    {
        // c_y = -0.95 < cos(pi - 0.5) = -0.8776: z_y = s (c - m sin m); above it, s cos(theta + m).
        float[] x = { 1, 0, 0 }, w = new float[30];
        for (int j = 0; j < 10; j++) w[j * 3 + 1] = 1;
        w[0] = -0.95f; w[1] = MathF.Sqrt(1 - 0.95f * 0.95f);
        var z = new float[10];
        Arc10x3.Logits(x, w, 0, z);
        Approx.Equal(64 * (-0.95 - 0.5 * Math.Sin(0.5)), z[0], 1e-5, 1e-5, "fallback");
        w[0] = -0.5f; w[1] = MathF.Sqrt(0.75f);
        Arc10x3.Logits(x, w, 0, z);
        Approx.Equal(64 * Math.Cos(Math.Acos(-0.5) + 0.5), z[0], 1e-5, 1e-5, "cos(theta + m)");
        ArcEasy10x3.Logits(x, w, 0, z);
        Approx.Equal(8 * -0.5, z[0], 1e-5, 1e-5, "easy margin: c <= 0 keeps s c");
    }

    [Theory]
    [MemberData(nameof(MarginHeadUnderTest.Names), MemberType = typeof(MarginHeadUnderTest))]
    public void Wrong_lengths_and_targets_name_the_parameter(string name)
    {
        MarginHeadUnderTest head = MarginHeadUnderTest.Get(name);
        int c = head.Classes, d = head.Dim;
        var (_, x, w, _) = Samples(head, 1).First();
        float[] cs = new float[c], gx = new float[d], gw = new float[c * d];
        void Length(Action call, string param, int actual, int expected)
        {
            var e = Assert.Throws<ArgumentException>(call);
            Assert.Equal(param, e.ParamName);
            Assert.StartsWith($"{param} has length {actual}, expected {expected}", e.Message);
        }
        Length(() => head.Cosines(x.AsSpan(1), w, cs), "x", d - 1, d);
        Length(() => head.Cosines(x, w.AsSpan(1), cs), "w", c * d - 1, c * d);
        Length(() => head.Cosines(x, w, new float[c + 1]), "cosines", c + 1, c);
        Length(() => head.Logits(x, w, 0, new float[c - 1]), "logits", c - 1, c);
        Length(() => head.Predict(x, new float[c * d + 1], cs), "w", c * d + 1, c * d);
        Length(() => head.Predict(x, w, new float[1]), "probabilities", 1, c);
        Length(() => head.Loss(new float[d + 2], w, 0, gx, gw), "x", d + 2, d);
        Length(() => head.Loss(x, w, 0, new float[d + 1], gw), "gradX", d + 1, d);
        Length(() => head.Loss(x, w, 0, gx, new float[d]), "gradW", d, c * d);
        foreach (int t in new[] { -1, c })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => head.Loss(x, w, t, gx, gw));
            Assert.Equal("target", e.ParamName);
            Assert.StartsWith($"target = {t} is outside [0, {c})", e.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => head.Logits(x, w, t, cs));
        }
        if (head.LossLambda is { } loss && head.LogitsLambda is { } logits)
        {
            foreach (float lambda in new[] { -1f, float.NaN, float.PositiveInfinity })
            {
                var e = Assert.Throws<ArgumentOutOfRangeException>(() => loss(x, w, 0, gx, gw, lambda));
                Assert.Equal("lambda", e.ParamName);
                Assert.StartsWith($"lambda = {lambda.ToString("R", CultureInfo.InvariantCulture)} must be finite and >= 0", e.Message);
                Assert.Throws<ArgumentOutOfRangeException>(() => logits(x, w, 0, cs, lambda));
            }
        }
    }

    [Theory]
    [MemberData(nameof(MarginHeadUnderTest.Names), MemberType = typeof(MarginHeadUnderTest))]
    public void Bad_vectors_are_named(string name)
    {
        MarginHeadUnderTest head = MarginHeadUnderTest.Get(name);
        int c = head.Classes, d = head.Dim;
        var (_, x, w, _) = Samples(head, 2).First();
        float[] cs = new float[c], gx = new float[d], gw = new float[c * d];

        // A NaN or infinity in x is named by every member.
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] xb = (float[])x.Clone();
            xb[d - 1] = bad;
            string message = $"x[{d - 1}] = {bad.ToString("R", CultureInfo.InvariantCulture)} is not finite";
            foreach (Action call in new Action[] { () => head.Cosines(xb, w, cs), () => head.Logits(xb, w, 0, cs), () => head.Predict(xb, w, cs), () => head.Loss(xb, w, 0, gx, gw) })
            {
                var e = Assert.Throws<NonFiniteInputException>(call);
                Assert.Equal("x", e.ParamName);
                Assert.StartsWith(message, e.Message);
            }
            // ... and in w, by its flat index.
            float[] wb = (float[])w.Clone();
            int k = (c - 1) * d + d / 2;
            wb[k] = bad;
            var ew = Assert.Throws<NonFiniteInputException>(() => head.Loss(x, wb, 0, gx, gw));
            Assert.Equal("w", ew.ParamName);
            Assert.StartsWith($"w[{k}] = {bad.ToString("R", CultureInfo.InvariantCulture)} is not finite", ew.Message);
            Assert.Throws<NonFiniteInputException>(() => head.Predict(x, wb, cs));
        }

        // A zero x or a zero row has no angle: rejected by every member of every kind, as by the Runtime's heads.
        float[] zero = new float[d];
        foreach (Action call in new Action[] { () => head.Cosines(zero, w, cs), () => head.Logits(zero, w, 0, cs), () => head.Predict(zero, w, cs), () => head.Loss(zero, w, 0, gx, gw) })
        {
            var e = Assert.Throws<NonFiniteInputException>(call);
            Assert.Equal("x", e.ParamName);
            Assert.StartsWith("x is a zero vector", e.Message);
        }
        float[] wz = (float[])w.Clone();
        Array.Clear(wz, d, d);
        foreach (Action call in new Action[] { () => head.Cosines(x, wz, cs), () => head.Logits(x, wz, 0, cs), () => head.Predict(x, wz, cs), () => head.Loss(x, wz, 0, gx, gw) })
        {
            var e = Assert.Throws<NonFiniteInputException>(call);
            Assert.Equal("w", e.ParamName);
            Assert.StartsWith($"row 1 of w (w[{d}..{2 * d})) is a zero vector", e.Message);
        }
    }

    [Fact]
    public void Members_do_not_allocate()
    {
        foreach (MarginHeadUnderTest head in MarginHeadUnderTest.All)
        {
            var (_, x, w, target) = Samples(head, 9).First();
            float[] cs = new float[head.Classes], gx = new float[head.Dim], gw = new float[head.Classes * head.Dim];
            void All()
            {
                head.Cosines(x, w, cs);
                head.Logits(x, w, target, cs);
                head.Predict(x, w, cs);
                head.Loss(x, w, target, gx, gw);
                head.LogitsLambda?.Invoke(x, w, target, cs, 2f);
                head.LossLambda?.Invoke(x, w, target, gx, gw, 2f);
            }
            All();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++) All();
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before == 0, $"{head.Name} allocated");
        }
    }
}
