using System.Numerics.Tensors;

namespace EdgeLoss;

/// <summary>
/// Stateless numeric functions on spans, named after PyTorch's <c>torch.nn.functional</c> ("F"): the softmax
/// family here, activations and other element-wise maps in further parts of this class. Inputs are read-only
/// spans, outputs are caller-provided spans; nothing allocates, nothing keeps state.
/// </summary>
/// <remarks>
/// Batched overloads take a row-major <c>rows x cols</c> matrix as one flat span and work row by row
/// (PyTorch's <c>dim=-1</c>). Bad input throws at the boundary: <see cref="NonFiniteInputException"/> for NaN,
/// +inf or a row of only -inf (naming the element, e.g. <c>x[2] = NaN is not finite</c>),
/// <see cref="ArgumentException"/> for wrong lengths, <see cref="ArgumentOutOfRangeException"/> for a bad
/// temperature.
/// </remarks>
public static partial class Functional
{
    // ---------------------------------------------------------------------------------------------------------
    // Single row
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>y_i = exp(x_i - max) / sum_j exp(x_j - max)</c>. Shifting by the max makes any finite logits safe
    /// (<c>softmax([1000, 1001, 1002]) = [0.0900, 0.2447, 0.6652]</c>, where the unshifted form overflows above ~88.7).
    /// </summary>
    /// <param name="x">The logits: finite, or -inf for a masked class (probability 0); at least one finite.</param>
    /// <param name="y">The probabilities, same length as <paramref name="x"/>; may be the same memory as x.</param>
    /// <exception cref="NonFiniteInputException">An element of x is NaN or +inf, or all are -inf.</exception>
    /// <exception cref="ArgumentException">x is empty or y has another length.</exception>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y) => Softmax(x, y, 1f);

    /// <summary>
    /// The softmax at temperature <paramref name="temperature"/>: <c>y_i = exp((x_i - max) / T) / sum_j exp((x_j - max) / T)</c>.
    /// T &gt; 1 flattens the distribution (the "soft targets" of knowledge distillation), T &lt; 1 sharpens it.
    /// </summary>
    /// <param name="x">The logits: finite, or -inf for a masked class; at least one finite.</param>
    /// <param name="y">The probabilities, same length as <paramref name="x"/>; may be the same memory as x.</param>
    /// <param name="temperature">T, finite and &gt; 0.</param>
    /// <exception cref="NonFiniteInputException">An element of x is NaN or +inf, or all are -inf.</exception>
    /// <exception cref="ArgumentOutOfRangeException">T is not finite and &gt; 0.</exception>
    /// <exception cref="ArgumentException">x is empty or y has another length.</exception>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, float temperature)
    {
        Guard.PositiveFinite(temperature);
        SoftmaxKernel.RequireNonEmpty(x);
        Guard.Length(y, x.Length);
        SoftmaxRow(x, y, temperature, 0);
    }

    /// <summary>
    /// <c>y_i = x_i - max - log(sum_j exp(x_j - max))</c>, computed directly (never as <c>log(softmax)</c>, which
    /// loses everything below the float range): a masked -inf logit gives -inf.
    /// </summary>
    /// <param name="x">The logits: finite, or -inf for a masked class; at least one finite.</param>
    /// <param name="y">The log-probabilities, same length as <paramref name="x"/>; may be the same memory as x.</param>
    /// <exception cref="NonFiniteInputException">An element of x is NaN or +inf, or all are -inf.</exception>
    /// <exception cref="ArgumentException">x is empty or y has another length.</exception>
    public static void LogSoftmax(ReadOnlySpan<float> x, Span<float> y) => LogSoftmax(x, y, 1f);

    /// <summary>The log-softmax at temperature T: <c>y_i = (x_i - max) / T - log(sum_j exp((x_j - max) / T))</c>.</summary>
    /// <param name="x">The logits: finite, or -inf for a masked class; at least one finite.</param>
    /// <param name="y">The log-probabilities, same length as <paramref name="x"/>; may be the same memory as x.</param>
    /// <param name="temperature">T, finite and &gt; 0.</param>
    /// <exception cref="NonFiniteInputException">An element of x is NaN or +inf, or all are -inf.</exception>
    /// <exception cref="ArgumentOutOfRangeException">T is not finite and &gt; 0.</exception>
    /// <exception cref="ArgumentException">x is empty or y has another length.</exception>
    public static void LogSoftmax(ReadOnlySpan<float> x, Span<float> y, float temperature)
    {
        Guard.PositiveFinite(temperature);
        SoftmaxKernel.RequireNonEmpty(x);
        Guard.Length(y, x.Length);
        LogSoftmaxRow(x, y, temperature, 0);
    }

    /// <summary><c>log(sum_i exp(x_i)) = max + log(sum_i exp(x_i - max))</c>, without overflow for large logits.</summary>
    /// <param name="x">Finite values, or -inf (contributes nothing); at least one finite.</param>
    /// <exception cref="NonFiniteInputException">An element of x is NaN or +inf, or all are -inf.</exception>
    /// <exception cref="ArgumentException">x is empty.</exception>
    public static float LogSumExp(ReadOnlySpan<float> x)
    {
        SoftmaxKernel.RequireNonEmpty(x);
        return LogSumExpRow(x, 0);
    }

    /// <summary>
    /// The index of the largest element; the first one where several are equal (as <c>torch.argmax</c>: -0 and +0
    /// count as equal). +inf and -inf are ordinary values here.
    /// </summary>
    /// <exception cref="NonFiniteInputException">An element of x is NaN (there is no largest element).</exception>
    /// <exception cref="ArgumentException">x is empty.</exception>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        SoftmaxKernel.RequireNonEmpty(x);
        return ArgMaxRow(x, 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Row-major batches
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>The softmax (at temperature T) of each row of the row-major <c>rows x cols</c> matrix x.</summary>
    /// <param name="x">rows x cols logits, <c>rows = x.Length / cols</c> (may be 0).</param>
    /// <param name="cols">The row length (number of classes), &gt;= 1, dividing <c>x.Length</c>.</param>
    /// <param name="y">The probabilities, same length as <paramref name="x"/>; may be the same memory as x.</param>
    /// <param name="temperature">T, finite and &gt; 0.</param>
    /// <exception cref="NonFiniteInputException">An element is NaN or +inf, or a row is all -inf.</exception>
    /// <exception cref="ArgumentOutOfRangeException">cols &lt; 1, or T is not finite and &gt; 0.</exception>
    /// <exception cref="ArgumentException">cols does not divide x.Length, or y has another length.</exception>
    public static void Softmax(ReadOnlySpan<float> x, int cols, Span<float> y, float temperature = 1f)
    {
        int rows = SoftmaxKernel.BatchRows(x.Length, cols);
        Guard.Length(y, x.Length);
        Guard.PositiveFinite(temperature);
        for (int r = 0, o = 0; r < rows; r++, o += cols)
            SoftmaxRow(x.Slice(o, cols), y.Slice(o, cols), temperature, o);
    }

    /// <summary>The log-softmax (at temperature T) of each row of the row-major <c>rows x cols</c> matrix x.</summary>
    /// <param name="x">rows x cols logits, <c>rows = x.Length / cols</c> (may be 0).</param>
    /// <param name="cols">The row length (number of classes), &gt;= 1, dividing <c>x.Length</c>.</param>
    /// <param name="y">The log-probabilities, same length as <paramref name="x"/>; may be the same memory as x.</param>
    /// <param name="temperature">T, finite and &gt; 0.</param>
    /// <exception cref="NonFiniteInputException">An element is NaN or +inf, or a row is all -inf.</exception>
    /// <exception cref="ArgumentOutOfRangeException">cols &lt; 1, or T is not finite and &gt; 0.</exception>
    /// <exception cref="ArgumentException">cols does not divide x.Length, or y has another length.</exception>
    public static void LogSoftmax(ReadOnlySpan<float> x, int cols, Span<float> y, float temperature = 1f)
    {
        int rows = SoftmaxKernel.BatchRows(x.Length, cols);
        Guard.Length(y, x.Length);
        Guard.PositiveFinite(temperature);
        for (int r = 0, o = 0; r < rows; r++, o += cols)
            LogSoftmaxRow(x.Slice(o, cols), y.Slice(o, cols), temperature, o);
    }

    /// <summary>The log-sum-exp of each row of the row-major <c>rows x cols</c> matrix x.</summary>
    /// <param name="x">rows x cols values, <c>rows = x.Length / cols</c> (may be 0).</param>
    /// <param name="cols">The row length, &gt;= 1, dividing <c>x.Length</c>.</param>
    /// <param name="result">One value per row (length rows).</param>
    /// <exception cref="NonFiniteInputException">An element is NaN or +inf, or a row is all -inf.</exception>
    /// <exception cref="ArgumentOutOfRangeException">cols &lt; 1.</exception>
    /// <exception cref="ArgumentException">cols does not divide x.Length, or result is not rows long.</exception>
    public static void LogSumExp(ReadOnlySpan<float> x, int cols, Span<float> result)
    {
        int rows = SoftmaxKernel.BatchRows(x.Length, cols);
        Guard.Length(result, rows);
        for (int r = 0, o = 0; r < rows; r++, o += cols)
            result[r] = LogSumExpRow(x.Slice(o, cols), o);
    }

    /// <summary>The index (0..cols-1) of the largest element of each row; the first where several are equal.</summary>
    /// <param name="x">rows x cols values, <c>rows = x.Length / cols</c> (may be 0).</param>
    /// <param name="cols">The row length, &gt;= 1, dividing <c>x.Length</c>.</param>
    /// <param name="result">One index per row (length rows).</param>
    /// <exception cref="NonFiniteInputException">An element is NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException">cols &lt; 1.</exception>
    /// <exception cref="ArgumentException">cols does not divide x.Length, or result is not rows long.</exception>
    public static void ArgMax(ReadOnlySpan<float> x, int cols, Span<int> result)
    {
        int rows = SoftmaxKernel.BatchRows(x.Length, cols);
        Guard.Length(result, rows);
        for (int r = 0, o = 0; r < rows; r++, o += cols)
            result[r] = ArgMaxRow(x.Slice(o, cols), o);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Row kernels (offset = the row's first index in the caller's x, for error messages)
    // ---------------------------------------------------------------------------------------------------------

    private static void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y, float temperature, int offset)
    {
        double sum = SoftmaxKernel.RowExpSum(x, temperature, y, nameof(x), offset, out _);
        TensorPrimitives.Multiply(y, (float)(1.0 / sum), y);
    }

    private static void LogSoftmaxRow(ReadOnlySpan<float> x, Span<float> y, float temperature, int offset)
    {
        double sum = SoftmaxKernel.RowExpSum(x, temperature, default, nameof(x), offset, out float max);
        // (x - max) first, then the log of the sum: subtracting a rounded (max + log sum) would cost up to half an
        // ulp of max (3e-5 at 1000) on every output.
        float logSum = (float)Math.Log(sum);
        if (temperature == 1f)
            SoftmaxKernel.ExponentMinus(x, new SoftmaxKernel.Shift(max), logSum, y);
        else
            SoftmaxKernel.ExponentMinus(x, new SoftmaxKernel.ShiftScale(max, temperature), logSum, y);
    }

    private static float LogSumExpRow(ReadOnlySpan<float> x, int offset)
    {
        double sum = SoftmaxKernel.RowExpSum(x, 1f, default, nameof(x), offset, out float max);
        return (float)(max + Math.Log(sum));
    }

    private static int ArgMaxRow(ReadOnlySpan<float> x, int offset)
    {
        // IndexOfMax returns the first index of the maximum, or of the first NaN.
        int i = TensorPrimitives.IndexOfMax(x);
        float v = x[i];
        if (float.IsNaN(v))
            Guard.ThrowNonFinite(nameof(x), offset + i, v);
        // IndexOfMax orders +0 above -0; torch.argmax (and ==) does not, so a zero max goes to the first zero.
        if (v == 0f)
            i = SoftmaxKernel.FirstZero(x);
        return i;
    }
}
