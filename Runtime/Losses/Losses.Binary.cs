using System.Numerics;

namespace EdgeLoss;

/// <summary>Options of <see cref="Losses.BinaryCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, BceOptions?)"/> (torch <c>nn.BCELoss</c>).</summary>
public sealed record BceOptions
{
    /// <summary>torch's defaults: no weight, mean reduction.</summary>
    public static BceOptions Default { get; } = new();

    /// <summary>
    /// Optional rescaling weight, finite and >= 0, multiplied into each element's loss. Empty = all ones. It
    /// broadcasts like a torch tensor of shape (W,) against the input viewed as (..., W): element k uses
    /// <c>Weight[k % W]</c>, so W = the class count gives a per-class weight and W = the input's length a
    /// per-element one. (A per-row weight, torch shape (N, 1), must be expanded by the caller.)
    /// </summary>
    public ReadOnlyMemory<float> Weight { get; init; }

    /// <summary>How the element losses are reduced; mean divides by the element count (not by the weights).</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;
}

/// <summary>Options of <see cref="Losses.BinaryCrossEntropyWithLogits(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, BceWithLogitsOptions?)"/> (torch <c>nn.BCEWithLogitsLoss</c>).</summary>
public sealed record BceWithLogitsOptions
{
    /// <summary>torch's defaults: no weight, no pos_weight, mean reduction.</summary>
    public static BceWithLogitsOptions Default { get; } = new();

    /// <summary>Optional rescaling weight, broadcast as <see cref="BceOptions.Weight"/>.</summary>
    public ReadOnlyMemory<float> Weight { get; init; }

    /// <summary>
    /// Optional weight of the positive term per class (torch's <c>pos_weight</c>), finite and >= 0: the loss is
    /// <c>-[p_c y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]</c>. It broadcasts over the last dimension: element
    /// k uses <c>PosWeight[k % C]</c>, so the input's length must be a multiple of its length C. Empty = all ones.
    /// </summary>
    public ReadOnlyMemory<float> PosWeight { get; init; }

    /// <summary>How the element losses are reduced; mean divides by the element count.</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;
}

public static partial class Losses
{
    /// <summary>
    /// Binary cross-entropy on probabilities (torch <c>binary_cross_entropy</c>), element-wise:
    /// <c>l = -w [y log x + (1 - y) log(1 - x)]</c> with each log clamped at -100 as torch does, so x = 0 or 1 gives a
    /// finite loss. Multi-label targets: any y in [0, 1].
    /// </summary>
    /// <param name="input">probabilities in [0, 1] (e.g. sigmoid outputs), any shape flattened</param>
    /// <param name="target">targets in [0, 1], same length</param>
    /// <param name="loss">one value per element for <see cref="Reduction.None"/>, else 1 value</param>
    /// <param name="gradient">empty (not wanted) or the input's length: the gradient of the (reduced) loss w.r.t.
    /// the input, <c>w (x - y) / max(x (1 - x), 1e-12)</c> as torch (huge but finite at x = 0 or 1)</param>
    /// <param name="options">weight and reduction; null = <see cref="BceOptions.Default"/></param>
    /// <exception cref="NonFiniteInputException">an input or target element is NaN or infinite</exception>
    /// <exception cref="ArgumentException">lengths, a value outside [0, 1], a negative weight, an undefined reduction</exception>
    public static void BinaryCrossEntropy(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, BceOptions? options = null)
    {
        options ??= BceOptions.Default;
        bool perElement = PointwiseLoss.IsPerElement(options.Reduction, "options.Reduction");
        PointwiseLoss.CheckLengths(input, target, loss, gradient, perElement);
        PointwiseLoss.InClosedRange(input, 0f, 1f);
        PointwiseLoss.InClosedRange(target, 0f, 1f);
        var weight = options.Weight.Span;
        PointwiseLoss.BroadcastWeight(weight, input.Length, "options.Weight");
        PointwiseLoss.Run(new BinaryCrossEntropyLoss(), input, target, weight, default, loss, gradient,
            perElement, PointwiseLoss.Divisor(options.Reduction, input.Length));
    }

    /// <summary>Binary cross-entropy on probabilities, reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="BinaryCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, BceOptions?)"/>
    public static float BinaryCrossEntropy(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, BceOptions? options = null)
    {
        PointwiseLoss.RequireReduced((options ?? BceOptions.Default).Reduction, "options.Reduction");
        Span<float> loss = stackalloc float[1];
        BinaryCrossEntropy(input, target, loss, gradient, options);
        return loss[0];
    }

    /// <summary>
    /// Binary cross-entropy on logits (torch <c>binary_cross_entropy_with_logits</c>), element-wise:
    /// <c>l = w [p y softplus(-x) + (1 - y) softplus(x)]</c> = <c>-w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]</c>,
    /// computed in a form that neither overflows nor cancels for any finite logit. Multi-label targets in [0, 1].
    /// </summary>
    /// <param name="input">logits, any finite value, any shape flattened</param>
    /// <param name="target">targets in [0, 1], same length</param>
    /// <param name="loss">one value per element for <see cref="Reduction.None"/>, else 1 value</param>
    /// <param name="gradient">empty or the input's length: <c>w [(1 - y) sigmoid(x) - p y sigmoid(-x)]</c>
    /// (= <c>w (sigmoid(x) - y)</c> without pos_weight), scaled by the reduction</param>
    /// <param name="options">weight, pos_weight and reduction; null = <see cref="BceWithLogitsOptions.Default"/></param>
    /// <exception cref="NonFiniteInputException">an input or target element is NaN or infinite</exception>
    /// <exception cref="ArgumentException">lengths, a target outside [0, 1], a negative weight, an undefined reduction</exception>
    public static void BinaryCrossEntropyWithLogits(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient, BceWithLogitsOptions? options = null)
    {
        options ??= BceWithLogitsOptions.Default;
        bool perElement = PointwiseLoss.IsPerElement(options.Reduction, "options.Reduction");
        PointwiseLoss.CheckLengths(input, target, loss, gradient, perElement);
        Guard.AllFinite(input);
        PointwiseLoss.InClosedRange(target, 0f, 1f);
        var weight = options.Weight.Span;
        var posWeight = options.PosWeight.Span;
        PointwiseLoss.BroadcastWeight(weight, input.Length, "options.Weight");
        PointwiseLoss.BroadcastWeight(posWeight, input.Length, "options.PosWeight");
        PointwiseLoss.Run(new BinaryCrossEntropyWithLogitsLoss(), input, target, weight, posWeight, loss, gradient,
            perElement, PointwiseLoss.Divisor(options.Reduction, input.Length));
    }

    /// <summary>Binary cross-entropy on logits, reduced to one number (mean or sum per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="BinaryCrossEntropyWithLogits(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, BceWithLogitsOptions?)"/>
    public static float BinaryCrossEntropyWithLogits(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient = default, BceWithLogitsOptions? options = null)
    {
        PointwiseLoss.RequireReduced((options ?? BceWithLogitsOptions.Default).Reduction, "options.Reduction");
        Span<float> loss = stackalloc float[1];
        BinaryCrossEntropyWithLogits(input, target, loss, gradient, options);
        return loss[0];
    }

    private readonly struct BinaryCrossEntropyLoss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            var clamp = new Vector<float>(-100f);
            // log(1 - x) as log1p(-x): exact for x below float's resolution at 1, where 1 - x would round to 1.
            // log(0) = -inf is clamped to -100 like torch, which keeps x = 0 and x = 1 finite.
            var logX = Vector.Max(Vector.Log(x), clamp);
            var log1mX = Vector.Max(StableMath.Log1p(-x), clamp);
            // torch's backward, including its EPSILON = 1e-12 floor of x (1 - x).
            dx = (x - y) / Vector.Max((Vector<float>.One - x) * x, new Vector<float>(1e-12f));
            return -(y * logX + (Vector<float>.One - y) * log1mX);
        }
    }

    private readonly struct BinaryCrossEntropyWithLogitsLoss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            // torch writes (1 - y) x + (1 + (p - 1) y) softplus(-x); using x + softplus(-x) = softplus(x) this is
            // (1 - y) softplus(x) + p y softplus(-x): two non-negative terms, no cancellation. The two softplus share
            // log1p(exp(-|x|)), and the derivative's sigmoid(+-x) share exp(-|x|).
            var sigmoid = StableMath.Sigmoid(x, out var sigmoidMinus, out var e);
            var log1pE = StableMath.Log1p(e);
            var softplus = StableMath.PositivePart(x) + log1pE;
            var softplusMinus = StableMath.PositivePart(-x) + log1pE;
            var oneMinusY = Vector<float>.One - y;
            var py = p * y;
            dx = oneMinusY * sigmoid - py * sigmoidMinus;
            return oneMinusY * softplus + py * softplusMinus;
        }
    }
}
