using System.Globalization;

namespace EdgeLoss;

/// <summary>
/// Which margin head to compute and its parameters; mirrors the C struct <c>el_head</c> field for field
/// (semantics.md section 3). A parameter that does not apply to <see cref="Kind"/> is ignored (as in C, where every
/// field is always present). Use the factories (<see cref="ArcFace"/>, <see cref="SphereFace"/>, ...) or an object
/// initializer, then <see cref="Validate"/> (every <see cref="MarginHeads"/> method validates again anyway).
/// </summary>
public sealed record MarginHeadOptions
{
    /// <summary>The head (the C ABI's <c>EL_HEAD_*</c> value).</summary>
    public MarginKind Kind { get; init; }

    /// <summary>L-Softmax, SphereFace: the integer angle multiplier m in 1..8 of psi_m (default 4).</summary>
    public int M { get; init; } = 4;

    /// <summary>NormFace, CosFace, ArcFace, Combined: the scale s of the cosine logits, finite and &gt; 0 (default 64).</summary>
    public float Scale { get; init; } = 64f;

    /// <summary>CosFace: the additive cosine margin in [0, 1]. ArcFace: the additive angle in radians, in [0, pi/2).</summary>
    public float Margin { get; init; }

    /// <summary>Combined: the angle multiplier m1 of <c>s (cos(m1 theta + m2) - m3)</c>, finite and &gt; 0 (default 1).</summary>
    public float M1 { get; init; } = 1f;

    /// <summary>Combined: the additive angle m2 (radians), finite.</summary>
    public float M2 { get; init; }

    /// <summary>Combined: the additive cosine margin m3, finite.</summary>
    public float M3 { get; init; }

    /// <summary>
    /// L-Softmax, SphereFace: the blend lambda &gt;= 0 of the target logit <c>(psi + lambda cos) / (1 + lambda)</c>;
    /// 0 is pure psi. Training anneals it, see <see cref="LambdaSchedule"/>.
    /// </summary>
    public float Lambda { get; init; }

    /// <summary>ArcFace: the "easy margin" variant, the arc form only where cos theta_y &gt; 0, else the plain cosine.</summary>
    public bool EasyMargin { get; init; }

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the property and its value when a parameter of
    /// <see cref="Kind"/> is out of range: an unknown kind, m outside 1..8, lambda negative or not finite, s not finite
    /// or &lt;= 0, a CosFace margin outside [0, 1], an ArcFace margin outside [0, pi/2), m1 &lt;= 0 or a non-finite m1..m3.
    /// </summary>
    public void Validate()
    {
        switch (Kind)
        {
            case MarginKind.Softmax:
                break;
            case MarginKind.LSoftmax:
            case MarginKind.SphereFace:
                if (!MarginConstants.IsValidM(M))
                    throw Bad(nameof(M), M, $"M = {M} is outside [1, 8]");
                if (!MarginConstants.IsValidLambda(Lambda))
                    throw Bad(nameof(Lambda), Lambda, $"Lambda = {F(Lambda)} must be finite and >= 0");
                break;
            case MarginKind.NormFace:
            case MarginKind.CosFace:
            case MarginKind.ArcFace:
            case MarginKind.Combined:
                if (!MarginConstants.IsValidScale(Scale))
                    throw Bad(nameof(Scale), Scale, $"Scale = {F(Scale)} must be finite and > 0");
                if (Kind == MarginKind.CosFace && !MarginConstants.IsValidCosFaceMargin(Margin))
                    throw Bad(nameof(Margin), Margin, $"Margin = {F(Margin)} is outside [0, 1] (CosFace's additive cosine margin)");
                if (Kind == MarginKind.ArcFace && !MarginConstants.IsValidArcFaceMargin(Margin))
                    throw Bad(nameof(Margin), Margin, $"Margin = {F(Margin)} is outside [0, pi/2) (ArcFace's additive angle in radians)");
                if (Kind == MarginKind.Combined && !MarginConstants.IsValidCombined(M1, M2, M3))
                    throw !(M1 > 0f) || !float.IsFinite(M1)
                        ? Bad(nameof(M1), M1, $"M1 = {F(M1)} must be finite and > 0")
                        : !float.IsFinite(M2) ? Bad(nameof(M2), M2, $"M2 = {F(M2)} must be finite")
                        : Bad(nameof(M3), M3, $"M3 = {F(M3)} must be finite");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Kind), Kind, $"Kind = {(int)Kind} is not a MarginKind (0..6)");
        }

        ArgumentOutOfRangeException Bad(string name, object value, string what) =>
            new(name, value, $"{what} for {Kind}");
    }

    /// <summary>Plain softmax over x . w_j (no margin).</summary>
    public static MarginHeadOptions Softmax() => new() { Kind = MarginKind.Softmax };

    /// <summary>L-Softmax with multiplier <paramref name="m"/> and blend <paramref name="lambda"/>.</summary>
    public static MarginHeadOptions LSoftmax(int m = 4, float lambda = 0f) => new() { Kind = MarginKind.LSoftmax, M = m, Lambda = lambda };

    /// <summary>SphereFace / A-Softmax with multiplier <paramref name="m"/> (the paper uses 4) and blend <paramref name="lambda"/>.</summary>
    public static MarginHeadOptions SphereFace(int m = 4, float lambda = 0f) => new() { Kind = MarginKind.SphereFace, M = m, Lambda = lambda };

    /// <summary>NormFace: s cos theta_j for every class.</summary>
    public static MarginHeadOptions NormFace(float scale) => new() { Kind = MarginKind.NormFace, Scale = scale };

    /// <summary>
    /// CosFace / LMCL (s = 64, m = 0.35 in the paper) and AM-Softmax (happynear: s = 30, m = 0.35): target
    /// s (cos theta_y - m).
    /// </summary>
    public static MarginHeadOptions CosFace(float scale = 64f, float margin = 0.35f) => new() { Kind = MarginKind.CosFace, Scale = scale, Margin = margin };

    /// <summary>ArcFace (insightface: s = 64, m = 0.5): target s cos(theta_y + m), with the fallback or the easy margin.</summary>
    public static MarginHeadOptions ArcFace(float scale = 64f, float margin = 0.5f, bool easyMargin = false) =>
        new() { Kind = MarginKind.ArcFace, Scale = scale, Margin = margin, EasyMargin = easyMargin };

    /// <summary>insightface's combined margin: target s (cos(m1 theta_y + m2) - m3).</summary>
    public static MarginHeadOptions Combined(float scale, float m1, float m2, float m3) =>
        new() { Kind = MarginKind.Combined, Scale = scale, M1 = m1, M2 = m2, M3 = m3 };

    private static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
}
