using System.Numerics;
using System.Runtime.Intrinsics;

namespace EdgeLoss.Tests.Softmax;

/// <summary>The internal exp of the softmax kernels: accuracy over its domain x &lt;= 0 and its special values.</summary>
public class SoftmaxKernelTests
{
    private static float[] Domain()
    {
        // Dense near 0 (where softmax outputs are large), then the whole range down to the flush threshold.
        var xs = new List<float> { 0f, -0f, -1e-30f, -1e-7f, -0.34657f, -0.34658f, -0.6931472f, -1f, -50f, -87.3f, -87.336f };
        var rng = new Random(9);
        for (int i = 0; i < 40_000; i++) xs.Add((float)(-rng.NextDouble() * 87.3));
        for (int i = 0; i < 10_000; i++) xs.Add((float)(-rng.NextDouble() * 2));
        while (xs.Count % 16 != 0) xs.Add(-3f);
        return xs.ToArray();
    }

    private static void CheckAccuracy(float[] x, float[] y, string what)
    {
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double r = Math.Exp(x[i]);
            worst = Math.Max(worst, Math.Abs(y[i] - r) / r);
        }
        Assert.True(worst < 2e-7, $"{what}: worst relative error {worst:E3}");
    }

    [Fact]
    public void Vector_exp_is_within_2e_7_relative_on_its_domain()
    {
        float[] x = Domain();
        var y = new float[x.Length];
        int w = Vector<float>.Count;
        for (int i = 0; i < x.Length; i += w)
            SoftmaxKernel.Exp(new Vector<float>(x, i)).CopyTo(y, i);
        CheckAccuracy(x, y, $"Vector<float> ({w} lanes)");
    }

    [Fact]
    public void Vector512_exp_is_within_2e_7_relative_on_its_domain()
    {
        // Runs in software where AVX-512 is absent: the arithmetic is the same.
        float[] x = Domain();
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i += 16)
            SoftmaxKernel.Exp(Vector512.Create(x.AsSpan(i, 16))).CopyTo(y.AsSpan(i, 16));
        CheckAccuracy(x, y, "Vector512<float>");
    }

    [Fact]
    public void Exp_special_values()
    {
        static float One(float v) => SoftmaxKernel.Exp(new Vector<float>(v))[0];
        static float One512(float v) => SoftmaxKernel.Exp(Vector512.Create(v))[0];
        foreach (Func<float, float> exp in new Func<float, float>[] { One, One512 })
        {
            Assert.Equal(1f, exp(0f));                              // exactly: the max element contributes 1
            Assert.Equal(0f, exp(float.NegativeInfinity));           // a masked class has probability 0
            Assert.True(float.IsNaN(exp(float.NaN)));                // how a bad row is detected
            Assert.Equal(0f, exp(-87.34f));                          // below float's normal range: flushed
            Assert.Equal(0f, exp(-1e30f));
            Assert.InRange(exp(-87.33f), 1.17e-38f, 1.19e-38f);       // the smallest normal results stay
        }
    }
}
