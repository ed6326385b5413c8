using System.Numerics;

namespace EdgeLoss;

/// <summary>
/// Options of the binary margin losses on raw scores with targets in {-1, +1}:
/// <see cref="Losses.Hinge(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HingeOptions?)"/>,
/// <see cref="Losses.SquaredHinge(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HingeOptions?)"/> and
/// <see cref="Losses.Exponential(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HingeOptions?)"/>.
/// </summary>
public sealed record HingeOptions
{
    /// <summary>The default: mean reduction.</summary>
    public static HingeOptions Default { get; } = new();

    /// <summary>How the element losses are reduced; mean divides by the element count.</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;
}

public static partial class Losses
{
    /// <summary>
    /// Hinge loss (SVM, Keras' <c>hinge</c> with ±1 labels): <c>l = max(0, 1 - y s)</c>, derivative <c>-y</c> where
    /// <c>y s &lt; 1</c>, else 0 (also at the kink y s = 1, as torch's relu).
    /// </summary>
    /// <param name="input">raw scores s, finite, any shape flattened</param>
    /// <param name="target">labels y, each exactly -1 or +1, same length</param>
    /// <param name="loss">one value per element for <see cref="Reduction.None"/>, else 1 value</param>
    /// <param name="gradient">empty (not wanted) or the input's length: the gradient of the (reduced) loss w.r.t. the scores</param>
    /// <param name="options">the reduction; null = mean</param>
    /// <exception cref="NonFiniteInputException">a score or label is NaN or infinite</exception>
    /// <exception cref="ArgumentException">lengths, a label other than ±1, an undefined reduction</exception>
    public static void Hinge(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, HingeOptions? options = null) =>
        RunMargin(new HingeLoss(), input, target, loss, gradient, options);

    /// <summary>Hinge loss reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="Hinge(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HingeOptions?)"/>
    public static float Hinge(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, HingeOptions? options = null) =>
        MarginReduced(new HingeLoss(), input, target, gradient, options);

    /// <summary>Squared hinge loss: <c>l = max(0, 1 - y s)^2</c>, derivative <c>-2 y max(0, 1 - y s)</c>.</summary>
    /// <inheritdoc cref="Hinge(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HingeOptions?)"/>
    public static void SquaredHinge(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, HingeOptions? options = null) =>
        RunMargin(new SquaredHingeLoss(), input, target, loss, gradient, options);

    /// <summary>Squared hinge loss reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="SquaredHinge(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HingeOptions?)"/>
    public static float SquaredHinge(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, HingeOptions? options = null) =>
        MarginReduced(new SquaredHingeLoss(), input, target, gradient, options);

    /// <summary>
    /// Exponential loss (AdaBoost): <c>l = exp(-y s)</c>, derivative <c>-y exp(-y s)</c>. A margin y s below about
    /// -88.7 overflows float: the loss is then +inf (the true value does not fit), as in torch's float32.
    /// </summary>
    /// <inheritdoc cref="Hinge(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HingeOptions?)"/>
    public static void Exponential(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, HingeOptions? options = null) =>
        RunMargin(new ExponentialLoss(), input, target, loss, gradient, options);

    /// <summary>Exponential loss reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="Exponential(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HingeOptions?)"/>
    public static float Exponential(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, HingeOptions? options = null) =>
        MarginReduced(new ExponentialLoss(), input, target, gradient, options);

    private static void RunMargin<TLoss>(TLoss op, ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, HingeOptions? options)
        where TLoss : struct, IPointwiseLoss
    {
        var reduction = (options ?? HingeOptions.Default).Reduction;
        bool perElement = PointwiseLoss.IsPerElement(reduction, "options.Reduction");
        PointwiseLoss.CheckLengths(input, target, loss, gradient, perElement);
        Guard.AllFinite(input);
        PointwiseLoss.PlusMinusOne(target);
        PointwiseLoss.Run(op, input, target, default, default, loss, gradient, perElement, PointwiseLoss.Divisor(reduction, input.Length));
    }

    private static float MarginReduced<TLoss>(TLoss op, ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient, HingeOptions? options)
        where TLoss : struct, IPointwiseLoss
    {
        PointwiseLoss.RequireReduced((options ?? HingeOptions.Default).Reduction, "options.Reduction");
        Span<float> loss = stackalloc float[1];
        RunMargin(op, input, target, loss, gradient, options);
        return loss[0];
    }

    private readonly struct HingeLoss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            var m = Vector<float>.One - y * x;
            var active = Vector.GreaterThan(m, Vector<float>.Zero);
            dx = Vector.ConditionalSelect(active, -y, Vector<float>.Zero);
            return Vector.ConditionalSelect(active, m, Vector<float>.Zero);
        }
    }

    private readonly struct SquaredHingeLoss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            var m = Vector<float>.One - y * x;
            var h = Vector.ConditionalSelect(Vector.GreaterThan(m, Vector<float>.Zero), m, Vector<float>.Zero);
            dx = new Vector<float>(-2f) * y * h;
            return h * h;
        }
    }

    private readonly struct ExponentialLoss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            var l = Vector.Exp(-(y * x));
            dx = -y * l;
            return l;
        }
    }
}
