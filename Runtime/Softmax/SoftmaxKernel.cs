using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Numerics.Tensors;

namespace EdgeLoss;

/// <summary>
/// The row kernels under the softmax family and the cross-entropy losses: a row's max, the shifted sum of its
/// exponentials (accumulated in double), and the fused passes the losses need. Every loop has a
/// <see cref="Vector{T}"/> body (AVX2 on x64, AdvSimd on the ARM boards) and a scalar path for rows shorter than a
/// vector; the hottest loop (<see cref="ExpSum"/>) also has an AVX-512 copy.
/// </summary>
/// <remarks>
/// Accuracy plan (the bars of semantics.md section 1):
/// <list type="bullet">
/// <item>The exponent is <c>(x - max) / T</c>: the subtraction first (exact when x and max are within a factor of 2,
/// otherwise one rounding relative to the result, not to x), then one correctly rounded division. Multiplying by
/// a rounded <c>1/T</c> would add a second rounding; folding the shift into an FMA would round relative to x, which
/// for logits near 1000 is an absolute error of 6e-5 in the exponent.</item>
/// <item>Exponentials are float, from <see cref="Exp(Vector{float})"/> (relative error &lt; 1e-7; cheaper than
/// <see cref="Vector.Exp(Vector{float})"/>, which must cover the whole float range, where this one needs only
/// x &lt;= 0: measured about 2x on AVX2). Their sum is double: every vector is widened and added into double lanes,
/// so a 100k-element row sums with ~1e-16 relative error where float lanes could lose up to ~1e-3.</item>
/// </list>
/// Validation costs nothing on the good path: with the max finite, every shifted exponent is &lt;= 0, so the sum is
/// in [1, n]; NaN anywhere makes the sum NaN, +inf makes the max +inf, an all -inf row makes the max -inf. Only
/// then is the row scanned for the culprit.
/// </remarks>
internal static class SoftmaxKernel
{
    /// <summary>The map from a logit to its exponent, applied element-wise.</summary>
    internal interface IExponent
    {
        float Apply(float x);
        Vector<float> Apply(Vector<float> x);
        Vector512<float> Apply(Vector512<float> x);
    }

    /// <summary><c>x - max</c> (temperature 1).</summary>
    internal readonly struct Shift(float max) : IExponent
    {
        private readonly float _max = max;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Apply(float x) => x - _max;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector<float> Apply(Vector<float> x) => x - new Vector<float>(_max);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Apply(Vector512<float> x) => x - Vector512.Create(_max);
    }

    /// <summary><c>(x - max) / T</c>.</summary>
    internal readonly struct ShiftScale(float max, float temperature) : IExponent
    {
        private readonly float _max = max, _t = temperature;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Apply(float x) => (x - _max) / _t;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector<float> Apply(Vector<float> x) => (x - new Vector<float>(_max)) / new Vector<float>(_t);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Apply(Vector512<float> x) => (x - Vector512.Create(_max)) / Vector512.Create(_t);
    }

    private static int Width => Vector<float>.Count;

    private static bool UseVectors(int n) => Vector.IsHardwareAccelerated && n >= Vector<float>.Count;

    // ---------------------------------------------------------------------------------------------------------
    // exp for x <= 0
    // ---------------------------------------------------------------------------------------------------------
    // x = k ln2 + r with k = round(x / ln2) and |r| <= ln2 / 2, exp(x) = 2^k exp(r).
    // k is rounded by adding 1.5 * 2^23: the sum has no fraction bits left, so it is x/ln2 rounded to an integer,
    // and its low mantissa bits are k itself (read back as an int to build 2^k in the exponent field).
    // r = x - k ln2 in two steps (Cody-Waite): ln2Hi has 9 significant bits, so k * ln2Hi is exact for |k| < 2^15.
    // exp(r) = 1 + r + r^2 q(r), q of degree 4 fitted (least squares on Chebyshev nodes, float64) to
    // (exp(r) - 1 - r) / r^2 on [-ln2/2, ln2/2]: truncation error 1e-8, exp(0) = 1 exactly; measured 9e-8 relative
    // error over [-87.3, 0]. Results below float's normal range (x < ln(2^-126) = -87.3365, where 2^k would need a
    // denormal exponent) are flushed to 0: a softmax output that small is 0 at the contract's 1e-30 cut-off, and -inf
    // (a masked class) gives exactly 0. NaN stays NaN (through r), which is how bad rows are detected.
    private const float Log2E = 1.44269504f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f, RoundMagic = 12582912f;
    private const float Q4 = 1.3933644e-3f, Q3 = 8.363175e-3f, Q2 = 4.1666467e-2f, Q1 = 0.16666576f, Q0 = 0.5f;
    private const float ExpFloor = -87.33654f;

    /// <summary>exp(x) for x &lt;= 0 (or -inf, NaN); see the comment above for the method and its accuracy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        Vector<float> magic = new(RoundMagic);
        Vector<float> t = Vector.MultiplyAddEstimate(x, new Vector<float>(Log2E), magic);
        Vector<float> k = t - magic;
        Vector<float> r = Vector.MultiplyAddEstimate(k, new Vector<float>(-Ln2Hi), x);
        r = Vector.MultiplyAddEstimate(k, new Vector<float>(-Ln2Lo), r);
        Vector<float> q = Vector.MultiplyAddEstimate(new Vector<float>(Q4), r, new Vector<float>(Q3));
        q = Vector.MultiplyAddEstimate(q, r, new Vector<float>(Q2));
        q = Vector.MultiplyAddEstimate(q, r, new Vector<float>(Q1));
        q = Vector.MultiplyAddEstimate(q, r, new Vector<float>(Q0));
        Vector<float> p = Vector.MultiplyAddEstimate(r * r, q, r) + Vector<float>.One;
        Vector<int> twoK = Vector.ShiftLeft(t.As<float, int>() - magic.As<float, int>() + new Vector<int>(127), 23);
        return Vector.ConditionalSelect(Vector.LessThan(x, new Vector<float>(ExpFloor)), Vector<float>.Zero, p * twoK.As<int, float>());
    }

    /// <inheritdoc cref="Exp(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        Vector512<float> magic = Vector512.Create(RoundMagic);
        Vector512<float> t = Vector512.MultiplyAddEstimate(x, Vector512.Create(Log2E), magic);
        Vector512<float> k = t - magic;
        Vector512<float> r = Vector512.MultiplyAddEstimate(k, Vector512.Create(-Ln2Hi), x);
        r = Vector512.MultiplyAddEstimate(k, Vector512.Create(-Ln2Lo), r);
        Vector512<float> q = Vector512.MultiplyAddEstimate(Vector512.Create(Q4), r, Vector512.Create(Q3));
        q = Vector512.MultiplyAddEstimate(q, r, Vector512.Create(Q2));
        q = Vector512.MultiplyAddEstimate(q, r, Vector512.Create(Q1));
        q = Vector512.MultiplyAddEstimate(q, r, Vector512.Create(Q0));
        Vector512<float> p = Vector512.MultiplyAddEstimate(r * r, q, r) + Vector512<float>.One;
        Vector512<int> twoK = Vector512.ShiftLeft(t.AsInt32() - magic.AsInt32() + Vector512.Create(127), 23);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpFloor)), Vector512<float>.Zero, p * twoK.AsSingle());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers of the Functional softmax family (here rather than in the partial Functional, whose other parts
    // are written elsewhere: no private names to collide)
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>The first index whose element equals 0 (either sign); the caller knows there is one.</summary>
    public static int FirstZero(ReadOnlySpan<float> x)
    {
        for (int i = 0; ; i++)
            if (x[i] == 0f) return i;
    }

    /// <summary>Throws unless the single row x has at least one element.</summary>
    public static void RequireNonEmpty(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
            throw new ArgumentException("x is empty: it needs at least one element", nameof(x));
    }

    /// <summary>The rows of a row-major batch of <paramref name="length"/> elements and <paramref name="cols"/> columns.</summary>
    public static int BatchRows(int length, int cols)
    {
        Guard.Positive(cols);
        if (length % cols != 0)
            throw new ArgumentException($"cols = {cols} does not divide x.Length = {length} (x is rows x cols, row-major)", nameof(cols));
        return length / cols;
    }

    /// <summary>
    /// The largest element. NaN may or may not propagate (the short-row vector path uses the native max instruction,
    /// which is faster than IEEE maximum); callers detect NaN through the exponential sum instead.
    /// </summary>
    public static float Max(ReadOnlySpan<float> x)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = x.Length;
        float m = float.NegativeInfinity;
        // Long rows: TensorPrimitives uses the widest vectors (AVX-512 where present); its call overhead and IEEE
        // NaN handling only cost on short rows.
        if (n >= 64)
            return TensorPrimitives.Max(x);
        if (UseVectors(n))
        {
            int w = Width, i = w;
            Vector<float> m0 = Vector.LoadUnsafe(ref xr), m1 = m0;
            for (; i <= n - 2 * w; i += 2 * w)
            {
                m0 = Vector.MaxNative(m0, Vector.LoadUnsafe(ref xr, (nuint)i));
                m1 = Vector.MaxNative(m1, Vector.LoadUnsafe(ref xr, (nuint)(i + w)));
            }
            if (i <= n - w) { m0 = Vector.MaxNative(m0, Vector.LoadUnsafe(ref xr, (nuint)i)); i += w; }
            // The max is idempotent, so the remainder is one last vector that overlaps the previous ones.
            if (i < n) m0 = Vector.MaxNative(m0, Vector.LoadUnsafe(ref xr, (nuint)(n - w)));
            m0 = Vector.MaxNative(m0, m1);
            for (int j = 0; j < w; j++) m = MathF.Max(m, m0[j]);
            return m;
        }
        for (int i = 0; i < n; i++) m = MathF.Max(m, Unsafe.Add(ref xr, i));
        return m;
    }

    /// <summary>
    /// <c>sum_i exp(e(x_i))</c> in double; writes <c>exp(e(x_i))</c> into <paramref name="y"/> unless it is empty
    /// (then <paramref name="y"/> must have <paramref name="x"/>'s length; it may be the same memory as x).
    /// </summary>
    public static double ExpSum<TExponent>(ReadOnlySpan<float> x, TExponent e, Span<float> y) where TExponent : struct, IExponent
    {
        Debug.Assert(y.IsEmpty || y.Length == x.Length);
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<float>.Count)
            return ExpSum512(x, e, y);
        bool store = !y.IsEmpty;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (UseVectors(n))
        {
            int w = Width;
            // The remainder is handled as one last full vector ending at n, loaded now: when y is x (in place) the
            // main loop overwrites the overlap before the remainder would read it.
            Vector<float> last = Vector.LoadUnsafe(ref xr, (nuint)(n - w));
            Vector<double> s0 = Vector<double>.Zero, s1 = Vector<double>.Zero;
            for (; i <= n - w; i += w)
            {
                Vector<float> v = Exp(e.Apply(Vector.LoadUnsafe(ref xr, (nuint)i)));
                if (store) v.StoreUnsafe(ref yr, (nuint)i);
                Vector.Widen(v, out Vector<double> lo, out Vector<double> hi);
                s0 += lo;
                s1 += hi;
            }
            if (i < n)
            {
                Vector<float> v = Exp(e.Apply(last));
                if (store) v.StoreUnsafe(ref yr, (nuint)(n - w));    // rewrites the overlap with the same values
                // Lanes before i were summed by the loop already.
                Vector<int> fresh = Vector.GreaterThanOrEqual(Vector<int>.Indices, new Vector<int>(i - (n - w)));
                v = Vector.ConditionalSelect(fresh.As<int, float>(), v, Vector<float>.Zero);
                Vector.Widen(v, out Vector<double> lo, out Vector<double> hi);
                s0 += lo;
                s1 += hi;
            }
            return Vector.Sum(s0 + s1);
        }
        double sum = 0;
        for (; i < n; i++)
        {
            float v = MathF.Exp(e.Apply(Unsafe.Add(ref xr, i)));
            if (store) Unsafe.Add(ref yr, i) = v;
            sum += v;
        }
        return sum;
    }

    /// <summary><see cref="ExpSum"/> with AVX-512: the hottest loop of the library, worth its own copy.</summary>
    private static double ExpSum512<TExponent>(ReadOnlySpan<float> x, TExponent e, Span<float> y) where TExponent : struct, IExponent
    {
        bool store = !y.IsEmpty;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, w = Vector512<float>.Count, i = 0;
        Vector512<float> last = Vector512.LoadUnsafe(ref xr, (nuint)(n - w));
        Vector512<double> s0 = Vector512<double>.Zero, s1 = Vector512<double>.Zero;
        for (; i <= n - w; i += w)
        {
            Vector512<float> v = Exp(e.Apply(Vector512.LoadUnsafe(ref xr, (nuint)i)));
            if (store) v.StoreUnsafe(ref yr, (nuint)i);
            (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(v);
            s0 += lo;
            s1 += hi;
        }
        if (i < n)
        {
            Vector512<float> v = Exp(e.Apply(last));
            if (store) v.StoreUnsafe(ref yr, (nuint)(n - w));
            Vector512<int> fresh = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(i - (n - w)));
            v = Vector512.ConditionalSelect(fresh.AsSingle(), v, Vector512<float>.Zero);
            (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(v);
            s0 += lo;
            s1 += hi;
        }
        return Vector512.Sum(s0 + s1);
    }

    /// <summary><c>y_i = e(x_i) - offset</c>: the log-softmax output pass (y may be the same memory as x).</summary>
    public static void ExponentMinus<TExponent>(ReadOnlySpan<float> x, TExponent e, float offset, Span<float> y) where TExponent : struct, IExponent
    {
        Debug.Assert(y.Length == x.Length);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (UseVectors(n))
        {
            var o = new Vector<float>(offset);
            for (; i <= n - Width; i += Width)
                (e.Apply(Vector.LoadUnsafe(ref xr, (nuint)i)) - o).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) = e.Apply(Unsafe.Add(ref xr, i)) - offset;
    }

    /// <summary>
    /// The validated sum of exponentials of one softmax row: returns <c>sum_i exp((x_i - max) / T)</c> (at least 1,
    /// from the max element) and the max, and writes the exponentials into <paramref name="exps"/> unless it is
    /// empty. NaN, +inf or a row of only -inf throws <see cref="NonFiniteInputException"/> naming the element by its
    /// index in the caller's span (<paramref name="offset"/> + i).
    /// </summary>
    public static double RowExpSum(ReadOnlySpan<float> row, float temperature, Span<float> exps, string name, int offset, out float max)
    {
        max = Max(row);
        double sum = double.NaN;
        if (float.IsFinite(max))
            sum = temperature == 1f ? ExpSum(row, new Shift(max), exps) : ExpSum(row, new ShiftScale(max, temperature), exps);
        if (!(sum > 0))
            ThrowBadRow(row, name, offset);
        return sum;
    }

    /// <summary>Names what is wrong with a row whose max or exponential sum was not finite.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowBadRow(ReadOnlySpan<float> row, string name, int offset)
    {
        for (int i = 0; i < row.Length; i++)
            if (float.IsNaN(row[i]) || float.IsPositiveInfinity(row[i]))
                Guard.ThrowNonFinite(name, offset + i, row[i]);
        string which = row.Length == 1 ? $"{name}[{offset}] is" : $"{name}[{offset}..{offset + row.Length - 1}] are all";
        throw new NonFiniteInputException($"{which} -inf: a softmax row needs at least one finite element", name);
    }

    /// <summary>
    /// <c>sum_c w_c (x_c - max)</c> in double (<c>w_c = 1</c> when <paramref name="weight"/> is empty), the weighted
    /// sum of shifted logits the label-smoothing term needs. A term with weight 0 is 0 even where x_c is -inf.
    /// </summary>
    public static double WeightedShiftedSum(ReadOnlySpan<float> x, float max, ReadOnlySpan<float> weight)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(weight);
        bool weighted = !weight.IsEmpty;
        int n = x.Length, i = 0;
        double sum = 0;
        if (UseVectors(n))
        {
            var m = new Vector<double>(max);
            Vector<double> s0 = Vector<double>.Zero, s1 = Vector<double>.Zero;
            for (; i <= n - Width; i += Width)
            {
                Vector.Widen(Vector.LoadUnsafe(ref xr, (nuint)i), out Vector<double> xlo, out Vector<double> xhi);
                xlo -= m;
                xhi -= m;
                if (weighted)
                {
                    Vector.Widen(Vector.LoadUnsafe(ref wr, (nuint)i), out Vector<double> wlo, out Vector<double> whi);
                    xlo *= wlo;
                    xhi *= whi;
                }
                s0 += xlo;
                s1 += xhi;
            }
            sum = Vector.Sum(s0 + s1);
        }
        for (; i < n; i++)
            sum += (weighted ? Unsafe.Add(ref wr, i) : 1.0) * ((double)Unsafe.Add(ref xr, i) - max);
        // NaN can only come from 0 * -inf (x is validated, w is finite): redo the sum with those terms as 0.
        return double.IsNaN(sum) ? CoefficientDot(x, max, weight) : sum;
    }

    private static double CoefficientDot(ReadOnlySpan<float> x, float max, ReadOnlySpan<float> weight)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
            if (weight[i] != 0f) sum += weight[i] * ((double)x[i] - max);
        return sum;
    }

    /// <summary>
    /// For probability targets: with <c>k_c = w_c (y_c (1 - eps) + eps / C)</c>, returns <c>mass = sum_c k_c</c> and
    /// <c>dot = sum_c k_c (x_c - max)</c>, both in double; a term with <c>k_c = 0</c> is 0 even where x_c is -inf
    /// (the 0 log 0 = 0 convention of cross-entropy).
    /// </summary>
    public static void SoftTargetSums(ReadOnlySpan<float> x, float max, ReadOnlySpan<float> y, ReadOnlySpan<float> weight,
        double smoothing, out double mass, out double dot)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float wr = ref MemoryMarshal.GetReference(weight);
        bool weighted = !weight.IsEmpty;
        int n = x.Length, i = 0;
        double keep = 1 - smoothing, spread = smoothing / n;
        mass = 0;
        dot = 0;
        if (UseVectors(n))
        {
            Vector<double> m = new(max), k1 = new(keep), k0 = new(spread);
            Vector<double> mass0 = Vector<double>.Zero, mass1 = Vector<double>.Zero, dot0 = Vector<double>.Zero, dot1 = Vector<double>.Zero;
            for (; i <= n - Width; i += Width)
            {
                Vector.Widen(Vector.LoadUnsafe(ref yr, (nuint)i), out Vector<double> klo, out Vector<double> khi);
                klo = klo * k1 + k0;
                khi = khi * k1 + k0;
                if (weighted)
                {
                    Vector.Widen(Vector.LoadUnsafe(ref wr, (nuint)i), out Vector<double> wlo, out Vector<double> whi);
                    klo *= wlo;
                    khi *= whi;
                }
                Vector.Widen(Vector.LoadUnsafe(ref xr, (nuint)i), out Vector<double> xlo, out Vector<double> xhi);
                mass0 += klo;
                mass1 += khi;
                dot0 += klo * (xlo - m);
                dot1 += khi * (xhi - m);
            }
            mass = Vector.Sum(mass0 + mass1);
            dot = Vector.Sum(dot0 + dot1);
        }
        for (; i < n; i++)
        {
            double k = (weighted ? Unsafe.Add(ref wr, i) : 1.0) * (Unsafe.Add(ref yr, i) * keep + spread);
            mass += k;
            dot += k * ((double)Unsafe.Add(ref xr, i) - max);
        }
        if (double.IsNaN(dot))
        {
            dot = 0;
            for (int c = 0; c < n; c++)
            {
                double k = (weighted ? weight[c] : 1.0) * (y[c] * keep + spread);
                if (k != 0) dot += k * ((double)x[c] - max);
            }
        }
    }

    /// <summary><c>g_c -= w_c (a y_c + b)</c>, or <c>g_c -= b w_c</c> when <paramref name="y"/> is empty; an empty
    /// <paramref name="weight"/> means <c>w_c = 1</c>.</summary>
    public static void SubtractTarget(Span<float> g, ReadOnlySpan<float> y, ReadOnlySpan<float> weight, float a, float b)
    {
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float wr = ref MemoryMarshal.GetReference(weight);
        bool hasY = !y.IsEmpty, weighted = !weight.IsEmpty;
        int n = g.Length, i = 0;
        if (UseVectors(n))
        {
            Vector<float> va = new(a), vb = new(b);
            for (; i <= n - Width; i += Width)
            {
                Vector<float> k = hasY ? Vector.LoadUnsafe(ref yr, (nuint)i) * va + vb : vb;
                if (weighted) k *= Vector.LoadUnsafe(ref wr, (nuint)i);
                (Vector.LoadUnsafe(ref gr, (nuint)i) - k).StoreUnsafe(ref gr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float k = hasY ? Unsafe.Add(ref yr, i) * a + b : b;
            if (weighted) k *= Unsafe.Add(ref wr, i);
            Unsafe.Add(ref gr, i) -= k;
        }
    }

    /// <summary>
    /// One distillation row after its three sums are known. With <c>lt = (t - maxT)/T - logSumT</c> and
    /// <c>ls = (s - maxS)/T - logSumS</c> (the log-probabilities at temperature T), returns
    /// <c>KL = sum_c exp(lt_c) (lt_c - ls_c)</c> in double (terms with teacher probability 0 are 0) and, unless
    /// <paramref name="g"/> is empty, writes <c>g_c = klScale (exp(ls_c) - exp(lt_c)) + ceScale exp(s_c - maxS - logSum1)</c>.
    /// The difference lt - ls is formed in double from the raw logits, so a tiny KL (student close to teacher) is not
    /// drowned by the rounding of two large log-probabilities.
    /// </summary>
    public static double DistillationRow(ReadOnlySpan<float> s, ReadOnlySpan<float> t, float maxS, float maxT, float temperature,
        double logSumS, double logSumT, double logSum1, Span<float> g, float klScale, float ceScale)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref float tr = ref MemoryMarshal.GetReference(t);
        ref float gr = ref MemoryMarshal.GetReference(g);
        bool grad = !g.IsEmpty;
        int n = s.Length, i = 0;
        double kl = 0, invT = 1.0 / temperature, dLog = logSumT - logSumS;
        float fLogS = (float)logSumS, fLogT = (float)logSumT, fLog1 = (float)logSum1;
        if (UseVectors(n))
        {
            Vector<float> vT = new(temperature), vMaxS = new(maxS), vMaxT = new(maxT), vLogS = new(fLogS), vLogT = new(fLogT),
                vLog1 = new(fLog1), vKl = new(klScale), vCe = new(ceScale);
            Vector<double> dInvT = new(invT), dDLog = new(dLog);
            Vector<double> k0 = Vector<double>.Zero, k1 = Vector<double>.Zero;
            for (; i <= n - Width; i += Width)
            {
                Vector<float> zs = Vector.LoadUnsafe(ref sr, (nuint)i) - vMaxS;
                Vector<float> zt = Vector.LoadUnsafe(ref tr, (nuint)i) - vMaxT;
                Vector<float> pt = Exp(zt / vT - vLogT);
                // lt - ls = (zt - zs) / T - (logSumT - logSumS), in double.
                Vector.Widen(zt, out Vector<double> ztLo, out Vector<double> ztHi);
                Vector.Widen(zs, out Vector<double> zsLo, out Vector<double> zsHi);
                Vector.Widen(pt, out Vector<double> ptLo, out Vector<double> ptHi);
                Vector<double> tLo = ptLo * ((ztLo - zsLo) * dInvT - dDLog), tHi = ptHi * ((ztHi - zsHi) * dInvT - dDLog);
                // 0 * (-inf - ls) is NaN; a class the teacher gives probability 0 contributes 0.
                k0 += Vector.ConditionalSelect(Vector.Equals(ptLo, Vector<double>.Zero), Vector<double>.Zero, tLo);
                k1 += Vector.ConditionalSelect(Vector.Equals(ptHi, Vector<double>.Zero), Vector<double>.Zero, tHi);
                if (grad)
                {
                    Vector<float> ps = Exp(zs / vT - vLogS);
                    Vector<float> p1 = Exp(zs - vLog1);
                    (vKl * (ps - pt) + vCe * p1).StoreUnsafe(ref gr, (nuint)i);
                }
            }
            kl = Vector.Sum(k0 + k1);
        }
        for (; i < n; i++)
        {
            float zs = Unsafe.Add(ref sr, i) - maxS, zt = Unsafe.Add(ref tr, i) - maxT;
            float pt = MathF.Exp(zt / temperature - fLogT);
            if (pt != 0f) kl += pt * (((double)zt - zs) * invT - dLog);
            if (grad)
                Unsafe.Add(ref gr, i) = klScale * (MathF.Exp(zs / temperature - fLogS) - pt) + ceScale * MathF.Exp(zs - fLog1);
        }
        return kl;
    }
}
