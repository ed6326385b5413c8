using System.Reflection;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Generators;

/// <summary>
/// generator.md: the generated heads agree with the Runtime's runtime-sized implementation within 1e-5 relative (1e-6
/// absolute near zero). Every declared head, random inputs, odd sizes and huge logits.
/// </summary>
public class RuntimeEquivalenceTests
{
    private static float[] Random(Random r, int n, double scale, double shift = 0) =>
        Enumerable.Range(0, n).Select(_ => (float)(shift + scale * (r.NextDouble() * 2 - 1))).ToArray();

    [Theory]
    [MemberData(nameof(SoftmaxHeadUnderTest.SizeData), MemberType = typeof(SoftmaxHeadUnderTest))]
    public void Softmax_heads_agree_with_Functional_and_Losses(int n)
    {
        SoftmaxHeadUnderTest head = SoftmaxHeadUnderTest.Get(n);
        var r = new Random(1000 + n);
        foreach (var (scale, shift) in new[] { (3.0, 0.0), (30.0, 0.0), (50.0, 5000.0), (20.0, -1000.0) })
        {
            float[] x = Random(r, n, scale, shift);
            float[] generated = new float[n], runtime = new float[n];

            head.Softmax(x, generated);
            Functional.Softmax(x, runtime);
            Approx.Equal(runtime, generated, 1e-5, 1e-6, $"softmax N={n} scale={scale} shift={shift}");

            head.TemperedSoftmax(x, generated, 2.5f);
            Functional.Softmax(x, runtime, 2.5f);
            Approx.Equal(runtime, generated, 1e-5, 1e-6, "softmax T=2.5");

            head.LogSoftmax(x, generated);
            Functional.LogSoftmax(x, runtime);
            Approx.Equal(runtime, generated, 1e-5, 1e-6, "log_softmax");

            Approx.Equal(Functional.LogSumExp(x), head.LogSumExp(x), 1e-6, 1e-6, "logsumexp");
            Assert.Equal(Functional.ArgMax(x), head.ArgMax(x));

            int target = r.Next(n);
            float[] gGrad = new float[n], rGrad = new float[n], rLoss = new float[1];
            float gLoss = head.CrossEntropyGrad(x, target, gGrad);
            global::EdgeLoss.Losses.CrossEntropy(x, [target], rLoss, rGrad, CrossEntropyOptions.Default);
            Approx.Equal(rLoss[0], gLoss, 1e-5, 1e-6, "cross-entropy");
            Approx.Equal(rGrad, gGrad, 1e-5, 1e-6, "cross-entropy gradient");
        }
    }

    public static TheoryData<string> MarginHeads => new(MarginHeadUnderTest.All.Select(h => h.Name));

    /// <summary>The head's parameters, read from its generated constants (the spec record leaves defaults implicit).</summary>
    private static MarginHeadOptions OptionsOf(MarginHeadUnderTest head)
    {
        T Const<T>(string name, T fallback) =>
            head.Type.GetField(name, BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } f ? (T)f.GetRawConstantValue()! : fallback;
        MarginSpec s = head.Spec;
        return new MarginHeadOptions
        {
            Kind = s.Kind,
            M = Const("M", s.M),
            Scale = Const("Scale", (float)s.Scale),
            Margin = Const("Margin", (float)s.Margin),
            M1 = Const("M1", (float)s.M1),
            M2 = Const("M2", (float)s.M2),
            M3 = Const("M3", (float)s.M3),
            EasyMargin = Const("EasyMargin", s.Easy),
        };
    }

    [Theory]
    [MemberData(nameof(MarginHeads))]
    public void Margin_heads_agree_with_MarginHeads(string name)
    {
        MarginHeadUnderTest head = MarginHeadUnderTest.All.Single(h => h.Name == name);
        MarginHeadOptions options = OptionsOf(head);
        int c = head.Classes, d = head.Dim;
        // string.GetHashCode is randomized per process: a stable seed keeps a failure reproducible.
        int seed = name.Aggregate(17, (h, ch) => h * 31 + ch) & 0x7fffffff;
        int trials = int.TryParse(Environment.GetEnvironmentVariable("EDGELOSS_EQUIVALENCE_TRIALS"), out int t) ? t : 8;
        var r = new Random(seed);
        for (int trial = 0; trial < trials; trial++)
        {
            float[] x = Random(r, d, 1.0), w = Random(r, c * d, 1.0);
            int target = r.Next(c);

            float[] gCos = new float[c], rCos = new float[c];
            head.Cosines(x, w, gCos);
            global::EdgeLoss.MarginHeads.Cosines(x, w, d, rCos);
            Approx.Equal(rCos, gCos, 1e-5, 1e-6, $"{name} cosines");

            float[] gLogits = new float[c], rLogits = new float[c];
            head.Logits(x, w, target, gLogits);
            float[] rGradX = new float[d], rGradW = new float[c * d];
            float rLoss = global::EdgeLoss.MarginHeads.Forward(options, x, w, [target], d, rLogits, rGradX, rGradW);
            // cos carries a few float32 ulps of its dot product; psi multiplies that by up to dT_m/dcos = m^2, and the
            // logits by their scale, so the absolute bar grows with m^2 and with the largest logit.
            double m2 = options.Kind is MarginKind.LSoftmax or MarginKind.SphereFace ? options.M * options.M : 1;
            double logitBar = (1e-5 + 4e-7 * m2) * MaxAbs(rLogits);
            Approx.Equal(rLogits, gLogits, 1e-5, logitBar, $"{name} logits");

            float[] gP = new float[c], rP = new float[c];
            head.Predict(x, w, gP);
            global::EdgeLoss.MarginHeads.Predict(options, x, w, d, rP);
            // p = softmax(logits): a logit error e moves p by about p * e, relative to the largest logit as above.
            Approx.Equal(rP, gP, 1e-5 + 1e-6 * m2 * MaxAbs(rLogits), 1e-6, $"{name} predict");

            // gradW accumulates in the generated Loss: start from zero so it equals the Runtime's overwritten one.
            float[] gGradX = new float[d], gGradW = new float[c * d];
            float gLoss = head.Loss(x, w, target, gGradX, gGradW);
            // loss = logsumexp(logits) - logits[target]: at most twice the logits' error.
            Approx.Equal(rLoss, gLoss, 1e-5, 2 * logitBar, $"{name} loss");
            // Gradients are sums of terms that can cancel (u.x + v.w of the normalizations): the absolute bar scales
            // with the gradient's largest element, 1e-5 of it, as both sides round that sum in float32. And a confident
            // head has p_target within a few ulp(1) = 6e-8 of 1: p - onehot, rounded in float32 on both sides, then
            // carries an absolute error of that order into every class, times d logit / d x (about logit / |x|).
            // psi' = T_m' reaches m^2 as psi does (see the logits). The additive angular margins differentiate cos(theta + m) through sin(theta) = sqrt(1 - cos^2), whose
            // relative error is a few ulps / sin^2(theta): the bar grows as the target angle closes.
            double pFloorX = 1e-6 * c * MaxAbs(rLogits) / Norm(x), pFloorW = 1e-6 * c * MaxAbs(rLogits) / MinRowNorm(w, d);
            double sin2 = 1 - (double)rCos[target] * rCos[target];
            double gradRel = 1e-5 + 4e-7 * m2 + (options.Kind is MarginKind.ArcFace or MarginKind.Combined ? 3e-7 / Math.Max(sin2, 1e-12) : 0);
            Approx.Equal(rGradX, gGradX, 1e-5, gradRel * MaxAbs(rGradX) + pFloorX, $"{name} grad x");
            Approx.Equal(rGradW, gGradW, 1e-5, gradRel * MaxAbs(rGradW) + pFloorW, $"{name} grad W");
        }
    }

    private static double MaxAbs(float[] v) => Math.Max(1e-6, v.Max(Math.Abs));

    private static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float e in v) s += (double)e * e;
        return Math.Sqrt(s);
    }

    private static double MinRowNorm(float[] w, int d) =>
        Enumerable.Range(0, w.Length / d).Min(j => Norm(w.AsSpan(j * d, d)));
}
