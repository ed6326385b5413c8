using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeLoss;

/// <summary>The float32 dot-product kernels (one is chosen per process; tests run each one the CPU supports).</summary>
internal enum F32Kernel
{
    /// <summary>Plain loop, the reference.</summary>
    Scalar,
    /// <summary><see cref="Vector{T}"/>: 256-bit on x64 with AVX2, 128-bit NEON on arm64.</summary>
    Vector,
    /// <summary><see cref="Vector512{T}"/> where AVX-512 is fast.</summary>
    Vector512,
}

/// <summary>The int8 dot-product kernels.</summary>
internal enum I8Kernel
{
    /// <summary>Plain loop, the reference.</summary>
    Scalar,
    /// <summary><see cref="Vector{T}"/> widening multiply (portable: NEON on arm64).</summary>
    Vector,
    /// <summary>AVX2 vpmaddubsw + vpmaddwd.</summary>
    Avx2,
    /// <summary>AVX-VNNI vpdpbusd (Alder Lake, Zen 4 and later).</summary>
    AvxVnni,
}

/// <summary>
/// Dot products of one query with a run of consecutive gallery rows. Rows are <c>stride</c> elements apart and
/// zero-padded from dim up to stride, with stride a multiple of 64 bytes, so every row starts 64-byte aligned and
/// every kernel runs whole vectors with no tail. Four rows share each load of the query.
/// </summary>
internal static class DotKernels
{
    /// <summary>Elements of padding granularity: rows are a multiple of 64 bytes.</summary>
    public const int F32StrideMultiple = 16, I8StrideMultiple = 64;

    public static readonly F32Kernel BestF32 =
        Vector512.IsHardwareAccelerated ? F32Kernel.Vector512 :
        Vector.IsHardwareAccelerated ? F32Kernel.Vector : F32Kernel.Scalar;

    public static readonly I8Kernel BestI8 =
        AvxVnni.IsSupported ? I8Kernel.AvxVnni :
        Avx2.IsSupported ? I8Kernel.Avx2 :
        Vector.IsHardwareAccelerated ? I8Kernel.Vector : I8Kernel.Scalar;

    // Vector.FusedMultiplyAdd is a single instruction with FMA3 or NEON and a slow emulation without; the JIT folds
    // this static readonly into a constant.
    private static readonly bool s_fma = System.Runtime.Intrinsics.X86.Fma.IsSupported || AdvSimd.IsSupported;

    public static bool IsSupported(F32Kernel kernel) => kernel switch
    {
        F32Kernel.Scalar => true,
        F32Kernel.Vector => Vector.IsHardwareAccelerated,
        F32Kernel.Vector512 => Vector512.IsHardwareAccelerated,
        _ => false,
    };

    public static bool IsSupported(I8Kernel kernel) => kernel switch
    {
        I8Kernel.Scalar => true,
        I8Kernel.Vector => Vector.IsHardwareAccelerated,
        I8Kernel.Avx2 => Avx2.IsSupported,
        I8Kernel.AvxVnni => AvxVnni.IsSupported,
        _ => false,
    };

    /// <summary>scores[j] = query . row_j for j &lt; scores.Length; row_j starts at rows + j * stride.</summary>
    public static void Dots(F32Kernel kernel, ref float query, ref float rows, int stride, Span<float> scores)
    {
        switch (kernel)
        {
            case F32Kernel.Vector512: DotsVector512(ref query, ref rows, (nuint)stride, scores); break;
            case F32Kernel.Vector: DotsVector(ref query, ref rows, (nuint)stride, scores); break;
            default: DotsScalar(ref query, ref rows, stride, scores); break;
        }
    }

    /// <summary>
    /// dots[j] = query . row_j in int32 (exact: |dot| &lt;= 65535 * 127^2 &lt; 2^31). <paramref name="absQuery"/> is
    /// |query| as bytes, used by the x86 kernels, which multiply unsigned by signed bytes: |q| * (r * sign q) = q r.
    /// </summary>
    public static void Dots(I8Kernel kernel, ref sbyte query, ref byte absQuery, ref sbyte rows, int stride, Span<int> dots)
    {
        switch (kernel)
        {
            case I8Kernel.AvxVnni: DotsAvxVnni(ref query, ref absQuery, ref rows, (nuint)stride, dots); break;
            case I8Kernel.Avx2: DotsAvx2(ref query, ref absQuery, ref rows, (nuint)stride, dots); break;
            case I8Kernel.Vector: DotsVectorI8(ref query, ref rows, (nuint)stride, dots); break;
            default: DotsScalarI8(ref query, ref rows, stride, dots); break;
        }
    }

    // ---------------------------------------------------------------- float32

    private static void DotsScalar(ref float q, ref float rows, int stride, Span<float> scores)
    {
        for (int j = 0; j < scores.Length; j++)
        {
            ref float r = ref Unsafe.Add(ref rows, (nint)j * stride);
            float sum = 0;
            for (int i = 0; i < stride; i++)
                sum += Unsafe.Add(ref q, i) * Unsafe.Add(ref r, i);
            scores[j] = sum;
        }
    }

    private static void DotsVector512(ref float q, ref float rows, nuint stride, Span<float> scores)
    {
        int count = scores.Length, j = 0;
        for (; j <= count - 4; j += 4)
        {
            ref float r0 = ref Unsafe.Add(ref rows, (nuint)j * stride);
            ref float r1 = ref Unsafe.Add(ref r0, stride);
            ref float r2 = ref Unsafe.Add(ref r1, stride);
            ref float r3 = ref Unsafe.Add(ref r2, stride);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (nuint i = 0; i < stride; i += 16)
            {
                Vector512<float> qv = Vector512.LoadUnsafe(ref q, i);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r0, i), qv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r1, i), qv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r2, i), qv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r3, i), qv, a3);
            }
            scores[j] = Vector512.Sum(a0);
            scores[j + 1] = Vector512.Sum(a1);
            scores[j + 2] = Vector512.Sum(a2);
            scores[j + 3] = Vector512.Sum(a3);
        }
        for (; j < count; j++)
        {
            ref float r = ref Unsafe.Add(ref rows, (nuint)j * stride);
            Vector512<float> a = default;
            for (nuint i = 0; i < stride; i += 16)
                a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, i), Vector512.LoadUnsafe(ref q, i), a);
            scores[j] = Vector512.Sum(a);
        }
    }

    private static void DotsVector(ref float q, ref float rows, nuint stride, Span<float> scores)
    {
        nuint w = (nuint)Vector<float>.Count;
        int count = scores.Length, j = 0;
        for (; j <= count - 4; j += 4)
        {
            ref float r0 = ref Unsafe.Add(ref rows, (nuint)j * stride);
            ref float r1 = ref Unsafe.Add(ref r0, stride);
            ref float r2 = ref Unsafe.Add(ref r1, stride);
            ref float r3 = ref Unsafe.Add(ref r2, stride);
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (nuint i = 0; i < stride; i += w)
            {
                Vector<float> qv = Vector.LoadUnsafe(ref q, i);
                a0 = MulAdd(Vector.LoadUnsafe(ref r0, i), qv, a0);
                a1 = MulAdd(Vector.LoadUnsafe(ref r1, i), qv, a1);
                a2 = MulAdd(Vector.LoadUnsafe(ref r2, i), qv, a2);
                a3 = MulAdd(Vector.LoadUnsafe(ref r3, i), qv, a3);
            }
            scores[j] = Vector.Sum(a0);
            scores[j + 1] = Vector.Sum(a1);
            scores[j + 2] = Vector.Sum(a2);
            scores[j + 3] = Vector.Sum(a3);
        }
        for (; j < count; j++)
        {
            ref float r = ref Unsafe.Add(ref rows, (nuint)j * stride);
            Vector<float> a = default;
            for (nuint i = 0; i < stride; i += w)
                a = MulAdd(Vector.LoadUnsafe(ref r, i), Vector.LoadUnsafe(ref q, i), a);
            scores[j] = Vector.Sum(a);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> MulAdd(Vector<float> a, Vector<float> b, Vector<float> c) =>
        s_fma ? Vector.FusedMultiplyAdd(a, b, c) : a * b + c;

    // ---------------------------------------------------------------- int8

    private static void DotsScalarI8(ref sbyte q, ref sbyte rows, int stride, Span<int> dots)
    {
        for (int j = 0; j < dots.Length; j++)
        {
            ref sbyte r = ref Unsafe.Add(ref rows, (nint)j * stride);
            int sum = 0;
            for (int i = 0; i < stride; i++)
                sum += Unsafe.Add(ref q, i) * Unsafe.Add(ref r, i);
            dots[j] = sum;
        }
    }

    private static void DotsVectorI8(ref sbyte q, ref sbyte rows, nuint stride, Span<int> dots)
    {
        // Widen bytes to shorts, multiply (|127 * 127| fits a short), add the low and high halves (2 * 16129 still
        // fits), widen to ints and accumulate: exact, and NEON-friendly (sxtl / mul / saddl).
        nuint w = (nuint)Vector<sbyte>.Count;
        for (int j = 0; j < dots.Length; j++)
        {
            ref sbyte r = ref Unsafe.Add(ref rows, (nuint)j * stride);
            Vector<int> acc = Vector<int>.Zero;
            for (nuint i = 0; i < stride; i += w)
            {
                Vector.Widen(Vector.LoadUnsafe(ref q, i), out Vector<short> qlo, out Vector<short> qhi);
                Vector.Widen(Vector.LoadUnsafe(ref r, i), out Vector<short> rlo, out Vector<short> rhi);
                Vector.Widen(qlo * rlo + qhi * rhi, out Vector<int> plo, out Vector<int> phi);
                acc += plo + phi;
            }
            dots[j] = Vector.Sum(acc);
        }
    }

    private static void DotsAvx2(ref sbyte q, ref byte absQ, ref sbyte rows, nuint stride, Span<int> dots)
    {
        // vpmaddubsw multiplies unsigned by signed bytes and adds pairs into shorts with saturation; with the
        // unsigned side |q| <= 127 a pair is at most 2 * 127 * 127 = 32258, so it never saturates.
        Vector256<short> ones = Vector256.Create((short)1);
        int count = dots.Length, j = 0;
        for (; j <= count - 4; j += 4)
        {
            ref sbyte r0 = ref Unsafe.Add(ref rows, (nuint)j * stride);
            ref sbyte r1 = ref Unsafe.Add(ref r0, stride);
            ref sbyte r2 = ref Unsafe.Add(ref r1, stride);
            ref sbyte r3 = ref Unsafe.Add(ref r2, stride);
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            for (nuint i = 0; i < stride; i += 32)
            {
                Vector256<sbyte> qv = Vector256.LoadUnsafe(ref q, i);
                Vector256<byte> aq = Vector256.LoadUnsafe(ref absQ, i);
                a0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(aq, Avx2.Sign(Vector256.LoadUnsafe(ref r0, i), qv)), ones);
                a1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(aq, Avx2.Sign(Vector256.LoadUnsafe(ref r1, i), qv)), ones);
                a2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(aq, Avx2.Sign(Vector256.LoadUnsafe(ref r2, i), qv)), ones);
                a3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(aq, Avx2.Sign(Vector256.LoadUnsafe(ref r3, i), qv)), ones);
            }
            dots[j] = Vector256.Sum(a0);
            dots[j + 1] = Vector256.Sum(a1);
            dots[j + 2] = Vector256.Sum(a2);
            dots[j + 3] = Vector256.Sum(a3);
        }
        for (; j < count; j++)
        {
            ref sbyte r = ref Unsafe.Add(ref rows, (nuint)j * stride);
            Vector256<int> a = default;
            for (nuint i = 0; i < stride; i += 32)
                a += Avx2.MultiplyAddAdjacent(
                    Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref absQ, i), Avx2.Sign(Vector256.LoadUnsafe(ref r, i), Vector256.LoadUnsafe(ref q, i))), ones);
            dots[j] = Vector256.Sum(a);
        }
    }

    private static void DotsAvxVnni(ref sbyte q, ref byte absQ, ref sbyte rows, nuint stride, Span<int> dots)
    {
        // vpdpbusd: four unsigned-by-signed byte products summed straight into each int lane, no intermediate
        // saturation; same |q| * (r * sign q) trick as the AVX2 kernel.
        int count = dots.Length, j = 0;
        for (; j <= count - 4; j += 4)
        {
            ref sbyte r0 = ref Unsafe.Add(ref rows, (nuint)j * stride);
            ref sbyte r1 = ref Unsafe.Add(ref r0, stride);
            ref sbyte r2 = ref Unsafe.Add(ref r1, stride);
            ref sbyte r3 = ref Unsafe.Add(ref r2, stride);
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            for (nuint i = 0; i < stride; i += 32)
            {
                Vector256<sbyte> qv = Vector256.LoadUnsafe(ref q, i);
                Vector256<byte> aq = Vector256.LoadUnsafe(ref absQ, i);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, aq, Avx2.Sign(Vector256.LoadUnsafe(ref r0, i), qv));
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, aq, Avx2.Sign(Vector256.LoadUnsafe(ref r1, i), qv));
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, aq, Avx2.Sign(Vector256.LoadUnsafe(ref r2, i), qv));
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, aq, Avx2.Sign(Vector256.LoadUnsafe(ref r3, i), qv));
            }
            dots[j] = Vector256.Sum(a0);
            dots[j + 1] = Vector256.Sum(a1);
            dots[j + 2] = Vector256.Sum(a2);
            dots[j + 3] = Vector256.Sum(a3);
        }
        for (; j < count; j++)
        {
            ref sbyte r = ref Unsafe.Add(ref rows, (nuint)j * stride);
            Vector256<int> a = default;
            for (nuint i = 0; i < stride; i += 32)
                a = AvxVnni.MultiplyWideningAndAdd(a, Vector256.LoadUnsafe(ref absQ, i), Avx2.Sign(Vector256.LoadUnsafe(ref r, i), Vector256.LoadUnsafe(ref q, i)));
            dots[j] = Vector256.Sum(a);
        }
    }
}
