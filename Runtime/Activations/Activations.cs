namespace EdgeLoss;

/// <summary>
/// Activation functions and their backward passes, element-wise over spans, with PyTorch's definitions (including
/// its choice of derivative at each kink). Each function <c>F(x, y)</c> writes <c>y = f(x)</c>; each
/// <c>FBackward(x, gradOutput, gradInput)</c> writes <c>gradInput = gradOutput * f'(x)</c> from the forward's input.
/// </summary>
/// <remarks>
/// <para>Outputs have the input's length and may be the input itself (in place), but not a shifted view of it.
/// No call allocates; the loops are vectorized (<see cref="System.Numerics.Vector{T}"/>: 256-bit on AVX2, 128-bit on
/// ARM64 NEON).</para>
/// <para>Numerics: every exponential is taken of -|z|, so nothing overflows for any finite x (tested at |x| = 1e4),
/// the limits come out exactly (sigmoid(1e4) = 1, softplus(-1e4) = 0, ...) and small outputs keep their relative
/// accuracy (sigmoid(-20) = 2.06e-9, ELU(-1e-6) = -1e-6, not rounded to 0).</para>
/// <para>Values are not checked: these are IEEE element-wise maps, and a NaN input gives a NaN output in the
/// forward pass (the losses, not the activations, reject non-finite data). The derivative at a NaN input follows
/// the comparisons of the kink rules and is not specified.</para>
/// </remarks>
public static class Activations
{
    /// <summary>Linear (identity): y = x.</summary>
    /// <param name="x">the input</param>
    /// <param name="y">the output, x's length; may be x itself</param>
    /// <exception cref="ArgumentException">y's length differs from x's, or y overlaps x at an offset</exception>
    public static void Linear(ReadOnlySpan<float> x, Span<float> y) => ActivationMap.Forward(new LinearKernel(), x, y);

    /// <summary>Backward of <see cref="Linear"/>: gradInput = gradOutput.</summary>
    /// <param name="x">the forward's input</param>
    /// <param name="gradOutput">d loss / d y, x's length</param>
    /// <param name="gradInput">d loss / d x, x's length; may be gradOutput itself</param>
    /// <exception cref="ArgumentException">a length differs from x's, or gradInput overlaps an input at an offset</exception>
    public static void LinearBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput) =>
        ActivationMap.Backward(new LinearKernel(), x, gradOutput, gradInput);

    /// <summary>Sigmoid: y = 1 / (1 + exp(-x)), accurate in both tails.</summary>
    /// <inheritdoc cref="Linear"/>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => ActivationMap.Forward(new SigmoidKernel(), x, y);

    /// <summary>Backward of <see cref="Sigmoid"/>: f'(x) = sigmoid(x) sigmoid(-x).</summary>
    /// <inheritdoc cref="LinearBackward"/>
    public static void SigmoidBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput) =>
        ActivationMap.Backward(new SigmoidKernel(), x, gradOutput, gradInput);

    /// <summary>Hyperbolic tangent, accurate near 0 and exactly ±1 in the tails.</summary>
    /// <inheritdoc cref="Linear"/>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => ActivationMap.Forward(new TanhKernel(), x, y);

    /// <summary>Backward of <see cref="Tanh"/>: f'(x) = 1 - tanh(x)^2.</summary>
    /// <inheritdoc cref="LinearBackward"/>
    public static void TanhBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput) =>
        ActivationMap.Backward(new TanhKernel(), x, gradOutput, gradInput);

    /// <summary>ReLU: y = max(0, x).</summary>
    /// <inheritdoc cref="Linear"/>
    public static void ReLU(ReadOnlySpan<float> x, Span<float> y) => ActivationMap.Forward(new ReLUKernel(), x, y);

    /// <summary>Backward of <see cref="ReLU"/>: f'(x) = 1 for x > 0, else 0 (0 at x = 0, as torch).</summary>
    /// <inheritdoc cref="LinearBackward"/>
    public static void ReLUBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput) =>
        ActivationMap.Backward(new ReLUKernel(), x, gradOutput, gradInput);

    /// <summary>ReLU6: y = min(max(0, x), 6).</summary>
    /// <inheritdoc cref="Linear"/>
    public static void ReLU6(ReadOnlySpan<float> x, Span<float> y) => ActivationMap.Forward(new ReLU6Kernel(), x, y);

    /// <summary>Backward of <see cref="ReLU6"/>: f'(x) = 1 for 0 &lt; x &lt; 6, else 0 (0 at both kinks, as torch).</summary>
    /// <inheritdoc cref="LinearBackward"/>
    public static void ReLU6Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput) =>
        ActivationMap.Backward(new ReLU6Kernel(), x, gradOutput, gradInput);

    /// <summary>LeakyReLU: y = x for x > 0, else negativeSlope * x.</summary>
    /// <param name="x">the input</param>
    /// <param name="y">the output, x's length; may be x itself</param>
    /// <param name="negativeSlope">the slope for x &lt;= 0, finite (torch's default 0.01)</param>
    /// <exception cref="ArgumentException">y's length differs from x's, or y overlaps x at an offset</exception>
    /// <exception cref="NonFiniteInputException">negativeSlope is NaN or infinite</exception>
    public static void LeakyReLU(ReadOnlySpan<float> x, Span<float> y, float negativeSlope = 0.01f)
    {
        Guard.Finite(negativeSlope);
        ActivationMap.Forward(new LeakyReLUKernel(negativeSlope), x, y);
    }

    /// <summary>Backward of <see cref="LeakyReLU"/>: f'(x) = 1 for x > 0, else negativeSlope (also at 0, as torch).</summary>
    /// <param name="x">the forward's input</param>
    /// <param name="gradOutput">d loss / d y, x's length</param>
    /// <param name="gradInput">d loss / d x, x's length; may be gradOutput itself</param>
    /// <param name="negativeSlope">the forward's slope</param>
    /// <exception cref="ArgumentException">a length differs from x's, or gradInput overlaps an input at an offset</exception>
    /// <exception cref="NonFiniteInputException">negativeSlope is NaN or infinite</exception>
    public static void LeakyReLUBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput, float negativeSlope = 0.01f)
    {
        Guard.Finite(negativeSlope);
        ActivationMap.Backward(new LeakyReLUKernel(negativeSlope), x, gradOutput, gradInput);
    }

    /// <summary>PReLU with one learned slope a (torch <c>nn.PReLU()</c>, num_parameters = 1): y = x for x > 0, else a x.</summary>
    /// <param name="x">the input</param>
    /// <param name="y">the output, x's length; may be x itself</param>
    /// <param name="a">the learned slope, finite (torch initializes it to 0.25)</param>
    /// <exception cref="ArgumentException">y's length differs from x's, or y overlaps x at an offset</exception>
    /// <exception cref="NonFiniteInputException">a is NaN or infinite</exception>
    public static void PReLU(ReadOnlySpan<float> x, Span<float> y, float a)
    {
        Guard.Finite(a);
        ActivationMap.Forward(new LeakyReLUKernel(a), x, y);
    }

    /// <summary>
    /// Backward of <see cref="PReLU"/>: gradInput = gradOutput * (1 for x > 0, else a), and the gradient w.r.t. the
    /// slope, <c>sum over x &lt;= 0 of gradOutput * x</c>, is returned (accumulated in double).
    /// </summary>
    /// <param name="x">the forward's input</param>
    /// <param name="gradOutput">d loss / d y, x's length</param>
    /// <param name="gradInput">d loss / d x, x's length; may be gradOutput itself</param>
    /// <param name="a">the forward's slope</param>
    /// <returns>d loss / d a</returns>
    /// <exception cref="ArgumentException">a length differs from x's, or gradInput overlaps an input at an offset</exception>
    /// <exception cref="NonFiniteInputException">a is NaN or infinite</exception>
    public static float PReLUBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput, float a)
    {
        Guard.Finite(a);
        Guard.Length(gradOutput, x.Length);
        // d loss / d a is read from gradOutput before the (possibly in-place) input gradient overwrites it.
        double gradA = 0;
        for (int i = 0; i < x.Length; i++)
            if (!(x[i] > 0f))
                gradA += (double)gradOutput[i] * x[i];
        ActivationMap.Backward(new LeakyReLUKernel(a), x, gradOutput, gradInput);
        return (float)gradA;
    }

    /// <summary>ELU: y = x for x > 0, else alpha (exp(x) - 1).</summary>
    /// <param name="x">the input</param>
    /// <param name="y">the output, x's length; may be x itself</param>
    /// <param name="alpha">the negative saturation value, finite (torch's default 1)</param>
    /// <exception cref="ArgumentException">y's length differs from x's, or y overlaps x at an offset</exception>
    /// <exception cref="NonFiniteInputException">alpha is NaN or infinite</exception>
    public static void ELU(ReadOnlySpan<float> x, Span<float> y, float alpha = 1f)
    {
        Guard.Finite(alpha);
        ActivationMap.Forward(new ELUKernel(alpha), x, y);
    }

    /// <summary>Backward of <see cref="ELU"/>: f'(x) = 1 for x > 0, else alpha exp(x) (alpha at 0, as torch).</summary>
    /// <param name="x">the forward's input</param>
    /// <param name="gradOutput">d loss / d y, x's length</param>
    /// <param name="gradInput">d loss / d x, x's length; may be gradOutput itself</param>
    /// <param name="alpha">the forward's alpha</param>
    /// <exception cref="ArgumentException">a length differs from x's, or gradInput overlaps an input at an offset</exception>
    /// <exception cref="NonFiniteInputException">alpha is NaN or infinite</exception>
    public static void ELUBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput, float alpha = 1f)
    {
        Guard.Finite(alpha);
        ActivationMap.Backward(new ELUKernel(alpha), x, gradOutput, gradInput);
    }

    /// <summary>Swish (Ramachandran et al. 2017): y = x sigmoid(beta x); beta = 1 is SiLU.</summary>
    /// <param name="x">the input</param>
    /// <param name="y">the output, x's length; may be x itself</param>
    /// <param name="beta">the sharpness, finite (default 1)</param>
    /// <exception cref="ArgumentException">y's length differs from x's, or y overlaps x at an offset</exception>
    /// <exception cref="NonFiniteInputException">beta is NaN or infinite</exception>
    public static void Swish(ReadOnlySpan<float> x, Span<float> y, float beta = 1f)
    {
        Guard.Finite(beta);
        ActivationMap.Forward(new SwishKernel(beta), x, y);
    }

    /// <summary>Backward of <see cref="Swish"/>: f'(x) = s (1 + beta x (1 - s)) with s = sigmoid(beta x).</summary>
    /// <param name="x">the forward's input</param>
    /// <param name="gradOutput">d loss / d y, x's length</param>
    /// <param name="gradInput">d loss / d x, x's length; may be gradOutput itself</param>
    /// <param name="beta">the forward's beta</param>
    /// <exception cref="ArgumentException">a length differs from x's, or gradInput overlaps an input at an offset</exception>
    /// <exception cref="NonFiniteInputException">beta is NaN or infinite</exception>
    public static void SwishBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput, float beta = 1f)
    {
        Guard.Finite(beta);
        ActivationMap.Backward(new SwishKernel(beta), x, gradOutput, gradInput);
    }

    /// <summary>SiLU (torch <c>silu</c>): y = x sigmoid(x), Swish with beta = 1.</summary>
    /// <inheritdoc cref="Linear"/>
    public static void SiLU(ReadOnlySpan<float> x, Span<float> y) => ActivationMap.Forward(new SwishKernel(1f), x, y);

    /// <summary>Backward of <see cref="SiLU"/>.</summary>
    /// <inheritdoc cref="LinearBackward"/>
    public static void SiLUBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput) =>
        ActivationMap.Backward(new SwishKernel(1f), x, gradOutput, gradInput);

    /// <summary>Mish (torch <c>mish</c>): y = x tanh(softplus(x)).</summary>
    /// <inheritdoc cref="Linear"/>
    public static void Mish(ReadOnlySpan<float> x, Span<float> y) => ActivationMap.Forward(new MishKernel(), x, y);

    /// <summary>Backward of <see cref="Mish"/>: f'(x) = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2), sp = softplus(x).</summary>
    /// <inheritdoc cref="LinearBackward"/>
    public static void MishBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput) =>
        ActivationMap.Backward(new MishKernel(), x, gradOutput, gradInput);

    /// <summary>
    /// Softplus as torch: y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold (torch's switch to the
    /// linear function, which this reproduces exactly).
    /// </summary>
    /// <param name="x">the input</param>
    /// <param name="y">the output, x's length; may be x itself</param>
    /// <param name="beta">finite and > 0 (torch's default 1)</param>
    /// <param name="threshold">where beta x switches to the identity, finite (torch's default 20)</param>
    /// <exception cref="ArgumentException">y's length differs from x's, or y overlaps x at an offset; beta &lt;= 0</exception>
    /// <exception cref="NonFiniteInputException">threshold is NaN or infinite</exception>
    public static void Softplus(ReadOnlySpan<float> x, Span<float> y, float beta = 1f, float threshold = 20f)
    {
        Guard.PositiveFinite(beta);
        Guard.Finite(threshold);
        ActivationMap.Forward(new SoftplusKernel(beta, threshold), x, y);
    }

    /// <summary>Backward of <see cref="Softplus"/>: f'(x) = sigmoid(beta x), and 1 where beta x > threshold.</summary>
    /// <param name="x">the forward's input</param>
    /// <param name="gradOutput">d loss / d y, x's length</param>
    /// <param name="gradInput">d loss / d x, x's length; may be gradOutput itself</param>
    /// <param name="beta">the forward's beta</param>
    /// <param name="threshold">the forward's threshold</param>
    /// <exception cref="ArgumentException">a length differs from x's, or gradInput overlaps an input at an offset; beta &lt;= 0</exception>
    /// <exception cref="NonFiniteInputException">threshold is NaN or infinite</exception>
    public static void SoftplusBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput, float beta = 1f, float threshold = 20f)
    {
        Guard.PositiveFinite(beta);
        Guard.Finite(threshold);
        ActivationMap.Backward(new SoftplusKernel(beta, threshold), x, gradOutput, gradInput);
    }
}
