namespace EdgeLoss;

/// <summary>
/// Asks the EdgeLoss source generator (shipped in the EdgeLoss.Runtime package as an analyzer) to emit a large-margin
/// classification head of kind <paramref name="kind"/> specialized for <paramref name="classes"/> classes and embeddings
/// of <paramref name="dim"/> elements into the marked <c>static partial class</c>: <c>Classes</c>, <c>Dim</c>,
/// <c>Cosines</c>, <c>Logits</c>, <c>Predict</c> and <c>Loss</c> (forward and backward for one sample; LSoftmax and
/// SphereFace also with a trailing <c>float lambda</c>).
/// </summary>
/// <remarks>
/// Sizes, m, s and the margins are compile-time constants of the emitted code (cos m, sin m, the Chebyshev
/// coefficients of T_m and its thresholds appear as literals). The formulas are those of semantics.md section 3 and
/// agree with <c>EdgeLoss.MarginHeads</c> within 1e-5 relative. A property that does not apply to the chosen kind is
/// reported as a warning (EL0010); values out of range are compile-time errors.
/// </remarks>
/// <example>
/// <code>
/// [MarginHead(MarginKind.ArcFace, classes: 100, dim: 128, Scale = 64f, Margin = 0.5f)]
/// public static partial class FaceHead { }
///
/// float loss = FaceHead.Loss(x, w, target, gradX, gradW);   // gradW accumulates over a batch
/// </code>
/// </example>
/// <param name="kind">The margin variant.</param>
/// <param name="classes">The number of classes C (at least 2).</param>
/// <param name="dim">The embedding dimension D (at least 1); the weights are C x D, row-major.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class MarginHeadAttribute(MarginKind kind, int classes, int dim) : Attribute
{
    private float? _margin;

    /// <summary>The margin variant.</summary>
    public MarginKind Kind { get; } = kind;

    /// <summary>The number of classes C.</summary>
    public int Classes { get; } = classes;

    /// <summary>The embedding dimension D.</summary>
    public int Dim { get; } = dim;

    /// <summary>The integer angular margin m of LSoftmax and SphereFace, in 1..8 (default 4).</summary>
    public int M { get; set; } = 4;

    /// <summary>The scale s of NormFace, CosFace, ArcFace and Combined: finite and &gt; 0 (default 64).</summary>
    public float Scale { get; set; } = 64f;

    /// <summary>
    /// The additive margin m: of ArcFace (angular, radians in [0, pi/2), default 0.5) and CosFace (cosine, in [0, 1],
    /// default 0.35). Reading it without having set it gives the kind's default (0 for the other kinds).
    /// </summary>
    public float Margin
    {
        get => _margin ?? Kind switch { MarginKind.ArcFace => 0.5f, MarginKind.CosFace => 0.35f, _ => 0f };
        set => _margin = value;
    }

    /// <summary>Combined margin: the angle multiplier m1 of cos(m1 theta + m2) - m3 (default 1).</summary>
    public float M1 { get; set; } = 1f;

    /// <summary>Combined margin: the additive angular margin m2 of cos(m1 theta + m2) - m3 (default 0).</summary>
    public float M2 { get; set; }

    /// <summary>Combined margin: the additive cosine margin m3 of cos(m1 theta + m2) - m3 (default 0).</summary>
    public float M3 { get; set; }

    /// <summary>ArcFace: apply the margin only where cos theta_y &gt; 0 (insightface's easy_margin; default false).</summary>
    public bool EasyMargin { get; set; }
}
