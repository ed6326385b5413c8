namespace EdgeLoss;

/// <summary>
/// The options of <see cref="Losses.CrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float}, CrossEntropyOptions?)"/>
/// and <see cref="Losses.Nll"/>, with PyTorch's names and defaults (<c>weight=None, ignore_index=-100,
/// label_smoothing=0.0, reduction='mean'</c>). Immutable; derive variants with <c>with</c>:
/// <code>var options = CrossEntropyOptions.Default with { LabelSmoothing = 0.1f, Reduction = Reduction.Sum };</code>
/// </summary>
public sealed record CrossEntropyOptions
{
    private readonly float _labelSmoothing;
    private readonly Reduction _reduction = Reduction.Mean;

    /// <summary>PyTorch's defaults: no class weights, ignore index -100, no label smoothing, mean reduction.</summary>
    public static CrossEntropyOptions Default { get; } = new();

    /// <summary>
    /// A rescaling weight per class (length C, finite, &gt;= 0), or empty (the default) for weight 1 everywhere.
    /// Row n's loss is scaled by <c>w[y_n]</c> and the mean divides by the sum of <c>w[y_n]</c> over the rows that
    /// are not ignored. Checked at each call, since the memory it wraps can change.
    /// </summary>
    public ReadOnlyMemory<float> Weight { get; init; }

    /// <summary>
    /// A class-index target equal to this value marks a row that contributes neither loss nor gradient and is left
    /// out of the mean's denominator (PyTorch's default -100). It may lie inside [0, C). It does not apply to
    /// probability targets.
    /// </summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>
    /// Label smoothing eps in [0, 1]: the target distribution becomes <c>(1 - eps) onehot(y) + eps / C</c>. For
    /// class-index targets the loss is <c>(1 - eps) NLL + (eps / C) R</c> with <c>R_n = -sum_c w[c] log p_nc</c>.
    /// Must be 0 for <see cref="Losses.Nll"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or outside [0, 1].</exception>
    public float LabelSmoothing
    {
        get => _labelSmoothing;
        init
        {
            if (!(value >= 0f && value <= 1f))
                throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), value, $"LabelSmoothing = {Guard.Format(value)} is outside [0, 1]");
            _labelSmoothing = value;
        }
    }

    /// <summary>How the per-row losses are reduced (default <see cref="Reduction.Mean"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="EdgeLoss.Reduction"/>.</exception>
    public Reduction Reduction
    {
        get => _reduction;
        init
        {
            if ((uint)value > (uint)Reduction.Sum)
                throw new ArgumentOutOfRangeException(nameof(Reduction), value, $"Reduction = {(int)value} is not None (0), Mean (1) or Sum (2)");
            _reduction = value;
        }
    }
}
