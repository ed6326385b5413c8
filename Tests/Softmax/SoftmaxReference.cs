using System.Text.Json;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Softmax;

/// <summary>Float64 references for tests that do not come from a fixture (long rows, random lengths).</summary>
internal static class SoftmaxReference
{
    /// <summary>softmax((x - max) / T), log_softmax and logsumexp of one row in double.</summary>
    public static (double[] P, double[] LogP, double Lse) Row(ReadOnlySpan<float> x, double temperature = 1)
    {
        double max = double.NegativeInfinity;
        foreach (float v in x) max = Math.Max(max, v);
        double sum = 0;
        foreach (float v in x) sum += Math.Exp((v - max) / temperature);
        double logSum = Math.Log(sum);
        var p = new double[x.Length];
        var lp = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            lp[i] = (x[i] - max) / temperature - logSum;
            p[i] = Math.Exp(lp[i]);
        }
        double lse = 0;
        foreach (float v in x) lse += Math.Exp(v - max);
        return (p, lp, max + Math.Log(lse));
    }

    public static float[] RandomLogits(int n, int seed, double scale = 5, double offset = 0)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            // Box-Muller: normal logits, as a classifier produces.
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = (float)(offset + scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    /// <summary>The contract's softmax bar: relative 1e-5 for outputs >= 1e-30 (absolute 1e-35 below).</summary>
    public static void SoftmaxClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, string what) =>
        Approx.Equal(expected, actual, rel: 1e-5, abs: 1e-35, what);

    /// <summary>The contract's log-softmax bar: absolute 1e-5 * (1 + |ref|).</summary>
    public static void LogClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, string what) =>
        Approx.Equal(expected, actual, rel: 1e-5, abs: 1e-5, what);

    public static int Cols(this JsonElement c, string name) => c.GetProperty(name)[0].GetArrayLength();

    public static Reduction ReductionOf(this JsonElement c) => c.Str("reduction") switch
    {
        "none" => Reduction.None,
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        var s => throw new FormatException(s),
    };
}
