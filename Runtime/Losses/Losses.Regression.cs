using System.Numerics;

namespace EdgeLoss;

/// <summary>Options of the plain regression losses <see cref="Losses.Mse(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, RegressionOptions?)"/>, <see cref="Losses.Msle(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, RegressionOptions?)"/> and <see cref="Losses.L1(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, RegressionOptions?)"/>.</summary>
public sealed record RegressionOptions
{
    /// <summary>torch's default: mean reduction.</summary>
    public static RegressionOptions Default { get; } = new();

    /// <summary>How the element losses are reduced; mean divides by the element count.</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;
}

/// <summary>Options of <see cref="Losses.SmoothL1(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, SmoothL1Options?)"/> (torch <c>nn.SmoothL1Loss</c>).</summary>
public sealed record SmoothL1Options
{
    /// <summary>torch's defaults: beta 1, mean reduction.</summary>
    public static SmoothL1Options Default { get; } = new();

    /// <summary>Where the quadratic part ends, finite and >= 0 (torch's default 1). Beta = 0 is exactly the L1 loss.</summary>
    public float Beta { get; init; } = 1f;

    /// <summary>How the element losses are reduced; mean divides by the element count.</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;
}

/// <summary>Options of <see cref="Losses.Huber(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HuberOptions?)"/> (torch <c>nn.HuberLoss</c>).</summary>
public sealed record HuberOptions
{
    /// <summary>torch's defaults: delta 1, mean reduction.</summary>
    public static HuberOptions Default { get; } = new();

    /// <summary>Where the quadratic part ends, finite and > 0 (torch's default 1).</summary>
    public float Delta { get; init; } = 1f;

    /// <summary>How the element losses are reduced; mean divides by the element count.</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;
}

/// <summary>
/// The losses of EdgeLoss, with PyTorch's semantics and names of options. Every loss takes its inputs as spans
/// (row-major where 2-D), writes one value per element (or row) to <c>loss</c> for <see cref="Reduction.None"/> and
/// one value otherwise, and, unless <c>gradient</c> is empty, the gradient of that (reduced) loss w.r.t. the input
/// (for <see cref="Reduction.None"/>: element i gets d loss_i / d input_i). No call allocates.
/// </summary>
public static partial class Losses
{
    /// <summary>Mean squared error (torch <c>mse_loss</c>): <c>l = (x - y)^2</c>, derivative <c>2 (x - y)</c>.</summary>
    /// <param name="input">predictions, finite, any shape flattened</param>
    /// <param name="target">targets, finite, same length</param>
    /// <param name="loss">one value per element for <see cref="Reduction.None"/>, else 1 value</param>
    /// <param name="gradient">empty (not wanted) or the input's length: the gradient of the (reduced) loss w.r.t. the input</param>
    /// <param name="options">the reduction; null = mean</param>
    /// <exception cref="NonFiniteInputException">an input or target element is NaN or infinite</exception>
    /// <exception cref="ArgumentException">lengths or an undefined reduction</exception>
    public static void Mse(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, RegressionOptions? options = null) =>
        RunRegression(new MseLoss(), input, target, loss, gradient, (options ?? RegressionOptions.Default).Reduction);

    /// <summary>Mean squared error reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="Mse(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, RegressionOptions?)"/>
    public static float Mse(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, RegressionOptions? options = null) =>
        RegressionReduced(new MseLoss(), input, target, gradient, (options ?? RegressionOptions.Default).Reduction);

    /// <summary>
    /// Mean squared logarithmic error (Keras' MSLE, not in torch): <c>l = (log1p(x) - log1p(y))^2</c>, derivative
    /// <c>2 (log1p(x) - log1p(y)) / (1 + x)</c>. Input and target must be > -1.
    /// </summary>
    /// <inheritdoc cref="Mse(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, RegressionOptions?)"/>
    /// <exception cref="ArgumentOutOfRangeException">an input or target element is &lt;= -1</exception>
    public static void Msle(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, RegressionOptions? options = null)
    {
        var reduction = (options ?? RegressionOptions.Default).Reduction;
        PointwiseLoss.GreaterThan(input, -1f);
        PointwiseLoss.GreaterThan(target, -1f);
        RunRegression(new MsleLoss(), input, target, loss, gradient, reduction);
    }

    /// <summary>Mean squared logarithmic error reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="Msle(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, RegressionOptions?)"/>
    public static float Msle(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, RegressionOptions? options = null)
    {
        PointwiseLoss.RequireReduced((options ?? RegressionOptions.Default).Reduction, "options.Reduction");
        Span<float> loss = stackalloc float[1];
        Msle(input, target, loss, gradient, options);
        return loss[0];
    }

    /// <summary>Mean absolute error (torch <c>l1_loss</c>): <c>l = |x - y|</c>, derivative <c>sign(x - y)</c> (0 where x = y).</summary>
    /// <inheritdoc cref="Mse(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, RegressionOptions?)"/>
    public static void L1(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, RegressionOptions? options = null) =>
        RunRegression(new L1Loss(), input, target, loss, gradient, (options ?? RegressionOptions.Default).Reduction);

    /// <summary>Mean absolute error reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="L1(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, RegressionOptions?)"/>
    public static float L1(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, RegressionOptions? options = null) =>
        RegressionReduced(new L1Loss(), input, target, gradient, (options ?? RegressionOptions.Default).Reduction);

    /// <summary>
    /// Smooth L1 (torch <c>smooth_l1_loss</c>): with d = x - y, <c>l = 0.5 d^2 / beta</c> where |d| &lt; beta, else
    /// <c>|d| - 0.5 beta</c>; derivative <c>d / beta</c> inside, <c>sign(d)</c> outside. Beta = 0 is the L1 loss
    /// (also its derivative 0 at d = 0, as torch 2's dispatch to l1_loss; torch 1.13's smooth-L1 kernel gave -1 there).
    /// </summary>
    /// <param name="input">predictions, finite, any shape flattened</param>
    /// <param name="target">targets, finite, same length</param>
    /// <param name="loss">one value per element for <see cref="Reduction.None"/>, else 1 value</param>
    /// <param name="gradient">empty (not wanted) or the input's length: the gradient of the (reduced) loss w.r.t. the input</param>
    /// <param name="options">beta and reduction; null = <see cref="SmoothL1Options.Default"/></param>
    /// <exception cref="NonFiniteInputException">an input or target element is NaN or infinite</exception>
    /// <exception cref="ArgumentException">lengths or an undefined reduction</exception>
    /// <exception cref="ArgumentOutOfRangeException">beta is negative, NaN or infinite</exception>
    public static void SmoothL1(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, SmoothL1Options? options = null)
    {
        options ??= SmoothL1Options.Default;
        PointwiseLoss.NonNegativeOption(options.Beta, "options.Beta");
        if (options.Beta == 0f)
            RunRegression(new L1Loss(), input, target, loss, gradient, options.Reduction);
        else
            RunRegression(new SmoothL1Loss(options.Beta), input, target, loss, gradient, options.Reduction);
    }

    /// <summary>Smooth L1 reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="SmoothL1(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, SmoothL1Options?)"/>
    public static float SmoothL1(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, SmoothL1Options? options = null)
    {
        PointwiseLoss.RequireReduced((options ?? SmoothL1Options.Default).Reduction, "options.Reduction");
        Span<float> loss = stackalloc float[1];
        SmoothL1(input, target, loss, gradient, options);
        return loss[0];
    }

    /// <summary>
    /// Huber (torch <c>huber_loss</c>): with d = x - y, <c>l = 0.5 d^2</c> where |d| &lt; delta, else
    /// <c>delta (|d| - 0.5 delta)</c>; derivative <c>d</c> inside, <c>delta sign(d)</c> outside. Equals
    /// delta times the smooth L1 loss with beta = delta.
    /// </summary>
    /// <param name="input">predictions, finite, any shape flattened</param>
    /// <param name="target">targets, finite, same length</param>
    /// <param name="loss">one value per element for <see cref="Reduction.None"/>, else 1 value</param>
    /// <param name="gradient">empty (not wanted) or the input's length: the gradient of the (reduced) loss w.r.t. the input</param>
    /// <param name="options">delta and reduction; null = <see cref="HuberOptions.Default"/></param>
    /// <exception cref="NonFiniteInputException">an input or target element is NaN or infinite</exception>
    /// <exception cref="ArgumentException">lengths or an undefined reduction</exception>
    /// <exception cref="ArgumentOutOfRangeException">delta is not finite and > 0</exception>
    public static void Huber(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, HuberOptions? options = null)
    {
        options ??= HuberOptions.Default;
        PointwiseLoss.NonNegativeOption(options.Delta, "options.Delta", strictlyPositive: true);
        RunRegression(new HuberLoss(options.Delta), input, target, loss, gradient, options.Reduction);
    }

    /// <summary>Huber loss reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="Huber(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, HuberOptions?)"/>
    public static float Huber(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, HuberOptions? options = null)
    {
        PointwiseLoss.RequireReduced((options ?? HuberOptions.Default).Reduction, "options.Reduction");
        Span<float> loss = stackalloc float[1];
        Huber(input, target, loss, gradient, options);
        return loss[0];
    }

    /// <summary>The common path of the regression losses: checks, then the driver without weights.</summary>
    private static void RunRegression<TLoss>(TLoss op, ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, Reduction reduction)
        where TLoss : struct, IPointwiseLoss
    {
        bool perElement = PointwiseLoss.IsPerElement(reduction, "options.Reduction");
        PointwiseLoss.CheckLengths(input, target, loss, gradient, perElement);
        Guard.AllFinite(input);
        Guard.AllFinite(target);
        PointwiseLoss.Run(op, input, target, default, default, loss, gradient, perElement, PointwiseLoss.Divisor(reduction, input.Length));
    }

    private static float RegressionReduced<TLoss>(TLoss op, ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient, Reduction reduction)
        where TLoss : struct, IPointwiseLoss
    {
        PointwiseLoss.RequireReduced(reduction, "options.Reduction");
        Span<float> loss = stackalloc float[1];
        RunRegression(op, input, target, loss, gradient, reduction);
        return loss[0];
    }

    private readonly struct MseLoss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            var d = x - y;
            dx = d + d;
            return d * d;
        }
    }

    private readonly struct MsleLoss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            // log1p keeps small inputs exact (log(1 + x) would round 1 + x first).
            var a = StableMath.Log1p(x) - StableMath.Log1p(y);
            dx = (a + a) / (Vector<float>.One + x);
            return a * a;
        }
    }

    private readonly struct L1Loss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            var d = x - y;
            dx = SignOf(d);
            return Vector.Abs(d);
        }
    }

    private readonly struct SmoothL1Loss(float beta) : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            var b = new Vector<float>(beta);
            var half = new Vector<float>(0.5f);
            var d = x - y;
            var z = Vector.Abs(d);
            // The branch tests are torch's: value by |d| < beta, derivative +-1 from |d| >= beta on.
            dx = Vector.ConditionalSelect(Vector.LessThan(z, b), d / b, SignOf(d));
            return Vector.ConditionalSelect(Vector.LessThan(z, b), half * z * z / b, z - half * b);
        }
    }

    private readonly struct HuberLoss(float delta) : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            var c = new Vector<float>(delta);
            var half = new Vector<float>(0.5f);
            var d = x - y;
            var z = Vector.Abs(d);
            dx = Vector.ConditionalSelect(Vector.LessThan(z, c), d, c * SignOf(d));
            return Vector.ConditionalSelect(Vector.LessThan(z, c), half * z * z, c * (z - half * c));
        }
    }

    /// <summary>sign(d): -1, 0 or +1.</summary>
    private static Vector<float> SignOf(Vector<float> d) =>
        Vector.ConditionalSelect(Vector.GreaterThan(d, Vector<float>.Zero), Vector<float>.One,
            Vector.ConditionalSelect(Vector.LessThan(d, Vector<float>.Zero), -Vector<float>.One, Vector<float>.Zero));
}
