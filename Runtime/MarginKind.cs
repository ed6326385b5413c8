namespace EdgeLoss;

/// <summary>
/// The large-margin softmax variants of face recognition (semantics.md section 3). The numeric values are the
/// C ABI's <c>EL_HEAD_*</c> constants.
/// </summary>
public enum MarginKind
{
    /// <summary>Plain softmax over inner products x . w_j.</summary>
    Softmax = 0,
    /// <summary>L-Softmax (Liu et al. 2016): target logit ||x|| ||w_y|| psi_m(cos theta_y), blended with lambda.</summary>
    LSoftmax = 1,
    /// <summary>SphereFace / A-Softmax (Liu et al. 2017): as L-Softmax with W rows normalized.</summary>
    SphereFace = 2,
    /// <summary>NormFace (Wang et al. 2017): s cos theta_j.</summary>
    NormFace = 3,
    /// <summary>CosFace / AM-Softmax / LMCL: target s (cos theta_y - m).</summary>
    CosFace = 4,
    /// <summary>ArcFace (Deng et al. 2019): target s cos(theta_y + m).</summary>
    ArcFace = 5,
    /// <summary>Combined margin (insightface): target s (cos(m1 theta_y + m2) - m3).</summary>
    Combined = 6,
}
