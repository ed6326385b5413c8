using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeLoss;

/// <summary>
/// One activation function and its derivative, a <see cref="Vector{T}"/> at a time. The driver
/// <see cref="ActivationMap"/> owns the loop and the tail, so each kernel is only its formula. Kernels keep NaN
/// as NaN in <see cref="Forward"/>.
/// </summary>
internal interface IActivationKernel
{
    Vector<float> Forward(Vector<float> x);
    Vector<float> Derivative(Vector<float> x);
}

/// <summary>The loops of the activations: y = f(x) and gradInput = gradOutput * f'(x), in place allowed.</summary>
internal static class ActivationMap
{
    public static void Forward<TKernel>(in TKernel kernel, ReadOnlySpan<float> x, Span<float> y)
        where TKernel : struct, IActivationKernel
    {
        Guard.Length(y, x.Length);
        CheckOverlap(x, y, nameof(y));
        int n = x.Length, width = Vector<float>.Count, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        // Each vector is loaded before its store, so y may be x itself.
        for (; i <= n - width; i += width)
            kernel.Forward(Vector.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (i < n)
        {
            // The tail runs the same vector formula on a padded copy: a value does not depend on its position.
            Span<float> buffer = stackalloc float[Vector<float>.Count];
            buffer.Clear();
            x[i..].CopyTo(buffer);
            var r = kernel.Forward(new Vector<float>(buffer));
            for (int j = 0; i + j < n; j++)
                y[i + j] = r[j];
        }
    }

    public static void Backward<TKernel>(in TKernel kernel, ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
        where TKernel : struct, IActivationKernel
    {
        Guard.Length(gradOutput, x.Length);
        Guard.Length(gradInput, x.Length);
        CheckOverlap(x, gradInput, nameof(gradInput));
        CheckOverlap(gradOutput, gradInput, nameof(gradInput));
        int n = x.Length, width = Vector<float>.Count, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(gradOutput);
        ref float ir = ref MemoryMarshal.GetReference(gradInput);
        for (; i <= n - width; i += width)
            (Vector.LoadUnsafe(ref gr, (nuint)i) * kernel.Derivative(Vector.LoadUnsafe(ref xr, (nuint)i))).StoreUnsafe(ref ir, (nuint)i);
        if (i < n)
        {
            Span<float> buffer = stackalloc float[Vector<float>.Count];
            buffer.Clear();
            x[i..].CopyTo(buffer);
            var d = kernel.Derivative(new Vector<float>(buffer));
            for (int j = 0; i + j < n; j++)
                gradInput[i + j] = gradOutput[i + j] * d[j];
        }
    }

    /// <summary>An output may be its input exactly (in place), but not a shifted view of it.</summary>
    private static void CheckOverlap(ReadOnlySpan<float> input, ReadOnlySpan<float> output, string name)
    {
        if (input.Overlaps(output, out int offset) && offset != 0)
            throw new ArgumentException($"{name} overlaps an input at an offset of {offset} elements (only exact in-place use is allowed)", name);
    }
}

/// <summary>y = x.</summary>
internal readonly struct LinearKernel : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x) => Vector<float>.One;
}

/// <summary>sigmoid(x) = 1 / (1 + exp(-x)) from exp(-|x|): no overflow, full relative accuracy in both tails.</summary>
internal readonly struct SigmoidKernel : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x) => StableMath.Sigmoid(x, out _, out _);

    // sigmoid(x) sigmoid(-x), each factor accurate: 1 - sigmoid(x) would lose every digit for large x.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x) => StableMath.Sigmoid(x, out var minus, out _) * minus;
}

/// <summary>
/// tanh(x) = sign(x) (-m) / (2 + m) with m = expm1(-2|x|) in (-1, 0]: accurate near 0 (where 1 - exp(-2|x|)
/// would cancel), odd by construction, exactly ±0 at ±0 and ±1 in
/// the tails. Derivative 1 - tanh^2 = 4u / (1 + u)^2 with u = exp(-2|x|), accurate in the tails where 1 - tanh^2
/// would round to 0 early.
/// </summary>
internal readonly struct TanhKernel : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x)
    {
        var m = StableMath.Expm1NonPositive(new Vector<float>(-2f) * Vector.Abs(x));
        return Vector.CopySign(-m / (new Vector<float>(2f) + m), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x)
    {
        var u = StableMath.ExpNonPositive(new Vector<float>(-2f) * Vector.Abs(x));
        var onePlusU = Vector<float>.One + u;
        return new Vector<float>(4f) * u / (onePlusU * onePlusU);
    }
}

/// <summary>max(0, x); derivative 1 for x > 0, else 0 (torch's choice at 0).</summary>
internal readonly struct ReLUKernel : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x) => StableMath.PositivePart(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero);
}

/// <summary>min(max(0, x), 6); derivative 1 for 0 &lt; x &lt; 6, else 0 (torch's hardtanh rule, 0 at both kinks).</summary>
internal readonly struct ReLU6Kernel : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x)
    {
        var six = new Vector<float>(6f);
        var r = StableMath.PositivePart(x);
        return Vector.ConditionalSelect(Vector.GreaterThan(r, six), six, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x)
    {
        var inside = Vector.GreaterThan(x, Vector<float>.Zero) & Vector.LessThan(x, new Vector<float>(6f));
        return Vector.ConditionalSelect(inside, Vector<float>.One, Vector<float>.Zero);
    }
}

/// <summary>x for x > 0, slope * x otherwise (LeakyReLU, and PReLU with its learned slope a); derivative 1 or slope (slope at 0, as torch).</summary>
internal readonly struct LeakyReLUKernel(float slope) : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), x, x * new Vector<float>(slope));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), Vector<float>.One, new Vector<float>(slope));
}

/// <summary>
/// ELU: x for x > 0, alpha * expm1(x) otherwise (expm1 keeps small negative x exact); derivative 1 or
/// alpha * exp(x) (alpha at 0, as torch).
/// </summary>
internal readonly struct ELUKernel(float alpha) : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x)
    {
        var positive = Vector.GreaterThan(x, Vector<float>.Zero);
        // Only the non-positive side reaches expm1 (NaN included, so it stays NaN).
        var m = StableMath.Expm1NonPositive(Vector.ConditionalSelect(positive, Vector<float>.Zero, x));
        return Vector.ConditionalSelect(positive, x, new Vector<float>(alpha) * m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x)
    {
        var positive = Vector.GreaterThan(x, Vector<float>.Zero);
        var e = StableMath.ExpNonPositive(Vector.ConditionalSelect(positive, Vector<float>.Zero, x));
        return Vector.ConditionalSelect(positive, Vector<float>.One, new Vector<float>(alpha) * e);
    }
}

/// <summary>
/// Swish x * sigmoid(beta x) (SiLU at beta = 1). Derivative sigmoid(z) (1 + z sigmoid(-z)) with z = beta x, using
/// the accurate sigmoid(-z) instead of 1 - sigmoid(z).
/// </summary>
internal readonly struct SwishKernel(float beta) : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x) => x * StableMath.Sigmoid(new Vector<float>(beta) * x, out _, out _);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x)
    {
        var z = new Vector<float>(beta) * x;
        var s = StableMath.Sigmoid(z, out var minus, out _);
        return s * (Vector<float>.One + z * minus);
    }
}

/// <summary>
/// Mish x * tanh(softplus(x)) (Misra 2019). With e = exp(-|x|): for x >= 0, tanh(softplus(x)) =
/// (1 + 2e) / (1 + 2e + 2e^2); for x &lt; 0, with n = e (e + 2), it is n / (n + 2). Both come from
/// exp(softplus(x)) = 1 + exp(x) and never overflow; the negative side keeps full relative accuracy (mish(x) ~ x e^x).
/// Derivative tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2), whose second term simplifies the same way (below), so the
/// forward needs one division and the derivative two.
/// </summary>
internal readonly struct MishKernel : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x) => x * TanhSoftplus(x, out _, out _, out _);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x)
    {
        var t = TanhSoftplus(x, out var denominator, out var e, out var nonNegative);
        // sigmoid(x) (1 - t^2) = 4 e (1 + e) k / D^2 with k = e for x >= 0 and k = 1 below: for x >= 0, sigmoid = 1 / (1 + e)
        // and 1 - t^2 = 4 e^2 (1 + e)^2 / D^2; for x < 0, sigmoid = e / (1 + e) and 1 - t^2 = 4 (n + 1) / D^2 with
        // n + 1 = (1 + e)^2. No 1 - t^2 is ever formed, so the tails keep their relative accuracy.
        var k = Vector.ConditionalSelect(nonNegative, e, Vector<float>.One);
        var fourEOnePlusEK = new Vector<float>(4f) * (e * (Vector<float>.One + e)) * k;
        return t + x * fourEOnePlusEK / (denominator * denominator);
    }

    /// <summary>
    /// tanh(softplus(x)) = N / D, each side's N and D selected before the one division (a division per side would
    /// cost twice as much). Also returns D, e = exp(-|x|) and the mask x >= 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> TanhSoftplus(Vector<float> x, out Vector<float> denominator, out Vector<float> e, out Vector<int> nonNegative)
    {
        var one = Vector<float>.One;
        var two = new Vector<float>(2f);
        e = StableMath.ExpNonPositive(-Vector.Abs(x));

        // x >= 0: t = (1 + 2e) / (1 + 2e + 2e^2).
        var twoE = two * e;
        var nPos = one + twoE;
        var dPos = nPos + twoE * e;

        // x < 0: t = n / (n + 2), n = e (e + 2).
        var n = e * (e + two);
        var dNeg = n + two;

        nonNegative = Vector.GreaterThanOrEqual(x, Vector<float>.Zero);
        denominator = Vector.ConditionalSelect(nonNegative, dPos, dNeg);
        return Vector.ConditionalSelect(nonNegative, nPos, n) / denominator;
    }
}

/// <summary>
/// torch's softplus: z = beta x; x where z > threshold (torch's linear switch), else log(1 + exp(z)) / beta computed
/// as (max(z, 0) + log1p(exp(-|z|))) / beta, which also stays finite for thresholds beyond float's exp range.
/// Derivative 1 where z > threshold, else sigmoid(z).
/// </summary>
internal readonly struct SoftplusKernel(float beta, float threshold) : IActivationKernel
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Forward(Vector<float> x)
    {
        var z = new Vector<float>(beta) * x;
        var e = StableMath.ExpNonPositive(-Vector.Abs(z));
        var soft = StableMath.Softplus(z, e);
        // beta = 1 (torch's default) skips a division; the branch is the same for every vector of a call.
        if (beta != 1f)
            soft /= new Vector<float>(beta);
        return Vector.ConditionalSelect(Vector.GreaterThan(z, new Vector<float>(threshold)), x, soft);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Derivative(Vector<float> x)
    {
        var z = new Vector<float>(beta) * x;
        var s = StableMath.Sigmoid(z, out _, out _);
        return Vector.ConditionalSelect(Vector.GreaterThan(z, new Vector<float>(threshold)), Vector<float>.One, s);
    }
}
