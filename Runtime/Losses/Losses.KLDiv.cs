using System.Numerics;

namespace EdgeLoss;

/// <summary>
/// The reductions of torch's <c>kl_div</c>: the three of <see cref="Reduction"/> (same numeric values) plus
/// <see cref="BatchMean"/>, the one that gives the mathematical KL divergence per sample.
/// </summary>
public enum KLDivReduction
{
    /// <summary>No reduction: one value per element, and element i of the gradient is d loss_i / d input_i.</summary>
    None = 0,
    /// <summary>The mean over all elements (torch's default, which torch itself warns is not the KL divergence).</summary>
    Mean = 1,
    /// <summary>The sum over all elements.</summary>
    Sum = 2,
    /// <summary>The sum divided by the number of rows: the mean KL divergence per sample.</summary>
    BatchMean = 3,
}

/// <summary>Options of <see cref="Losses.KLDiv(ReadOnlySpan{float}, ReadOnlySpan{float}, int, Span{float}, Span{float}, KLDivOptions?)"/> (torch <c>nn.KLDivLoss</c>).</summary>
public sealed record KLDivOptions
{
    /// <summary>torch's defaults: target as probabilities, mean reduction.</summary>
    public static KLDivOptions Default { get; } = new();

    /// <summary>Whether the target holds log-probabilities (torch's <c>log_target</c>) instead of probabilities.</summary>
    public bool LogTarget { get; init; }

    /// <summary>How the element losses are reduced. torch's default is <see cref="KLDivReduction.Mean"/>;
    /// <see cref="KLDivReduction.BatchMean"/> is the KL divergence per sample.</summary>
    public KLDivReduction Reduction { get; init; } = KLDivReduction.Mean;
}

public static partial class Losses
{
    /// <summary>
    /// Kullback-Leibler divergence as torch's <c>kl_div</c>: the input holds log-probabilities log q, the target
    /// probabilities p (or log p with <see cref="KLDivOptions.LogTarget"/>), and element-wise
    /// <c>l = p (log p - log q)</c>, 0 where p = 0 (so <c>sum</c> over a row is KL(p || q)). The derivative w.r.t. the
    /// input is <c>-p</c>.
    /// </summary>
    /// <param name="input">log-probabilities log q, rows of <paramref name="classes"/>, row-major; -inf (probability 0) is allowed</param>
    /// <param name="target">probabilities p >= 0 (finite), or log-probabilities (-inf allowed) with LogTarget; same length</param>
    /// <param name="classes">the row length; <see cref="KLDivReduction.BatchMean"/> divides by the row count
    /// <c>input.Length / classes</c> (torch divides by input.size(0): for a 1-D torch input of C elements pass 1)</param>
    /// <param name="loss">one value per element for <see cref="KLDivReduction.None"/>, else 1 value</param>
    /// <param name="gradient">empty (not wanted) or the input's length: the gradient of the (reduced) loss w.r.t. the input</param>
    /// <param name="options">log-target flag and reduction; null = <see cref="KLDivOptions.Default"/></param>
    /// <remarks>
    /// Where p = 0 the element is 0 whatever the input, also when the input is -inf there; torch computes
    /// 0 * -inf = NaN in that case (and for a log-target of -inf). Where p > 0 and the input is -inf the loss is +inf.
    /// </remarks>
    /// <exception cref="NonFiniteInputException">the input holds NaN or +inf; the target NaN or +inf (or -inf without LogTarget)</exception>
    /// <exception cref="ArgumentException">lengths, classes not dividing the length, a negative probability, an undefined reduction</exception>
    public static void KLDiv(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int classes, Span<float> loss, Span<float> gradient, KLDivOptions? options = null)
    {
        options ??= KLDivOptions.Default;
        var reduction = options.Reduction;
        if (reduction is not (KLDivReduction.None or KLDivReduction.Mean or KLDivReduction.Sum or KLDivReduction.BatchMean))
            throw new ArgumentOutOfRangeException(nameof(options), reduction,
                $"options.Reduction = {(int)reduction} is not a defined KLDivReduction (None, Mean, Sum, BatchMean)");
        bool perElement = reduction == KLDivReduction.None;
        Guard.Positive(classes);
        if (input.Length % classes != 0)
            throw new ArgumentException($"input has length {input.Length}, which is not a multiple of classes = {classes}", nameof(input));
        PointwiseLoss.CheckLengths(input, target, loss, gradient, perElement);
        NoNaNOrPositiveInfinity(input);
        if (options.LogTarget)
        {
            NoNaNOrPositiveInfinity(target);
        }
        else
        {
            Guard.AllFinite(target);
            if (!target.IsEmpty && System.Numerics.Tensors.TensorPrimitives.Min(target) < 0f)
                for (int i = 0; i < target.Length; i++)
                    if (target[i] < 0f)
                        throw new ArgumentOutOfRangeException(nameof(target), target[i],
                            $"target[{i}] = {Guard.Format(target[i])} is a negative probability");
        }

        double divisor = reduction switch
        {
            KLDivReduction.Mean => input.Length,
            KLDivReduction.BatchMean => input.Length / classes,
            _ => 1.0,
        };
        if (options.LogTarget)
            PointwiseLoss.Run(new KLDivLogTargetLoss(), input, target, default, default, loss, gradient, perElement, divisor);
        else
            PointwiseLoss.Run(new KLDivLoss(), input, target, default, default, loss, gradient, perElement, divisor);
    }

    /// <summary>KL divergence reduced to one number (mean, sum or batchmean per <paramref name="options"/>).</summary>
    /// <inheritdoc cref="KLDiv(ReadOnlySpan{float}, ReadOnlySpan{float}, int, Span{float}, Span{float}, KLDivOptions?)"/>
    public static float KLDiv(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int classes, Span<float> gradient = default, KLDivOptions? options = null)
    {
        if ((options ?? KLDivOptions.Default).Reduction == KLDivReduction.None)
            throw new ArgumentException("options.Reduction = None gives one loss per element: use the overload that takes a loss span", nameof(options));
        Span<float> loss = stackalloc float[1];
        KLDiv(input, target, classes, loss, gradient, options);
        return loss[0];
    }

    /// <summary>Log-probabilities may be -inf (probability 0); NaN and +inf are bad input.</summary>
    private static void NoNaNOrPositiveInfinity(ReadOnlySpan<float> span, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(span))] string? name = null)
    {
        // Max propagates NaN, so one vectorized pass decides the common case.
        if (span.IsEmpty || System.Numerics.Tensors.TensorPrimitives.Max(span) < float.PositiveInfinity)
            return;
        for (int i = 0; i < span.Length; i++)
            if (float.IsNaN(span[i]) || float.IsPositiveInfinity(span[i]))
                Guard.ThrowNonFinite(name, i, span[i]);
    }

    private readonly struct KLDivLoss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            dx = -y;
            // y log y is 0 at y = 0 (torch's xlogy); selecting 0 there also covers x = -inf, where y (log y - x) is NaN.
            var l = y * (Vector.Log(y) - x);
            return Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero), l, Vector<float>.Zero);
        }
    }

    private readonly struct KLDivLogTargetLoss : IPointwiseLoss
    {
        public Vector<float> Evaluate(Vector<float> x, Vector<float> y, Vector<float> p, out Vector<float> dx)
        {
            var probability = Vector.Exp(y);
            dx = -probability;
            var l = probability * (y - x);
            // exp(y) underflows to 0 long before y = -inf; the select keeps those elements 0, not 0 * (-inf - x).
            return Vector.ConditionalSelect(Vector.GreaterThan(probability, Vector<float>.Zero), l, Vector<float>.Zero);
        }
    }
}
