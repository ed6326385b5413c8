using System.Reflection;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Generators;

public delegate float DotsAndNormsFn(ref float x, ref float w, ref float dots, ref float norms);
public delegate void DotsFn(ref float x, ref float w, ref float dots);
public delegate float DotFn(ref float a, ref float b);
public delegate void BackwardWithVFn(ref float x, ref float w, ref float u, ref float v, float alpha, ref float gx, ref float gw);
public delegate void BackwardFn(ref float x, ref float w, ref float u, float alpha, ref float gx, ref float gw);
public delegate void AddScaledFn(ref float a, float s, ref float g);

/// <summary>
/// The private kernels of the margin heads, every vector path called directly (the dispatcher runs one per machine:
/// Vector512 here, Vector128 on ARM64), against float64 arithmetic. Covers whole, overlapping, unrolled and looped rows.
/// </summary>
public class MarginKernelPathTests
{
    private static readonly string[] AllPaths = { "V512", "V256", "V128", "Scalar" };

    private static T? Kernel<T>(Type type, string name) where T : Delegate =>
        type.GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)?.CreateDelegate<T>();

    private static float[] Random(Random r, int n, double scale = 1) =>
        Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale)).ToArray();

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    [Theory]
    [MemberData(nameof(MarginHeadUnderTest.Names), MemberType = typeof(MarginHeadUnderTest))]
    public void Every_path_of_every_kernel_matches_float64(string name)
    {
        MarginHeadUnderTest head = MarginHeadUnderTest.Get(name);
        int c = head.Classes, d = head.Dim;
        var r = new Random(c * 1000 + d);
        float[] x = Random(r, d), w = Random(r, c * d, 2), u = Random(r, c), v = Random(r, c);
        float alpha = 0.37f;
        var paths = AllPaths.Where(p => head.Type.GetMethod("Backward_" + p, BindingFlags.NonPublic | BindingFlags.Static) is not null).ToArray();
        Assert.Equal(AllPaths.Where(p => p == "Scalar" || int.Parse(p[1..]) / 32 <= d), paths);

        foreach (string path in paths)
        {
            string what = $"{name} {path}";

            var dotsAndNorms = Kernel<DotsAndNormsFn>(head.Type, "DotsAndNorms_" + path)!;
            float[] dots = new float[c], norms = new float[c];
            float xx = dotsAndNorms(ref x[0], ref w[0], ref dots[0], ref norms[0]);
            Approx.Equal(Dot(x, x), xx, 1e-5, 1e-6, what + " x . x");
            for (int j = 0; j < c; j++)
            {
                ReadOnlySpan<float> wj = w.AsSpan(j * d, d);
                double scale = Math.Sqrt(Dot(x, x) * Dot(wj, wj));
                Approx.Equal(Dot(x, wj), dots[j], 1e-5, 1e-6 * scale, $"{what} dots[{j}]");
                Approx.Equal(Dot(wj, wj), norms[j], 1e-5, 0, $"{what} norms[{j}]");
            }

            if (Kernel<DotsFn>(head.Type, "Dots_" + path) is { } dotsOnly)
            {
                float[] plain = new float[c];
                dotsOnly(ref x[0], ref w[0], ref plain[0]);
                for (int j = 0; j < c; j++)
                    Approx.Equal(Dot(x, w.AsSpan(j * d, d)), plain[j], 1e-5, 1e-6 * Math.Sqrt(Dot(x, x) * Dot(w.AsSpan(j * d, d), w.AsSpan(j * d, d))), $"{what} Dots[{j}]");
            }

            if (Kernel<DotFn>(head.Type, "Dot_" + path) is { } dot)
                Approx.Equal(Dot(x, w.AsSpan(d, d)), dot(ref x[0], ref w[d]), 1e-5, 1e-6 * Math.Sqrt(Dot(x, x) * Dot(w.AsSpan(d, d), w.AsSpan(d, d))), what + " Dot");

            if (Kernel<AddScaledFn>(head.Type, "AddScaled_" + path) is { } addScaled)
            {
                float[] g = Random(r, d);
                float[] before = (float[])g.Clone();
                addScaled(ref x[0], -1.5f, ref g[0]);
                for (int i = 0; i < d; i++) Approx.Equal(before[i] - 1.5 * x[i], g[i], 1e-6, 1e-6, $"{what} AddScaled[{i}]");
            }

            // Backward: gx overwritten (start from garbage), gw accumulated (start from random values).
            float[] gx = Enumerable.Repeat(float.NaN, d).ToArray();
            float[] gw = Random(r, c * d);
            float[] gw0 = (float[])gw.Clone();
            MethodInfo backward = head.Type.GetMethod("Backward_" + path, BindingFlags.NonPublic | BindingFlags.Static)!;
            bool withV = backward.GetParameters().Length == 7; // the angular kinds also add v_j w_j
            Assert.Equal(head.Spec.Kind is not (MarginKind.Softmax or MarginKind.LSoftmax), withV);
            if (withV)
                backward.CreateDelegate<BackwardWithVFn>()(ref x[0], ref w[0], ref u[0], ref v[0], alpha, ref gx[0], ref gw[0]);
            else
                backward.CreateDelegate<BackwardFn>()(ref x[0], ref w[0], ref u[0], alpha, ref gx[0], ref gw[0]);
            for (int i = 0; i < d; i++)
            {
                double e = alpha * x[i];
                for (int j = 0; j < c; j++) e += (double)u[j] * w[j * d + i];
                Approx.Equal(e, gx[i], 1e-5, 1e-5, $"{what} gx[{i}]");
            }
            for (int k = 0; k < c * d; k++)
            {
                int j = k / d, i = k % d;
                double e = gw0[k] + (double)u[j] * x[i] + (withV ? (double)v[j] * w[k] : 0);
                Approx.Equal(e, gw[k], 1e-6, 1e-6, $"{what} gw[{k}]");
            }
        }

        // The softmax over the C logits, every path it has.
        var logits = Random(r, c, 20);
        double[] expected = ReferenceSoftmax.Softmax(logits);
        foreach (string path in AllPaths)
        {
            if (Kernel<SoftmaxKernelFn>(head.Type, "SoftmaxKernel_" + path) is not { } softmax) continue;
            float[] p = (float[])logits.Clone();
            softmax(ref p[0], ref p[0], 1f, out _);
            SoftmaxHeadTests.AssertSoftmax(expected, p, $"{name} softmax {path}");
        }
    }
}
