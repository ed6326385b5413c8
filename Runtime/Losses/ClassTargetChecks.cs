using System.Numerics.Tensors;

namespace EdgeLoss;

/// <summary>
/// The boundary checks shared by the losses over C classes (cross-entropy, NLL, distillation): the shape of a
/// row-major <c>rows x C</c> input, the class weights, the class-index targets and the mean's denominator.
/// </summary>
internal static class ClassTargetChecks
{
    /// <summary>
    /// C for an input of <paramref name="length"/> elements and <paramref name="rows"/> class-index targets.
    /// An empty batch (no targets, empty input) is allowed, as in PyTorch, and gives C = 0.
    /// </summary>
    public static int Classes(int length, int rows, string inputName, string targetsName)
    {
        if (rows == 0)
        {
            if (length != 0)
                throw new ArgumentException($"{targetsName} is empty but {inputName} has length {length}", targetsName);
            return 0;
        }
        if (length == 0 || length % rows != 0)
            throw new ArgumentException(
                $"{inputName} has length {length}, which is not a positive multiple of {targetsName}.Length = {rows} (rows x classes, row-major)",
                inputName);
        return length / rows;
    }

    /// <summary>Rows of a row-major input with a given number of classes.</summary>
    public static int Rows(int length, int classes, string inputName)
    {
        Guard.Positive(classes);
        if (length % classes != 0)
            throw new ArgumentException($"{inputName} has length {length}, which is not a multiple of classes = {classes}", inputName);
        return length / classes;
    }

    /// <summary>The length of the loss output: one per row for <see cref="Reduction.None"/>, else 1.</summary>
    public static int LossLength(Reduction reduction, int rows) => reduction == Reduction.None ? rows : 1;

    /// <summary>
    /// Checks the class weights (options.Weight: empty, or C finite values &gt;= 0) and returns their
    /// sum (C when empty), which the label-smoothing term needs.
    /// </summary>
    public static double Weight(ReadOnlySpan<float> weight, int classes)
    {
        if (weight.IsEmpty)
            return classes;
        if (classes == 0)
            return TensorPrimitives.Sum(weight);                     // empty batch: nothing to compare C with
        if (weight.Length != classes)
            throw new ArgumentException($"options.Weight has length {weight.Length}, expected {classes} (one weight per class)", "options");
        // Min catches NaN and negatives, Max catches +inf; the element-wise scan runs only to name the culprit.
        if (!(TensorPrimitives.Min(weight) >= 0f) || float.IsPositiveInfinity(TensorPrimitives.Max(weight)))
            ThrowBadWeight(weight);
        double sum = 0;
        foreach (float w in weight) sum += w;
        return sum;
    }

    private static void ThrowBadWeight(ReadOnlySpan<float> weight)
    {
        for (int c = 0; c < weight.Length; c++)
        {
            float w = weight[c];
            if (!float.IsFinite(w))
                throw new NonFiniteInputException($"options.Weight[{c}] = {Guard.Format(w)} is not finite", "options");
            if (w < 0f)
                throw new ArgumentOutOfRangeException("options", w, $"options.Weight[{c}] = {Guard.Format(w)} is negative (class weights must be >= 0)");
        }
    }

    /// <summary>
    /// Checks every target is in [0, C) or equals <paramref name="ignoreIndex"/> and returns the mean's denominator:
    /// the sum of <c>w[y_n]</c> (1 without weights) over the rows that are not ignored.
    /// </summary>
    public static double Denominator(ReadOnlySpan<int> targets, int classes, int ignoreIndex, ReadOnlySpan<float> weight)
    {
        Guard.Indices(targets, classes, ignoreIndex);
        double sum = 0;
        foreach (int t in targets)
            if (t != ignoreIndex)
                sum += weight.IsEmpty ? 1f : weight[t];
        return sum;
    }

    /// <summary>Throws <see cref="NonFiniteInputException"/> naming the first NaN or +inf element (-inf is allowed).</summary>
    public static void ThrowNaNOrPositiveInfinity(ReadOnlySpan<float> span, string name)
    {
        for (int i = 0; i < span.Length; i++)
            if (float.IsNaN(span[i]) || float.IsPositiveInfinity(span[i]))
                Guard.ThrowNonFinite(name, i, span[i]);
    }
}
