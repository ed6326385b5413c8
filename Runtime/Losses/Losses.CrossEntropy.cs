using System.Numerics.Tensors;

namespace EdgeLoss;

// The class-level documentation of Losses lives in Losses.Regression.cs.
public static partial class Losses
{
    /// <summary>
    /// Cross-entropy on logits with class-index targets (<c>torch.nn.functional.cross_entropy</c>, TensorFlow's
    /// <c>sparse_softmax_cross_entropy_with_logits</c>): <c>l_n = -w[y_n] log_softmax(x_n)[y_n]</c>, with label
    /// smoothing eps <c>l_n = (1 - eps) (-w[y_n] log p_n,y_n) + (eps / C) (-sum_c w[c] log p_nc)</c>. Rows whose
    /// target is <see cref="CrossEntropyOptions.IgnoreIndex"/> contribute 0 (their logits are not read, as in
    /// PyTorch); the mean divides by the sum of <c>w[y_n]</c> over the other rows (NaN when that is 0, as in PyTorch).
    /// </summary>
    /// <remarks>
    /// Computed from the log-softmax (never <c>log(softmax)</c>), so large logits neither overflow nor lose the
    /// loss of a confident row. A class whose weight is 0 contributes 0 even where its logit is -inf (PyTorch
    /// computes 0 * -inf = NaN there). An empty batch gives NaN for the mean and 0 for the sum, as PyTorch.
    /// </remarks>
    /// <param name="logits">rows x C logits, row-major, <c>C = logits.Length / targets.Length</c>; -inf masks a class.</param>
    /// <param name="targets">One class index per row, in [0, C) or equal to the ignore index.</param>
    /// <param name="loss">One value per row for <see cref="Reduction.None"/>, else one value.</param>
    /// <param name="gradient">Empty (not computed), or logits.Length: d(reduced loss)/d logits, i.e.
    /// <c>scale (p - q)</c> with q the (weighted, smoothed) target distribution; for <see cref="Reduction.None"/>
    /// row n holds d l_n / d x_n. Ignored rows get 0.</param>
    /// <param name="options">Weights, ignore index, label smoothing, reduction; null for <see cref="CrossEntropyOptions.Default"/>.</param>
    /// <exception cref="NonFiniteInputException">A logit is NaN or +inf, a row is all -inf, or a weight is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, C) and not the ignore index, or a weight is negative.</exception>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public static void CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> loss, Span<float> gradient,
        CrossEntropyOptions? options = null)
    {
        options ??= CrossEntropyOptions.Default;
        int rows = targets.Length;
        int classes = ClassTargetChecks.Classes(logits.Length, rows, nameof(logits), nameof(targets));
        Reduction reduction = options.Reduction;
        Guard.Length(loss, ClassTargetChecks.LossLength(reduction, rows));
        Guard.OptionalLength(gradient, logits.Length);
        ReadOnlySpan<float> weight = options.Weight.Span;
        double weightSum = ClassTargetChecks.Weight(weight, classes);
        int ignore = options.IgnoreIndex;
        double denominator = ClassTargetChecks.Denominator(targets, classes, ignore, weight);

        double eps = options.LabelSmoothing;
        double spread = classes == 0 ? 0 : eps / classes;
        // The gradient of the mean is the per-row gradient over the denominator; 1/0 = inf turns the rows of an
        // all-zero-weight batch into NaN, as PyTorch's autograd does.
        double scale = reduction == Reduction.Mean ? 1.0 / denominator : 1.0;
        double total = 0;
        for (int n = 0, o = 0; n < rows; n++, o += classes)
        {
            ReadOnlySpan<float> x = logits.Slice(o, classes);
            Span<float> g = gradient.IsEmpty ? default : gradient.Slice(o, classes);
            int t = targets[n];
            if (t == ignore)
            {
                if (reduction == Reduction.None) loss[n] = 0f;
                g.Clear();
                continue;
            }

            // The gradient row first receives exp(x - max); it is rescaled below.
            double sum = SoftmaxKernel.RowExpSum(x, 1f, g, nameof(logits), o, out float max);
            double logSum = Math.Log(sum);
            double wt = weight.IsEmpty ? 1.0 : weight[t];
            // -w[t] log p_t = w[t] (log sum - (x_t - max)); a weight of 0 is 0 even where x_t is -inf.
            double l = wt == 0 ? 0 : (1 - eps) * wt * (logSum - ((double)x[t] - max));
            if (eps > 0)
                l += spread * (weightSum * logSum - SoftmaxKernel.WeightedShiftedSum(x, max, weight));
            if (reduction == Reduction.None) loss[n] = (float)l;
            else total += l;

            if (!g.IsEmpty)
            {
                // d l / d x_c = p_c ((1 - eps) w[t] + (eps / C) sum w) - (1 - eps) w[t] [c = t] - (eps / C) w[c]
                double a = scale * ((1 - eps) * wt + spread * weightSum);
                TensorPrimitives.Multiply(g, (float)(a / sum), g);
                if (eps > 0)
                    SoftmaxKernel.SubtractTarget(g, default, weight, 0f, (float)(scale * spread));
                g[t] -= (float)(scale * (1 - eps) * wt);
            }
        }
        if (reduction == Reduction.Mean) loss[0] = (float)(total / denominator);
        else if (reduction == Reduction.Sum) loss[0] = (float)total;
    }

    /// <summary>
    /// The reduced cross-entropy with class-index targets, without a gradient: the mean (by default) or the sum of
    /// <see cref="CrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float}, CrossEntropyOptions?)"/>.
    /// </summary>
    /// <param name="logits">rows x C logits, row-major, <c>C = logits.Length / targets.Length</c>.</param>
    /// <param name="targets">One class index per row, in [0, C) or equal to the ignore index.</param>
    /// <param name="options">Options with <see cref="Reduction.Mean"/> or <see cref="Reduction.Sum"/>; null for the defaults.</param>
    /// <returns>The loss; <c>CrossEntropy([[1, 2, 7]], [2]) = 0.0091745</c>.</returns>
    /// <exception cref="ArgumentException">The reduction is <see cref="Reduction.None"/> (use the overload with a loss span), or as the main overload.</exception>
    public static float CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, CrossEntropyOptions? options = null)
    {
        options ??= CrossEntropyOptions.Default;
        if (options.Reduction == Reduction.None)
            throw new ArgumentException("options.Reduction = None gives one loss per row: use the overload that takes a loss span", nameof(options));
        Span<float> loss = stackalloc float[1];
        CrossEntropy(logits, targets, loss, default, options);
        return loss[0];
    }

    /// <summary>
    /// Cross-entropy on logits with probability targets (dense, soft or one-hot; PyTorch's floating-point
    /// <c>target</c>, TensorFlow's <c>softmax_cross_entropy_with_logits</c>): <c>l_n = -sum_c w[c] q_nc log p_nc</c>
    /// with <c>q = y (1 - eps) + eps / C</c>. The mean divides by the number of rows, whatever the weights.
    /// <see cref="CrossEntropyOptions.IgnoreIndex"/> does not apply.
    /// </summary>
    /// <remarks>
    /// A class with <c>w[c] q_nc = 0</c> contributes 0 even where its logit is -inf (<c>0 log 0 = 0</c>), where
    /// PyTorch 1.13 returns NaN. Targets need not sum to 1 (as in PyTorch); the gradient is then
    /// <c>scale (p_c sum_k w[k] q_k - w[c] q_c)</c>.
    /// </remarks>
    /// <param name="logits">rows x C logits, row-major; -inf masks a class.</param>
    /// <param name="targets">rows x C target probabilities, finite, same length as logits.</param>
    /// <param name="classes">C, &gt;= 1, dividing logits.Length.</param>
    /// <param name="loss">One value per row for <see cref="Reduction.None"/>, else one value.</param>
    /// <param name="gradient">Empty (not computed), or logits.Length: d(reduced loss)/d logits.</param>
    /// <param name="options">Weights, label smoothing, reduction; null for <see cref="CrossEntropyOptions.Default"/>.</param>
    /// <exception cref="NonFiniteInputException">A logit is NaN or +inf, a row is all -inf, or a target or weight is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">classes &lt; 1, or a weight is negative.</exception>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public static void CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, Span<float> loss, Span<float> gradient,
        CrossEntropyOptions? options = null)
    {
        options ??= CrossEntropyOptions.Default;
        int rows = ClassTargetChecks.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(targets, logits.Length);
        Reduction reduction = options.Reduction;
        Guard.Length(loss, ClassTargetChecks.LossLength(reduction, rows));
        Guard.OptionalLength(gradient, logits.Length);
        ReadOnlySpan<float> weight = options.Weight.Span;
        ClassTargetChecks.Weight(weight, classes);
        Guard.AllFinite(targets);

        double eps = options.LabelSmoothing;
        double scale = reduction == Reduction.Mean ? 1.0 / rows : 1.0;
        double total = 0;
        for (int n = 0, o = 0; n < rows; n++, o += classes)
        {
            ReadOnlySpan<float> x = logits.Slice(o, classes), y = targets.Slice(o, classes);
            Span<float> g = gradient.IsEmpty ? default : gradient.Slice(o, classes);
            double sum = SoftmaxKernel.RowExpSum(x, 1f, g, nameof(logits), o, out float max);
            double logSum = Math.Log(sum);
            // l = -sum_c k_c (x_c - max - log sum) = mass log sum - dot, k_c = w_c q_c.
            SoftmaxKernel.SoftTargetSums(x, max, y, weight, eps, out double mass, out double dot);
            double l = mass * logSum - dot;
            if (reduction == Reduction.None) loss[n] = (float)l;
            else total += l;

            if (!g.IsEmpty)
            {
                // d l / d x_c = p_c mass - k_c
                TensorPrimitives.Multiply(g, (float)(scale * mass / sum), g);
                SoftmaxKernel.SubtractTarget(g, y, weight, (float)(scale * (1 - eps)), (float)(scale * eps / classes));
            }
        }
        if (reduction == Reduction.Mean) loss[0] = (float)(total / rows);
        else if (reduction == Reduction.Sum) loss[0] = (float)total;
    }
}
