using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeLoss;

/// <summary>
/// Normalization, quantization and cosine of embeddings. Norms and dot products here accumulate in double: any
/// finite float squared fits a double (no overflow for 1e30, no underflow for subnormals), so there is no scaling
/// step and no input that silently becomes inf or 0.
/// </summary>
internal static class EmbeddingMath
{
    /// <summary>int8 storage: every stored vector's largest magnitude is this.</summary>
    public const float I8Scale = 127f;

    /// <summary>Sum of x_i^2 in double (NaN or inf when some element is not finite).</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        ref float p = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            Vector<double> acc0 = Vector<double>.Zero, acc1 = Vector<double>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref p, (nuint)i), out Vector<double> lo, out Vector<double> hi);
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            sum = Vector.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            double v = Unsafe.Add(ref p, i);
            sum += v * v;
        }
        return sum;
    }

    /// <summary>Sum of a_i b_i, a_i^2 and b_i^2 in double, in one pass.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, out double aa, out double bb)
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        double ab = 0;
        aa = 0;
        bb = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            Vector<double> sab = Vector<double>.Zero, saa = Vector<double>.Zero, sbb = Vector<double>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref pa, (nuint)i), out Vector<double> alo, out Vector<double> ahi);
                Vector.Widen(Vector.LoadUnsafe(ref pb, (nuint)i), out Vector<double> blo, out Vector<double> bhi);
                sab += alo * blo + ahi * bhi;
                saa += alo * alo + ahi * ahi;
                sbb += blo * blo + bhi * bhi;
            }
            ab = Vector.Sum(sab);
            aa = Vector.Sum(saa);
            bb = Vector.Sum(sbb);
        }
        for (; i < n; i++)
        {
            double x = Unsafe.Add(ref pa, i), y = Unsafe.Add(ref pb, i);
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        return ab;
    }

    /// <summary>
    /// Checks <paramref name="x"/> (finite, not all zero) and returns its sum of squares. Errors name
    /// <paramref name="name"/> and, for a row of a batch (<paramref name="row"/> &gt;= 0), the row:
    /// <c>embeddings[2][5] = NaN is not finite</c>, <c>query has zero norm</c>.
    /// </summary>
    public static double CheckedSumOfSquares(ReadOnlySpan<float> x, string name, int row)
    {
        double ss = SumOfSquares(x);
        if (!double.IsFinite(ss))
            ThrowNonFiniteElement(x, name, row);
        if (ss == 0)
            throw new NonFiniteInputException($"{Label(name, row)} has zero norm (all {x.Length} elements are 0) and cannot be normalized", name);
        return ss;
    }

    /// <summary>y = x / ||x|| (checked as in <see cref="CheckedSumOfSquares"/>); y may alias x.</summary>
    public static void Normalize(ReadOnlySpan<float> x, Span<float> y, string name, int row)
    {
        double inv = 1.0 / Math.Sqrt(CheckedSumOfSquares(x, name, row));
        float invF = (float)inv;
        if (float.IsNormal(invF))
        {
            // The common case: the scale is an ordinary float, so one float multiply per element is exact enough
            // (each result is x_i * inv rounded once more, well inside the 1e-6 that matters for a cosine).
            System.Numerics.Tensors.TensorPrimitives.Multiply(x, invF, y);
            return;
        }
        // Tiny or huge vectors (subnormal elements, norms near float's limits): scale in double, round once.
        for (int i = 0; i < x.Length; i++)
            y[i] = (float)(x[i] * inv);
    }

    /// <summary>
    /// Quantizes x (checked as in <see cref="CheckedSumOfSquares"/>) for int8 storage: scaled so that its largest
    /// magnitude is 127, then q_i = round-half-to-even(127 x_i / max|x|) in [-127, 127]. Only the direction matters
    /// (scores divide by ||q||), so using the whole range costs nothing and makes the rounding error about 7 times
    /// smaller than 127 x_i / ||x|| would at 512 dimensions. Returns 1 / ||q||.
    /// </summary>
    public static float Quantize(ReadOnlySpan<float> x, Span<sbyte> q, string name, int row)
    {
        CheckedSumOfSquares(x, name, row);
        double scale = I8Scale / Math.Abs((double)System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(x));   // in double: max|x| may be subnormal
        long ss = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int r = (int)Math.Round(x[i] * scale);                           // MidpointRounding.ToEven
            q[i] = (sbyte)r;
            ss += r * r;
        }
        return (float)(1.0 / Math.Sqrt(ss));                                // ss >= 127^2: the largest element is +-127
    }

    /// <summary>1 / ||q|| of a stored int8 vector (not all zero).</summary>
    public static float InverseNorm(ReadOnlySpan<sbyte> q)
    {
        long ss = 0;
        foreach (sbyte v in q)
            ss += v * v;
        return (float)(1.0 / Math.Sqrt(ss));
    }

    private static string Label(string name, int row) => row < 0 ? name : $"{name}[{row}]";

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNonFiniteElement(ReadOnlySpan<float> x, string name, int row)
    {
        for (int i = 0; i < x.Length; i++)
            if (!float.IsFinite(x[i]))
                throw new NonFiniteInputException($"{Label(name, row)}[{i}] = {Guard.Format(x[i])} is not finite", name);
        throw new NonFiniteInputException($"{Label(name, row)} has a non-finite norm", name);   // unreachable: finite floats square into a double
    }
}
