using System.Numerics;

namespace EdgeLoss;

/// <summary>
/// Vector building blocks that stay accurate where the textbook formulas lose digits or overflow. Everything is
/// written in terms of <c>e = exp(-|z|)</c>, which lies in [0, 1] for every finite z, so nothing here overflows
/// for |z| up to float.MaxValue and each limit comes out exactly (e underflows to 0).
/// </summary>
/// <remarks>
/// Why not TensorPrimitives.Sigmoid / Tanh: measured on .NET 10, TensorPrimitives.Tanh(0) returns -5.96e-8 and
/// has a relative error of 2.7e-5 at x = 1e-3, and TensorPrimitives.Sigmoid(-100) flushes the (representable)
/// 3.7e-44 to 0. <see cref="Vector.Exp(Vector{float})"/> and <see cref="Vector.Log(Vector{float})"/> themselves are
/// good to about 2.5e-7 relative (exp(0) is 1.0000001, one ulp high), which the formulas below tolerate.
/// </remarks>
internal static class StableMath
{
    /// <summary>
    /// log(1 + u) for u > -1, accurate for tiny |u| where 1 + u rounds (Goldberg's trick): with w = fl(1 + u),
    /// log1p(u) = log(w) * u / (w - 1), which corrects for the rounding of w; where w == 1 the answer is u.
    /// </summary>
    public static Vector<float> Log1p(Vector<float> u)
    {
        var w = Vector<float>.One + u;
        var wm1 = w - Vector<float>.One;
        var r = Vector.Log(w) * (u / wm1);
        return Vector.ConditionalSelect(Vector.Equals(wm1, Vector<float>.Zero), u, r);
    }

    /// <summary>
    /// Where <see cref="Expm1NonPositive"/> switches from its polynomial to exp(z) - 1: ln 2 (as a float, 0.6931472).
    /// Below -ln 2, u = exp(z) &lt; 1/2, so u - 1 cancels at most by the factor u / (1 - u) &lt; 1 and keeps exp's accuracy;
    /// at and above it the polynomial is used (with this limit, 1 - u is exact by Sterbenz's lemma, but u / (1 - u)
    /// would amplify exp's error without bound as z approaches 0).
    /// </summary>
    public const float Expm1PolynomialLimit = 0.6931472f;

    /// <summary>
    /// exp(z) - 1 for z &lt;= 0 with full relative accuracy. On [-ln 2, 0]: z + z^2 Q(z), Q a degree-5 polynomial; below:
    /// u - 1 with u = exp(z), which also gives exactly -1 in the tail. NaN stays NaN. Also returns u = exp(z), which
    /// callers reuse.
    /// </summary>
    /// <remarks>
    /// Q(z) = (e^z - 1 - z) / z^2 is the Chebyshev interpolant of degree 5 on [-ln 2, 0] printed by
    /// tools/numerics/activation_polynomials.py (relative error 3e-9 of the whole expm1 with these float
    /// coefficients, in exact arithmetic); the float evaluation adds about one rounding. Replaced Kahan's
    /// (u - 1) z / log(u), which cost a second transcendental and a division and was not monotone.
    /// </remarks>
    public static Vector<float> Expm1NonPositive(Vector<float> z, out Vector<float> u)
    {
        u = Vector.Exp(z);
        var q = Vector.MultiplyAddEstimate(z, new Vector<float>(0.00015356793f), new Vector<float>(0.0013555334f));
        q = Vector.MultiplyAddEstimate(z, q, new Vector<float>(0.008321609f));
        q = Vector.MultiplyAddEstimate(z, q, new Vector<float>(0.041664783f));
        q = Vector.MultiplyAddEstimate(z, q, new Vector<float>(0.16666655f));
        q = Vector.MultiplyAddEstimate(z, q, new Vector<float>(0.5f));
        var p = Vector.MultiplyAddEstimate(z, z * q, z);
        // A NaN z fails the comparison and takes u - 1, which is NaN.
        return Vector.ConditionalSelect(Vector.GreaterThanOrEqual(z, new Vector<float>(-Expm1PolynomialLimit)), p, u - Vector<float>.One);
    }

    /// <summary>
    /// log(1 + e) for e in [0, 1] (the log1p(exp(-|z|)) of softplus), without a logarithm: log1p(e) = 2 atanh(s) with
    /// s = e / (2 + e) in [0, 1/3], and atanh(s) = s + s^3 R(s^2), R a degree-4 polynomial. NaN stays NaN.
    /// </summary>
    /// <remarks>
    /// R(t) = (atanh(s) - s) / s^3, t = s^2 in [0, 1/9], is the Chebyshev interpolant printed by
    /// tools/numerics/activation_polynomials.py (relative error 1e-9 of the whole log1p with these float
    /// coefficients). The rounding of 2 + e and of the division give s, and so the result, an error of about one ulp;
    /// the correction s^3 R is at most 4 % of the result, so its own rounding hardly shows. Cheaper than
    /// <see cref="Log1p"/> (a logarithm and a division), which stays for general arguments.
    /// </remarks>
    public static Vector<float> Log1pUnit(Vector<float> e)
    {
        var s = e / (new Vector<float>(2f) + e);
        var t = s * s;
        var r = Vector.MultiplyAddEstimate(t, new Vector<float>(0.11612165f), new Vector<float>(0.108532876f));
        r = Vector.MultiplyAddEstimate(t, r, new Vector<float>(0.14296179f));
        r = Vector.MultiplyAddEstimate(t, r, new Vector<float>(0.19999853f));
        r = Vector.MultiplyAddEstimate(t, r, new Vector<float>(0.33333334f));
        var twoS = s + s;
        return Vector.MultiplyAddEstimate(twoS, t * r, twoS);
    }

    /// <summary>
    /// sigmoid(z) and sigmoid(-z) = 1 - sigmoid(z), both with full relative accuracy: with e = exp(-|z|) and
    /// r = 1 / (1 + e), the one on the side of z is r and the other e r. Also returns e.
    /// A NaN z gives NaN in both.
    /// </summary>
    public static Vector<float> Sigmoid(Vector<float> z, out Vector<float> sigmoidOfMinusZ, out Vector<float> e)
    {
        e = Vector.Exp(-Vector.Abs(z));
        var r = Vector<float>.One / (Vector<float>.One + e);
        var er = e * r;
        var nonNegative = Vector.GreaterThanOrEqual(z, Vector<float>.Zero);
        sigmoidOfMinusZ = Vector.ConditionalSelect(nonNegative, er, r);
        return Vector.ConditionalSelect(nonNegative, r, er);
    }

    /// <summary>softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)), given e = exp(-|z|). NaN stays NaN.</summary>
    public static Vector<float> Softplus(Vector<float> z, Vector<float> e) =>
        PositivePart(z) + Log1pUnit(e);

    /// <summary>max(z, 0), written so that NaN stays NaN (Vector.Max's NaN handling is platform-dependent).</summary>
    public static Vector<float> PositivePart(Vector<float> z) =>
        Vector.ConditionalSelect(Vector.LessThan(z, Vector<float>.Zero), Vector<float>.Zero, z);
}
