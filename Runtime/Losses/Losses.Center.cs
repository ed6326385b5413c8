using System.Numerics.Tensors;

namespace EdgeLoss;

public static partial class Losses
{
    /// <summary>
    /// Center loss (Wen et al., "A Discriminative Feature Learning Approach for Deep Face Recognition", ECCV 2016):
    /// <c>L = (lambda / 2) * sum_i ||x_i - c_{y_i}||^2</c>, summed (not averaged) over the batch as in the paper, with
    /// the gradient <c>dL/dx_i = lambda (x_i - c_{y_i})</c>. The centers are not trained by this gradient but by
    /// <see cref="UpdateCenters"/>.
    /// </summary>
    /// <param name="features">the batch's deep features x_i, rows of <paramref name="dim"/>, row-major, finite</param>
    /// <param name="labels">the class of each row, in [0, classes)</param>
    /// <param name="centers">the class centers c_j, rows of <paramref name="dim"/>, row-major (classes = centers.Length / dim), finite</param>
    /// <param name="dim">the feature dimension, >= 1</param>
    /// <param name="lambda">the loss weight, finite and >= 0</param>
    /// <param name="gradient">empty (not wanted) or the features' length: dL/dx</param>
    /// <returns>the loss L</returns>
    /// <exception cref="NonFiniteInputException">a feature or center element is NaN or infinite</exception>
    /// <exception cref="ArgumentException">lengths, a label out of range, a negative lambda</exception>
    public static float CenterLoss(ReadOnlySpan<float> features, ReadOnlySpan<int> labels, ReadOnlySpan<float> centers, int dim, float lambda, Span<float> gradient)
    {
        int classes = CheckCenterShapes(features, labels, centers, dim);
        if (!(lambda >= 0f) || !float.IsFinite(lambda))
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, $"lambda = {Guard.Format(lambda)} must be finite and >= 0");
        Guard.OptionalLength(gradient, features.Length);
        Guard.AllFinite(features);
        Guard.AllFinite(centers);
        Guard.Indices(labels, classes);

        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var x = features.Slice(i * dim, dim);
            var c = centers.Slice(labels[i] * dim, dim);
            if (gradient.IsEmpty)
            {
                // ||x - c|| in one vectorized pass; squaring the root costs one rounding.
                double distance = TensorPrimitives.Distance(x, c);
                sum += distance * distance;
            }
            else
            {
                // The gradient row doubles as the buffer of x - c.
                var g = gradient.Slice(i * dim, dim);
                TensorPrimitives.Subtract(x, c, g);
                sum += TensorPrimitives.SumOfSquares<float>(g);
                TensorPrimitives.Multiply(g, lambda, g);
            }
        }
        return (float)(0.5 * lambda * sum);
    }

    /// <summary>
    /// The center update of Wen et al. (Algorithm 1): for every class j in the batch,
    /// <c>delta_c_j = sum_{i: y_i = j} (c_j - x_i) / (1 + n_j)</c> with n_j the number of rows of class j, then
    /// <c>c_j -= alpha * delta_c_j</c>. Classes absent from the batch keep their center. Allocation-free: the
    /// update is applied in place as <c>c_j = c_j (1 - alpha n_j / (1 + n_j)) + alpha / (1 + n_j) * sum x_i</c>,
    /// each class handled once at its first row (O(rows^2) label comparisons, vectorized, no buffer).
    /// </summary>
    /// <param name="features">the batch's deep features, rows of <paramref name="dim"/>, row-major, finite</param>
    /// <param name="labels">the class of each row, in [0, classes)</param>
    /// <param name="centers">the class centers, rows of <paramref name="dim"/>, updated in place</param>
    /// <param name="dim">the feature dimension, >= 1</param>
    /// <param name="alpha">the centers' learning rate, in [0, 1] as in the paper</param>
    /// <exception cref="NonFiniteInputException">a feature or center element is NaN or infinite</exception>
    /// <exception cref="ArgumentException">lengths, a label out of range, alpha outside [0, 1]</exception>
    public static void UpdateCenters(ReadOnlySpan<float> features, ReadOnlySpan<int> labels, Span<float> centers, int dim, float alpha)
    {
        int classes = CheckCenterShapes(features, labels, centers, dim);
        if (!(alpha >= 0f && alpha <= 1f))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha = {Guard.Format(alpha)} is outside [0, 1]");
        Guard.AllFinite(features);
        Guard.AllFinite((ReadOnlySpan<float>)centers, nameof(centers));
        Guard.Indices(labels, classes);

        for (int i = 0; i < labels.Length; i++)
        {
            int j = labels[i];
            if (labels[..i].Contains(j))
                continue;                                   // class j was updated at its first row
            int count = labels[i..].Count(j);               // n_j
            float keep = 1f - alpha * count / (1f + count);
            float step = alpha / (1f + count);
            var c = centers.Slice(j * dim, dim);
            TensorPrimitives.Multiply(c, keep, c);
            for (int k = i; k < labels.Length; k++)
                if (labels[k] == j)
                    TensorPrimitives.MultiplyAdd(features.Slice(k * dim, dim), step, c, c);
        }
    }

    /// <summary>Shape checks shared by the center loss and its update; returns the class count.</summary>
    private static int CheckCenterShapes(ReadOnlySpan<float> features, ReadOnlySpan<int> labels, ReadOnlySpan<float> centers, int dim)
    {
        Guard.Positive(dim);
        if (features.Length % dim != 0)
            throw new ArgumentException($"features has length {features.Length}, which is not a multiple of dim = {dim}", nameof(features));
        if (centers.Length % dim != 0 || centers.Length == 0)
            throw new ArgumentException($"centers has length {centers.Length}, which is not a positive multiple of dim = {dim}", nameof(centers));
        Guard.Length(labels, features.Length / dim);
        return centers.Length / dim;
    }
}
