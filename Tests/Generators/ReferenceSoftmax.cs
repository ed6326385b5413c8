namespace EdgeLoss.Tests.Generators;

/// <summary>
/// Straightforward float64 implementations of the softmax family (semantics.md section 1), written for clarity
/// rather than speed: the yardstick of the generated code.
/// </summary>
public static class ReferenceSoftmax
{
    public static double Max(ReadOnlySpan<float> x)
    {
        double m = double.NegativeInfinity;
        foreach (float v in x) m = Math.Max(m, v);
        return m;
    }

    public static double[] Softmax(ReadOnlySpan<float> x, double temperature = 1)
    {
        double m = Max(x), sum = 0;
        var p = new double[x.Length];
        for (int i = 0; i < x.Length; i++) sum += p[i] = Math.Exp((x[i] - m) / temperature);
        for (int i = 0; i < x.Length; i++) p[i] /= sum;
        return p;
    }

    public static double LogSumExp(ReadOnlySpan<float> x)
    {
        double m = Max(x), sum = 0;
        foreach (float v in x) sum += Math.Exp(v - m);
        return m + Math.Log(sum);
    }

    public static double[] LogSoftmax(ReadOnlySpan<float> x)
    {
        double m = Max(x), sum = 0;
        foreach (float v in x) sum += Math.Exp(v - m);
        double logSum = Math.Log(sum);
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = (x[i] - m) - logSum;
        return y;
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>-log_softmax(x)[target], with its gradient softmax(x) - onehot(target).</summary>
    public static double CrossEntropy(ReadOnlySpan<float> x, int target, out double[] gradient)
    {
        gradient = Softmax(x);
        gradient[target] -= 1;
        double m = Max(x), sum = 0;
        foreach (float v in x) sum += Math.Exp(v - m);
        return (m - x[target]) + Math.Log(sum);
    }
}
