// STAND-IN: replaced by the softmax helper's file at merge
namespace EdgeLoss;

/// <summary>
/// Stateless numeric functions over spans (semantics.md). This stand-in holds only the two max-shifted softmax
/// functions the margin heads call; the softmax helper's file replaces it at merge.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// <c>log_softmax(x)_i = x_i - max - log(sum_j exp(x_j - max))</c>. <c>-inf</c> is a masked logit; NaN, <c>+inf</c>
    /// or every element <c>-inf</c> throws <see cref="NonFiniteInputException"/>.
    /// </summary>
    public static void LogSoftmax(ReadOnlySpan<float> x, Span<float> y)
    {
        Guard.Length(y, x.Length);
        float max = ShiftAndCheck(x);
        double sum = 0;                                  // sum of exp(x_j - max) in [1, n]: double keeps it exact enough
        foreach (float v in x)
            sum += Math.Exp((double)v - max);
        float logSum = (float)Math.Log(sum);
        for (int i = 0; i < x.Length; i++)
            y[i] = x[i] - max - logSum;
    }

    /// <summary>
    /// <c>softmax(x)_i = exp(x_i - max) / sum_j exp(x_j - max)</c>, with the same input rules as
    /// <see cref="LogSoftmax(ReadOnlySpan{float}, Span{float})"/>.
    /// </summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y)
    {
        Guard.Length(y, x.Length);
        float max = ShiftAndCheck(x);
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
            sum += Math.Exp((double)x[i] - max);
        double inv = 1 / sum;
        for (int i = 0; i < x.Length; i++)
            y[i] = (float)(Math.Exp((double)x[i] - max) * inv);
    }

    private static float ShiftAndCheck(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
            throw new ArgumentException("x is empty", nameof(x));
        float max = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            if (float.IsNaN(v) || float.IsPositiveInfinity(v))
                Guard.ThrowNonFinite(nameof(x), i, v);
            if (v > max) max = v;
        }
        if (float.IsNegativeInfinity(max))
            throw new NonFiniteInputException("x: every logit is -inf", nameof(x));
        return max;
    }
}
