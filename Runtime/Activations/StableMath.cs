using System.Numerics;
using System.Runtime.CompilerServices;

namespace EdgeLoss;

/// <summary>
/// Vector building blocks that stay accurate where the textbook formulas lose digits or overflow. Everything is
/// written in terms of <c>e = exp(-|z|)</c>, which lies in [0, 1] for every finite z, so nothing here overflows
/// for |z| up to float.MaxValue and each limit comes out exactly (e underflows to 0).
/// </summary>
/// <remarks>
/// Why not TensorPrimitives.Sigmoid / Tanh: measured on .NET 10, TensorPrimitives.Tanh(0) returns -5.96e-8 and
/// has a relative error of 2.7e-5 at x = 1e-3, and TensorPrimitives.Sigmoid(-100) flushes the (representable)
/// 3.7e-44 to 0. The exponentials here are StableMath's own (<see cref="ExpNonPositive"/>,
/// <see cref="Expm1NonPositive"/>: one range reduction and a polynomial, faster than <see cref="Vector.Exp(Vector{float})"/>
/// and as accurate); <see cref="Vector.Log(Vector{float})"/>, good to about 2.5e-7 relative, remains in
/// <see cref="Log1p"/> for general arguments.
/// </remarks>
internal static class StableMath
{
    /// <summary>
    /// log(1 + u) for u > -1, accurate for tiny |u| where 1 + u rounds (Goldberg's trick): with w = fl(1 + u),
    /// log1p(u) = log(w) * u / (w - 1), which corrects for the rounding of w; where w == 1 the answer is u.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Log1p(Vector<float> u)
    {
        var w = Vector<float>.One + u;
        var wm1 = w - Vector<float>.One;
        var r = Vector.Log(w) * (u / wm1);
        return Vector.ConditionalSelect(Vector.Equals(wm1, Vector<float>.Zero), u, r);
    }

    /// <summary>
    /// Below this, <see cref="Expm1NonPositive"/> returns exactly -1 (as float's expm1 does from z = -17.3 on): its
    /// argument is clamped here, which keeps 2^k a normal float and the NaN test out of the hot path.
    /// </summary>
    public const float Expm1Floor = -30f;

    /// <summary>
    /// exp(z) - 1 for z &lt;= 0 with full relative accuracy and without <see cref="Vector.Exp(Vector{float})"/>: with
    /// z = k ln 2 + r, k = round(z / ln 2), |r| &lt;= ln 2 / 2, expm1(z) = 2^k expm1(r) + (2^k - 1), where
    /// expm1(r) = r + r^2 Q(r) and Q is a degree-5 polynomial. Exactly 0 at 0 and -1 below -17.3; NaN stays NaN.
    /// </summary>
    /// <remarks>
    /// <para>Q(r) = (e^r - 1 - r) / r^2 is the Chebyshev interpolant on [-ln 2 / 2, ln 2 / 2] printed by
    /// tools/numerics/activation_polynomials.py (relative error 1.7e-9 of the whole expm1(r) with these float
    /// coefficients). ln 2 is split Cody-Waite style into a 16-bit head (k ln2Hi is exact for |k| &lt; 256, so
    /// z - k ln2Hi is exact) and a tail. 2^k is built in the exponent bits; 2^k - 1 is exact for k >= -24 and
    /// 2^k expm1(r) is exact, so the only rounding after the polynomial is the final addition, and the term it
    /// rounds is at most 0.7 of the result (k = -1, r = ln 2 / 2).</para>
    /// <para>This replaced Kahan's (exp(z) - 1) z / log(exp(z)), which cost two transcendentals and a division,
    /// was not monotone, and was 1.9x slower in tanh.</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Expm1NonPositive(Vector<float> z)
    {
        // The clamp keeps NaN (the comparison is false for it), and NaN then runs through the arithmetic.
        z = Vector.ConditionalSelect(Vector.LessThan(z, new Vector<float>(Expm1Floor)), new Vector<float>(Expm1Floor), z);
        var p = Expm1Reduced(z, out var k);
        // 2^k for k in [-44, 0]. (A NaN k gives garbage here, but p is NaN already.)
        var scale = PowerOfTwo(Vector.ConvertToInt32(k));
        return Vector.MultiplyAddEstimate(scale, p, scale - Vector<float>.One);
    }

    /// <summary>Below this, <see cref="ExpNonPositive"/> is 0 (exp(-104) is below half the smallest subnormal).</summary>
    public const float ExpFloor = -104f;

    /// <summary>
    /// exp(z) for z &lt;= 0, subnormal results included (sigmoid(-100) = 3.7e-44), by the reduction of
    /// <see cref="Expm1NonPositive"/>: exp(z) = 2^k (1 + expm1(r)). 2^k, down to 2^-150, is applied as two normal
    /// powers of two, so a subnormal result is rounded once. exp(0) = 1 exactly; NaN stays NaN.
    /// </summary>
    /// <remarks>
    /// Replaces <see cref="Vector.Exp(Vector{float})"/> (which computes in double lanes) in the activations: about
    /// twice as fast here, and as accurate (the sweep of ActivationSweepTests measures both through sigmoid).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> ExpNonPositive(Vector<float> z)
    {
        z = Vector.ConditionalSelect(Vector.LessThan(z, new Vector<float>(ExpFloor)), new Vector<float>(ExpFloor), z);
        var p = Expm1Reduced(z, out var k);
        var ki = Vector.ConvertToInt32(k);         // [-150, 0]
        var k1 = Vector.ShiftRightArithmetic(ki, 1); // [-75, 0], and so is ki - k1
        var s1 = PowerOfTwo(k1);
        return Vector.MultiplyAddEstimate(p, s1, s1) * PowerOfTwo(ki - k1);
    }

    /// <summary>expm1(r) = r + r^2 Q(r) for the reduced r = z - k ln 2, k = round(z / ln 2); see <see cref="Expm1NonPositive"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Expm1Reduced(Vector<float> z, out Vector<float> k)
    {
        k = Vector.Round(z * new Vector<float>(1.44269504f)); // z / ln 2
        var r = Vector.MultiplyAddEstimate(k, new Vector<float>(-0.693145751953125f), z); // ln2Hi = 0x3F317200
        r = Vector.MultiplyAddEstimate(k, new Vector<float>(-1.42860677e-6f), r);          // ln2Lo = ln 2 - ln2Hi
        var q = Vector.MultiplyAddEstimate(r, new Vector<float>(0.00019890981f), new Vector<float>(0.0013933642f));
        q = Vector.MultiplyAddEstimate(r, q, new Vector<float>(0.0083333105f));
        q = Vector.MultiplyAddEstimate(r, q, new Vector<float>(0.041666467f));
        q = Vector.MultiplyAddEstimate(r, q, new Vector<float>(0.16666667f));
        q = Vector.MultiplyAddEstimate(r, q, new Vector<float>(0.5f));
        return Vector.MultiplyAddEstimate(r, r * q, r);
    }

    /// <summary>2^k for k in [-126, 127]: the biased exponent k + 127 shifted into place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> PowerOfTwo(Vector<int> k) =>
        Vector.ShiftLeft(k + new Vector<int>(127), 23).As<int, float>();

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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Sigmoid(Vector<float> z, out Vector<float> sigmoidOfMinusZ, out Vector<float> e)
    {
        e = ExpNonPositive(-Vector.Abs(z));
        var r = Vector<float>.One / (Vector<float>.One + e);
        var er = e * r;
        var nonNegative = Vector.GreaterThanOrEqual(z, Vector<float>.Zero);
        sigmoidOfMinusZ = Vector.ConditionalSelect(nonNegative, er, r);
        return Vector.ConditionalSelect(nonNegative, r, er);
    }

    /// <summary>softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)), given e = exp(-|z|). NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Softplus(Vector<float> z, Vector<float> e) =>
        PositivePart(z) + Log1pUnit(e);

    /// <summary>max(z, 0), written so that NaN stays NaN (Vector.Max's NaN handling is platform-dependent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> PositivePart(Vector<float> z) =>
        Vector.ConditionalSelect(Vector.LessThan(z, Vector<float>.Zero), Vector<float>.Zero, z);
}
