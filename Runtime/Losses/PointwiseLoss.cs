using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeLoss;

/// <summary>
/// One element-wise loss l(x, y) and its derivative dl/dx, evaluated a <see cref="Vector{T}"/> at a time. The
/// driver <see cref="PointwiseLoss.Run"/> owns everything else (weights, reduction, the tail), so each loss is only
/// its formula. <c>p</c> is the loss's per-class parameter (BCE with logits' pos_weight); ones where a
/// loss has none.
/// </summary>
internal interface IPointwiseLoss
{
    Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx);
}

/// <summary>
/// The shared driver of the element-wise losses and the checks they share. Lengths, non-finite values, value
/// ranges and options are checked here once per call; the loops below then trust the data.
/// </summary>
internal static class PointwiseLoss
{
    /// <summary>
    /// Evaluates <typeparamref name="TLoss"/> over all elements. With <paramref name="perElement"/> the unreduced
    /// values go to <paramref name="loss"/> (one per element) and the gradient is the per-element derivative;
    /// otherwise <c>loss[0] = sum / divisor</c> and the gradient is scaled by <c>1 / divisor</c> (divisor 1 for
    /// sum, the element count for mean, the row count for KL's batchmean).
    /// <paramref name="weight"/> and <paramref name="perClass"/> are empty (none) or broadcast over the input the
    /// way torch broadcasts a trailing-dimension tensor: element k uses <c>weight[k % weight.Length]</c>.
    /// Lengths must have been checked (see <see cref="CheckLengths"/>). Returns the reduced value (NaN for none).
    /// </summary>
    public static float Run<TLoss>(in TLoss op, ReadOnlySpan<float> input, ReadOnlySpan<float> target,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> perClass, Span<float> loss, Span<float> gradient,
        bool perElement, double divisor)
        where TLoss : struct, IPointwiseLoss
    {
        int n = input.Length;
        bool wantGradient = !gradient.IsEmpty;
        var gradientScale = new Vector<float>(perElement ? 1f : (float)(1.0 / divisor));

        // A broadcast array of length 1 is a constant; a longer one cuts the input into segments that never cross
        // a multiple of its length, so inside a segment its elements are contiguous and load as vectors.
        bool splatWeight = weight.Length == 1, splatPerClass = perClass.Length == 1;
        var weightConst = splatWeight ? new Vector<float>(weight[0]) : Vector<float>.One;
        var perClassConst = splatPerClass ? new Vector<float>(perClass[0]) : Vector<float>.One;
        bool loadWeight = weight.Length > 1, loadPerClass = perClass.Length > 1;
        int segment = n;
        if (loadWeight) segment = Gcd(segment, weight.Length);
        if (loadPerClass) segment = Gcd(segment, perClass.Length);

        ref float xr = ref MemoryMarshal.GetReference(input);
        ref float yr = ref MemoryMarshal.GetReference(target);
        ref float wr = ref MemoryMarshal.GetReference(weight);
        ref float pr = ref MemoryMarshal.GetReference(perClass);
        ref float lr = ref MemoryMarshal.GetReference(loss);
        ref float gr = ref MemoryMarshal.GetReference(gradient);

        // The sum is kept in double (two widened halves of each vector) so that a mean over many elements is not
        // limited by float accumulation.
        Vector<double> sumLow = Vector<double>.Zero, sumHigh = Vector<double>.Zero;
        double sumTail = 0;
        int width = Vector<float>.Count;
        Span<float> buffer = stackalloc float[4 * Vector<float>.Count];

        for (int start = 0; start < n; start += segment)
        {
            int wOffset = loadWeight ? start % weight.Length : 0;
            int pOffset = loadPerClass ? start % perClass.Length : 0;
            int i = 0;
            for (; i <= segment - width; i += width)
            {
                nuint k = (nuint)(start + i);
                var x = Vector.LoadUnsafe(ref xr, k);
                var y = Vector.LoadUnsafe(ref yr, k);
                var w = loadWeight ? Vector.LoadUnsafe(ref wr, (nuint)(wOffset + i)) : weightConst;
                var p = loadPerClass ? Vector.LoadUnsafe(ref pr, (nuint)(pOffset + i)) : perClassConst;
                var l = op.Evaluate(x, y, p, out var d) * w;
                if (perElement)
                {
                    l.StoreUnsafe(ref lr, k);
                }
                else
                {
                    Vector.Widen(l, out var low, out var high);
                    sumLow += low;
                    sumHigh += high;
                }
                if (wantGradient)
                    (d * w * gradientScale).StoreUnsafe(ref gr, k);
            }

            int rest = segment - i;
            if (rest > 0)
            {
                // The tail goes through the same vector formula on a padded copy, so an element's result does not
                // depend on where it sits in the span. Padding lanes are evaluated and discarded.
                Span<float> xb = buffer[..width], yb = buffer.Slice(width, width);
                Span<float> wb = buffer.Slice(2 * width, width), pb = buffer.Slice(3 * width, width);
                buffer.Clear();
                int k = start + i;
                input.Slice(k, rest).CopyTo(xb);
                target.Slice(k, rest).CopyTo(yb);
                var w = loadWeight ? Load(weight.Slice(wOffset + i, rest), wb) : weightConst;
                var p = loadPerClass ? Load(perClass.Slice(pOffset + i, rest), pb) : perClassConst;
                var l = op.Evaluate(new Vector<float>(xb), new Vector<float>(yb), p, out var d) * w;
                for (int j = 0; j < rest; j++)
                {
                    if (perElement) loss[k + j] = l[j];
                    else sumTail += l[j];
                }
                if (wantGradient)
                {
                    var g = d * w * gradientScale;
                    for (int j = 0; j < rest; j++)
                        gradient[k + j] = g[j];
                }
            }
        }

        if (perElement)
            return float.NaN;
        double sum = Vector.Sum(sumLow) + Vector.Sum(sumHigh) + sumTail;
        float reduced = (float)(sum / divisor);
        loss[0] = reduced;
        return reduced;
    }

    private static Vector<float> Load(ReadOnlySpan<float> values, Span<float> padded)
    {
        padded.Fill(1f);
        values.CopyTo(padded);
        return new Vector<float>(padded);
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>
    /// The length checks every element-wise loss makes: target like input, loss one value per element
    /// (<paramref name="perElement"/>) or one value, gradient empty or like input.
    /// </summary>
    public static void CheckLengths(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, bool perElement)
    {
        Guard.Length(target, input.Length);
        Guard.Length(loss, perElement ? input.Length : 1);
        Guard.OptionalLength(gradient, input.Length);
    }

    /// <summary>Throws unless <paramref name="reduction"/> is a defined <see cref="Reduction"/>; returns whether it is <see cref="Reduction.None"/>.</summary>
    public static bool IsPerElement(Reduction reduction, [CallerArgumentExpression(nameof(reduction))] string? name = null)
    {
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum))
            throw new ArgumentOutOfRangeException(name, reduction, $"{name} = {(int)reduction} is not a defined Reduction (None, Mean, Sum)");
        return reduction == Reduction.None;
    }

    /// <summary>The divisor of a reduction over <paramref name="count"/> elements: the count for mean, 1 for sum.</summary>
    public static double Divisor(Reduction reduction, int count) => reduction == Reduction.Mean ? count : 1.0;

    /// <summary>
    /// The convenience overloads return one number, so they cannot serve <see cref="Reduction.None"/>.
    /// </summary>
    public static void RequireReduced(Reduction reduction, [CallerArgumentExpression(nameof(reduction))] string? name = null)
    {
        if (reduction == Reduction.None)
            throw new ArgumentException(
                $"{name} = None gives one loss per element: use the overload that takes a loss span", name);
    }

    /// <summary>Throws unless every element is in [<paramref name="low"/>, <paramref name="high"/>] (NaN and inf are reported as non-finite).</summary>
    public static void InClosedRange(ReadOnlySpan<float> span, float low, float high, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        Guard.AllFinite(span, name);
        // Two vectorized reductions decide the common case; only a failure pays for the scan that names the element.
        if (span.IsEmpty || (System.Numerics.Tensors.TensorPrimitives.Min(span) >= low && System.Numerics.Tensors.TensorPrimitives.Max(span) <= high))
            return;
        for (int i = 0; i < span.Length; i++)
            if (!(span[i] >= low && span[i] <= high))
                throw new ArgumentOutOfRangeException(name, span[i],
                    $"{name}[{i}] = {Guard.Format(span[i])} is outside [{Guard.Format(low)}, {Guard.Format(high)}]");
    }

    /// <summary>Throws unless every element is finite and > <paramref name="bound"/>.</summary>
    public static void GreaterThan(ReadOnlySpan<float> span, float bound, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        Guard.AllFinite(span, name);
        if (span.IsEmpty || System.Numerics.Tensors.TensorPrimitives.Min(span) > bound)
            return;
        for (int i = 0; i < span.Length; i++)
            if (!(span[i] > bound))
                throw new ArgumentOutOfRangeException(name, span[i],
                    $"{name}[{i}] = {Guard.Format(span[i])} must be > {Guard.Format(bound)}");
    }

    /// <summary>Throws unless every element is exactly -1 or +1 (the labels of the margin losses).</summary>
    public static void PlusMinusOne(ReadOnlySpan<float> span, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        Guard.AllFinite(span, name);
        var one = Vector<float>.One;
        int i = 0;
        for (; i <= span.Length - Vector<float>.Count; i += Vector<float>.Count)
            if (!Vector.EqualsAll(Vector.Abs(new Vector<float>(span[i..])), one))
                break;
        for (; i < span.Length; i++)
            if (span[i] != 1f && span[i] != -1f)
                throw new ArgumentOutOfRangeException(name, span[i],
                    $"{name}[{i}] = {Guard.Format(span[i])} must be -1 or +1");
    }

    /// <summary>
    /// Checks an optional broadcast array of an options record (a weight): empty, or a length that divides the
    /// input's length, every element finite and >= 0.
    /// </summary>
    public static void BroadcastWeight(ReadOnlySpan<float> weight, int inputLength, string name)
    {
        if (weight.IsEmpty)
            return;
        if (inputLength % weight.Length != 0)
            throw new ArgumentException(
                $"{name} has length {weight.Length}, which does not divide the input's length {inputLength} " +
                "(it broadcasts over the last dimension: the input's length must be a multiple of it)", "options");
        for (int i = 0; i < weight.Length; i++)
            if (!(weight[i] >= 0f) || !float.IsFinite(weight[i]))
                throw new ArgumentOutOfRangeException("options", weight[i],
                    $"{name}[{i}] = {Guard.Format(weight[i])} must be finite and >= 0");
    }

    /// <summary>Throws unless an option value is finite and >= 0 (or > 0 when <paramref name="strictlyPositive"/>).</summary>
    public static void NonNegativeOption(float value, string name, bool strictlyPositive = false)
    {
        bool ok = float.IsFinite(value) && (strictlyPositive ? value > 0f : value >= 0f);
        if (!ok)
            throw new ArgumentOutOfRangeException("options", value,
                $"{name} = {Guard.Format(value)} must be finite and {(strictlyPositive ? "> 0" : ">= 0")}");
    }
}
