namespace EdgeLoss;

/// <summary>
/// The large-margin heads of face recognition over a batch (semantics.md section 3): Softmax, L-Softmax, SphereFace,
/// NormFace, CosFace / AM-Softmax, ArcFace and the combined margin. Embeddings <c>x</c> are rows x dim, class weights
/// <c>w</c> are classes x dim, both row-major float32; the class count is <c>w.Length / dim</c>.
/// </summary>
/// <remarks>
/// <para>Every method validates at the boundary and throws before writing any output: wrong lengths
/// (<see cref="ArgumentException"/>), targets outside [0, classes) or head parameters out of range
/// (<see cref="ArgumentOutOfRangeException"/>), NaN / infinite elements, zero-norm rows of x or w (their cosines are
/// undefined; this holds for every kind) and rows whose logits would overflow float
/// (<see cref="NonFiniteInputException"/>).</para>
/// <para>No heap allocation per call. Rows are processed in blocks of up to 8, so that each class weight row is loaded
/// once per block; the scratch, <c>(1 + 3 * min(rows, 8)) * classes</c> floats for <see cref="Forward"/>, lives on
/// the stack up to 32 KiB (one row: up to 2048 classes; 8 rows or more: up to 327) and is otherwise rented from
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/> (allocation-free once the calling thread has rented it). Dot
/// products and the gradient updates are vectorized. Reentrant: no shared mutable state.</para>
/// </remarks>
public static class MarginHeads
{
    /// <summary>
    /// <c>cosines[i * classes + j] = clamp(x_i . w_j / (||x_i|| ||w_j||), -1, 1)</c>.
    /// </summary>
    /// <param name="x">embeddings, rows x <paramref name="dim"/></param>
    /// <param name="w">class weights, classes x <paramref name="dim"/></param>
    /// <param name="dim">the embedding dimension, &gt;= 1</param>
    /// <param name="cosines">output, rows x classes</param>
    public static void Cosines(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int dim, Span<float> cosines)
    {
        int classes = Count(w, dim), rows = Count(x, dim);
        Guard.Length(cosines, rows * classes);
        Guard.AllFinite(x);
        Guard.AllFinite(w);
        MarginCore<float>.Cosines(x, w, dim, cosines);
    }

    /// <summary>
    /// Forward and, when a gradient span is non-empty, backward of <paramref name="head"/> over a batch: the margin
    /// logits of every row, the mean cross-entropy over rows, and its true gradients with respect to the raw
    /// <paramref name="x"/> and <paramref name="w"/> (through the normalizations ||x|| and ||w_j||).
    /// </summary>
    /// <param name="head">the head and its parameters (validated here)</param>
    /// <param name="x">embeddings, rows x <paramref name="dim"/>, rows = <paramref name="targets"/>.Length</param>
    /// <param name="w">class weights, classes x <paramref name="dim"/></param>
    /// <param name="targets">the class of each row, in [0, classes)</param>
    /// <param name="dim">the embedding dimension, &gt;= 1</param>
    /// <param name="logits">rows x classes margin logits, or empty when not wanted</param>
    /// <param name="gradX">rows x dim gradient of the mean loss w.r.t. x (overwritten), or empty</param>
    /// <param name="gradW">classes x dim gradient of the mean loss w.r.t. w (OVERWRITTEN, not accumulated), or empty</param>
    /// <returns>the mean cross-entropy of the margin logits over rows</returns>
    public static float Forward(MarginHeadOptions head, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<int> targets,
                                int dim, Span<float> logits, Span<float> gradX, Span<float> gradW)
    {
        var plan = new HeadPlan(head);
        int classes = Count(w, dim);
        if (targets.IsEmpty)
            throw new ArgumentException("targets is empty: at least one row is needed", nameof(targets));
        if ((long)targets.Length * dim != x.Length)
            throw new ArgumentException($"x has length {x.Length}, expected targets.Length * dim = {(long)targets.Length * dim}", nameof(x));
        int rows = targets.Length;
        Guard.OptionalLength(logits, rows * classes);
        Guard.OptionalLength(gradX, rows * dim);
        Guard.OptionalLength(gradW, classes * dim);
        Guard.AllFinite(x);
        Guard.AllFinite(w);
        Guard.Indices(targets, classes);
        return MarginCore<float>.Forward(plan, x, w, targets, dim, logits, gradX, gradW);
    }

    /// <summary>
    /// Inference: the class probabilities of each row without any margin, i.e. the softmax over the plain (non-target)
    /// form of <paramref name="head"/> for every class: x . w_j for Softmax and L-Softmax, ||x|| cos theta_j for
    /// SphereFace, s cos theta_j for NormFace, CosFace, ArcFace and Combined.
    /// </summary>
    /// <param name="head">the head and its parameters (validated here)</param>
    /// <param name="x">embeddings, rows x <paramref name="dim"/></param>
    /// <param name="w">class weights, classes x <paramref name="dim"/></param>
    /// <param name="dim">the embedding dimension, &gt;= 1</param>
    /// <param name="probabilities">output, rows x classes</param>
    public static void Predict(MarginHeadOptions head, ReadOnlySpan<float> x, ReadOnlySpan<float> w, int dim, Span<float> probabilities)
    {
        var plan = new HeadPlan(head);
        int classes = Count(w, dim), rows = Count(x, dim);
        Guard.Length(probabilities, rows * classes);
        Guard.AllFinite(x);
        Guard.AllFinite(w);
        MarginCore<float>.Predict(plan, x, w, dim, probabilities);
    }

    /// <summary>
    /// The angular margin function of L-Softmax and SphereFace, <c>psi_m(c) = (-1)^k T_m(c) - 2k</c> with
    /// <c>k = floor(m theta / pi)</c> taken as the number of thresholds cos(j pi / m) that c is below: equal to
    /// cos(m theta) on [0, pi/m], continuous and decreasing from 1 at c = 1 to 1 - 2m at c = -1. Computed without acos.
    /// </summary>
    /// <param name="m">the multiplier, 1..8</param>
    /// <param name="cosine">cos theta; clamped to [-1, 1]</param>
    public static float Psi(int m, float cosine)
    {
        CheckPsi(m, cosine);
        return (float)PsiTable.Evaluate(m, Math.Clamp(cosine, -1f, 1f), out _);
    }

    /// <summary>d psi_m / dc = (-1)^k T_m'(c): a polynomial, finite everywhere, 0 at the interior thresholds.</summary>
    /// <param name="m">the multiplier, 1..8</param>
    /// <param name="cosine">cos theta; clamped to [-1, 1]</param>
    public static float PsiDerivative(int m, float cosine)
    {
        CheckPsi(m, cosine);
        PsiTable.Evaluate(m, Math.Clamp(cosine, -1f, 1f), out double derivative);
        return (float)derivative;
    }

    private static void CheckPsi(int m, float cosine)
    {
        if (!MarginConstants.IsValidM(m))
            throw new ArgumentOutOfRangeException(nameof(m), m, $"m = {m} is outside [1, 8]");
        Guard.Finite(cosine);
    }

    /// <summary>The number of rows of a rows x dim matrix, checking that dim &gt;= 1 and the length is a positive multiple.</summary>
    private static int Count(ReadOnlySpan<float> matrix, int dim, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(matrix))] string? name = null)
    {
        Guard.Positive(dim);
        if (matrix.IsEmpty || matrix.Length % dim != 0)
            throw new ArgumentException($"{name} has length {matrix.Length}, not a positive multiple of dim = {dim}", name);
        return matrix.Length / dim;
    }
}
