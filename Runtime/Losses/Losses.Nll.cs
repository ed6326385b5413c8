using System.Numerics.Tensors;

namespace EdgeLoss;

public static partial class Losses
{
    /// <summary>
    /// Negative log-likelihood on log-probabilities (<c>torch.nn.functional.nll_loss</c>): <c>l_n = -w[y_n] x_n,y_n</c>,
    /// with the weight, ignore-index and mean rules of
    /// <see cref="CrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float}, CrossEntropyOptions?)"/>
    /// (which is NLL after a log-softmax). A class with weight 0 contributes 0 even where its log-probability is -inf.
    /// </summary>
    /// <param name="logProbabilities">rows x C log-probabilities (e.g. from <see cref="Functional.LogSoftmax(ReadOnlySpan{float}, int, Span{float}, float)"/>),
    /// finite or -inf, <c>C = logProbabilities.Length / targets.Length</c>.</param>
    /// <param name="targets">One class index per row, in [0, C) or equal to the ignore index.</param>
    /// <param name="loss">One value per row for <see cref="Reduction.None"/>, else one value.</param>
    /// <param name="gradient">Empty (not computed), or logProbabilities.Length: <c>-scale w[y_n]</c> at (n, y_n), 0 elsewhere.</param>
    /// <param name="options">Weights, ignore index, reduction; <see cref="CrossEntropyOptions.LabelSmoothing"/> must be 0.
    /// Null for <see cref="CrossEntropyOptions.Default"/>.</param>
    /// <exception cref="NonFiniteInputException">A log-probability is NaN or +inf, or a weight is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, C) and not the ignore index, or a weight is negative.</exception>
    /// <exception cref="ArgumentException">LabelSmoothing is not 0, or a length does not match.</exception>
    public static void Nll(ReadOnlySpan<float> logProbabilities, ReadOnlySpan<int> targets, Span<float> loss, Span<float> gradient,
        CrossEntropyOptions? options = null)
    {
        options ??= CrossEntropyOptions.Default;
        if (options.LabelSmoothing != 0f)
            throw new ArgumentException(
                $"options.LabelSmoothing = {Guard.Format(options.LabelSmoothing)}: Nll has no label smoothing (it needs the whole distribution; use CrossEntropy on logits)",
                nameof(options));
        int rows = targets.Length;
        int classes = ClassTargetChecks.Classes(logProbabilities.Length, rows, nameof(logProbabilities), nameof(targets));
        Reduction reduction = options.Reduction;
        Guard.Length(loss, ClassTargetChecks.LossLength(reduction, rows));
        Guard.OptionalLength(gradient, logProbabilities.Length);
        ReadOnlySpan<float> weight = options.Weight.Span;
        ClassTargetChecks.Weight(weight, classes);
        int ignore = options.IgnoreIndex;
        double denominator = ClassTargetChecks.Denominator(targets, classes, ignore, weight);
        // -inf is a log-probability of 0; NaN and +inf are bad. The max (which propagates NaN) finds both in one pass.
        if (!logProbabilities.IsEmpty)
        {
            float top = TensorPrimitives.Max(logProbabilities);
            if (float.IsNaN(top) || float.IsPositiveInfinity(top))
                ClassTargetChecks.ThrowNaNOrPositiveInfinity(logProbabilities, nameof(logProbabilities));
        }

        double scale = reduction == Reduction.Mean ? 1.0 / denominator : 1.0;
        gradient.Clear();
        double total = 0;
        for (int n = 0, o = 0; n < rows; n++, o += classes)
        {
            int t = targets[n];
            double l = 0;
            if (t != ignore)
            {
                double wt = weight.IsEmpty ? 1.0 : weight[t];
                l = wt == 0 ? 0 : -wt * logProbabilities[o + t];
                if (!gradient.IsEmpty) gradient[o + t] = (float)(-(wt * scale));
            }
            if (reduction == Reduction.None) loss[n] = (float)l;
            else total += l;
        }
        if (reduction == Reduction.Mean) loss[0] = (float)(total / denominator);
        else if (reduction == Reduction.Sum) loss[0] = (float)total;
    }
}
