// This file is compiled twice: into the Runtime (net10.0) and, linked, into the source generator
// (netstandard2.0), like Chebyshev.cs. It is the one definition of the margin heads' derived constants and of
// their parameter limits, so that the generator's literals and diagnostics and the Runtime's arithmetic and
// validation cannot drift. Keep it to APIs that exist on netstandard2.0.
using System;

namespace EdgeLoss
{
    /// <summary>
    /// The constants ArcFace's target logit needs for a margin m (radians):
    /// <c>cos(theta + m) = c cos m - sqrt(1 - c^2) sin m</c> where <c>c &gt; cos(pi - m)</c>, else the fallback
    /// <c>c - m sin m</c> (insightface's choice, which keeps the target logit decreasing in theta past pi - m).
    /// </summary>
    internal readonly struct ArcFaceConstants
    {
        /// <summary>Computes the constants of margin <paramref name="margin"/> in double precision.</summary>
        public ArcFaceConstants(float margin)
        {
            double m = margin;
            CosM = Math.Cos(m);
            SinM = Math.Sin(m);
            MSinM = m * Math.Sin(m);
            Threshold = (float)Math.Cos(Math.PI - m);
        }

        /// <summary>cos m.</summary>
        public double CosM { get; }

        /// <summary>sin m.</summary>
        public double SinM { get; }

        /// <summary>m sin m, the fallback's shift.</summary>
        public double MSinM { get; }

        /// <summary>
        /// cos(pi - m) rounded to float: the arc form applies where the (float) cosine is strictly above it. Float,
        /// because the float32 code compares against it; the double-precision path compares against the same value.
        /// </summary>
        public float Threshold { get; }
    }

    /// <summary>Parameter limits and shared numeric constants of the margin heads (semantics.md section 3).</summary>
    internal static class MarginConstants
    {
        /// <summary>
        /// Inside derivatives the argument of acos / sqrt(1 - c^2) is clamped to [-1 + this, 1 - this], so that the
        /// gradients stay finite at c = +-1 exactly.
        /// </summary>
        public const double DerivativeClamp = 1e-7;

        /// <summary>The smallest and largest integer multiplier m of L-Softmax and SphereFace.</summary>
        public const int MinM = Chebyshev.MinM, MaxM = Chebyshev.MaxM;

        /// <summary>m in [1, 8].</summary>
        public static bool IsValidM(int m) => m >= MinM && m <= MaxM;

        /// <summary>s finite and &gt; 0 (NormFace, CosFace, ArcFace, Combined).</summary>
        public static bool IsValidScale(float s) => s > 0f && !float.IsInfinity(s);

        /// <summary>
        /// ArcFace's additive angle in [0, pi/2). Compared in double: the float nearest pi/2 (1.5707964f) lies above
        /// pi/2 and is rejected, 1.5707963f is accepted.
        /// </summary>
        public static bool IsValidArcFaceMargin(float m) => m >= 0f && (double)m < Math.PI / 2;

        /// <summary>CosFace's additive cosine margin in [0, 1].</summary>
        public static bool IsValidCosFaceMargin(float m) => m >= 0f && m <= 1f;

        /// <summary>L-Softmax / SphereFace blend lambda: finite and &gt;= 0 (0 = pure psi).</summary>
        public static bool IsValidLambda(float lambda) => lambda >= 0f && !float.IsInfinity(lambda);

        /// <summary>Combined margin: m1 finite and &gt; 0 (the angle multiplier), m2 and m3 finite.</summary>
        public static bool IsValidCombined(float m1, float m2, float m3) =>
            m1 > 0f && !float.IsInfinity(m1) && IsFinite(m2) && IsFinite(m3);

        /// <summary>
        /// An upper bound of |psi_m(c)| over c in [-1, 1]: psi decreases from psi(1) = 1 to psi(-1) = 1 - 2m.
        /// </summary>
        public static int PsiBound(int m) => 2 * m - 1;

        private static bool IsFinite(float v) => !float.IsNaN(v) && !float.IsInfinity(v);
    }
}
