using Xunit.Abstractions;

namespace EdgeLoss.Tests.Activations;

/// <summary>
/// Tanh, Softplus, Mish and ELU (and their derivatives) over millions of float inputs against float64 references:
/// every 997th float bit pattern in [-20, 20], every 7th in 0.125 &lt;= |x| &lt;= 1 (where the kernels switch between a
/// polynomial and exp), every float within 4096 ulps of each switch point, the subnormals and a list of special
/// values. The bounds are the measured worst cases of the current kernels with a small margin (docs/numerics.md).
/// </summary>
public class ActivationSweepTests(ITestOutputHelper output)
{
    // -z where StableMath.Expm1NonPositive's k = round(z / ln 2) steps, ±1 ulp of the float (k + 1/2) ln 2.
    private static readonly float[] Switches = [0.34657359f, 1.0397208f, 1.7328680f, 2.4260151f, 8.6643398f];

    private static readonly float[] Specials =
    [
        0f, float.Epsilon, 2 * float.Epsilon, 1e-44f, BitConverter.Int32BitsToSingle(0x007FFFFF), BitConverter.Int32BitsToSingle(0x00800000),
        1e-30f, 1e-20f, 1e-12f, 1e-10f, 1e-7f, 1e-6f, 1e-5f, 1e-4f, 1e-3f, 0.01f, 0.1f, 1f, 2f, 5f, 8f, 9f, 9.01f, 10f, 15f, 19.99f, 20f,
    ];

    private static float[] Inputs()
    {
        var xs = new List<float>();
        void Both(float v) { xs.Add(v); xs.Add(-v); }
        int top = BitConverter.SingleToInt32Bits(20f);
        for (int b = 0; b <= top; b += 997)
            Both(BitConverter.Int32BitsToSingle(b));
        for (int b = BitConverter.SingleToInt32Bits(0.125f); b <= BitConverter.SingleToInt32Bits(1f); b += 7)
            Both(BitConverter.Int32BitsToSingle(b));
        foreach (float s in Switches)
            foreach (float t in new[] { s, s / 2 }) // tanh switches at half of expm1's limit (it takes expm1(-2|x|))
                for (int d = -4096; d <= 4096; d++)
                    Both(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(t) + d));
        for (int b = 1; b < 0x00800000; b += 4099)
            Both(BitConverter.Int32BitsToSingle(b));
        foreach (float s in Specials)
            Both(s);
        return [.. xs];
    }

    private static readonly float[] X = Inputs();
    private static readonly double MinNormal = BitConverter.Int32BitsToSingle(0x00800000);

    // float64 references. log1p and expm1 are written out: .NET's double.LogP1 / ExpM1 are log(1 + x) / exp(x) - 1.
    private static double Log1p(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : Math.Log(w) * (u / (w - 1));
    }

    private static double Expm1(double z) => Math.Abs(z) < 1e-5 ? z + z * z / 2 + z * z * z / 6 : Math.Exp(z) - 1;
    private static double Softplus(double x) => Math.Max(x, 0) + Log1p(Math.Exp(-Math.Abs(x)));
    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    private static double TanhDerivative(double x)
    {
        double u = Math.Exp(-2 * Math.Abs(x));
        return 4 * u / ((1 + u) * (1 + u));
    }

    private static double MishDerivative(double x, out double scale)
    {
        double sp = Softplus(x), t = Math.Tanh(sp), c = Math.Cosh(sp);
        double second = x * Sigmoid(x) / (c * c);
        scale = Math.Abs(t) + Math.Abs(second); // the two terms cancel near the minimum at x = -1.19
        return t + second;
    }

    private delegate void Map(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>The worst |y - ref| / scale over the sweep (scale = |ref| unless given), reported and returned.</summary>
    private double Worst(string name, Map f, Func<double, double> reference, Func<double, double>? scale = null)
    {
        var y = new float[X.Length];
        f(X, y);
        double worst = 0;
        float at = 0;
        for (int i = 0; i < X.Length; i++)
        {
            double r = reference(X[i]);
            // Subnormal results are measured against the smallest normal float: they have fewer digits by nature.
            double s = scale?.Invoke(X[i]) ?? (r == 0 ? 0 : Math.Max(Math.Abs(r), MinNormal));
            Assert.False(float.IsNaN(y[i]), $"{name}({X[i]:R}) is NaN");
            if (s == 0) { Assert.True(y[i] == 0, $"{name}({X[i]:R}) = {y[i]:R}, expected 0"); continue; }
            double e = Math.Abs(y[i] - r) / s;
            if (e > worst) { worst = e; at = X[i]; }
        }
        output.WriteLine($"{name,-16} max relative error {worst:E2} at x = {at:R} ({X.Length} inputs)");
        return worst;
    }

    private static Map Backward(Action<float[], float[], float[]> backward) => (x, y) =>
    {
        var ones = new float[x.Length];
        Array.Fill(ones, 1f);
        var d = new float[x.Length];
        backward(x.ToArray(), ones, d);
        d.CopyTo(y);
    };

    [Fact]
    public void Tanh_is_within_its_bound_everywhere()
    {
        Assert.True(Worst("tanh", EdgeLoss.Activations.Tanh, Math.Tanh) <= TanhBound);
        Assert.True(Worst("tanh'", Backward((x, g, d) => EdgeLoss.Activations.TanhBackward(x, g, d)), TanhDerivative) <= TanhDerivativeBound);
    }

    [Fact]
    public void Softplus_is_within_its_bound_everywhere()
    {
        Assert.True(Worst("softplus", (x, y) => EdgeLoss.Activations.Softplus(x, y), Softplus) <= SoftplusBound);
        Assert.True(Worst("softplus'", Backward((x, g, d) => EdgeLoss.Activations.SoftplusBackward(x, g, d)), Sigmoid) <= SoftplusDerivativeBound);
    }

    [Fact]
    public void Mish_is_within_its_bound_everywhere()
    {
        Assert.True(Worst("mish", EdgeLoss.Activations.Mish, x => x * Math.Tanh(Softplus(x))) <= MishBound);
        Assert.True(Worst("mish'", Backward((x, g, d) => EdgeLoss.Activations.MishBackward(x, g, d)),
            x => MishDerivative(x, out _), x => { MishDerivative(x, out double s); return s; }) <= MishDerivativeBound);
    }

    [Fact]
    public void ELU_is_within_its_bound_everywhere()
    {
        Assert.True(Worst("elu", (x, y) => EdgeLoss.Activations.ELU(x, y), x => x > 0 ? x : Expm1(x)) <= EluBound);
    }

    // Measured worst cases (see the test output) with a margin of about 10 %; a float ulp is 6e-8 to 1.2e-7 relative.
    // Before the polynomial kernels (Kahan expm1, Goldberg log1p, Vector.Exp) the same sweep measured tanh 4.6e-7,
    // tanh' 3.6e-7, softplus 3.2e-7, softplus' 2.4e-7, mish 3.3e-7, mish' 3.7e-7, ELU 2.9e-7.
    private const double TanhBound = 1.9e-7, TanhDerivativeBound = 2.8e-7, SoftplusBound = 2.3e-7, SoftplusDerivativeBound = 2.1e-7, MishBound = 2.9e-7, MishDerivativeBound = 3.3e-7, EluBound = 1e-7;

    [Fact]
    public void Tanh_keeps_the_sign_of_zero_and_is_odd()
    {
        var y = new float[X.Length];
        EdgeLoss.Activations.Tanh(X, y);
        float[] zeros = [0f, -0f];
        var z = new float[2];
        EdgeLoss.Activations.Tanh(zeros, z);
        Assert.Equal(BitConverter.SingleToInt32Bits(0f), BitConverter.SingleToInt32Bits(z[0]));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(z[1]));
        // Inputs() adds every value with its negation right after it.
        for (int i = 0; i + 1 < X.Length; i += 2)
            Assert.True(y[i] == -y[i + 1], $"tanh({X[i]:R}) = {y[i]:R} but tanh({X[i + 1]:R}) = {y[i + 1]:R}");
    }

    [Fact]
    public void Tails_and_NaN_are_exact()
    {
        float[] x = [9.1f, 20f, 88f, 1e4f, float.MaxValue, float.PositiveInfinity, float.NaN];
        var y = new float[x.Length];
        EdgeLoss.Activations.Tanh(x, y);
        for (int i = 0; i < x.Length - 1; i++)
            Assert.True(y[i] == 1f, $"tanh({x[i]:R}) = {y[i]:R}");
        Assert.True(float.IsNaN(y[^1]));
        var m = x.Select(v => -v).ToArray();
        EdgeLoss.Activations.Tanh(m, y);
        for (int i = 0; i < x.Length - 1; i++)
            Assert.True(y[i] == -1f, $"tanh({m[i]:R}) = {y[i]:R}");
        EdgeLoss.Activations.Softplus(m, y);
        Assert.True(float.IsNaN(y[^1]));
        EdgeLoss.Activations.Mish(m, y);
        Assert.True(float.IsNaN(y[^1]));
    }

    [Fact]
    public void Monotone_across_each_switch_point()
    {
        foreach (float s in Switches)
            foreach (float t in new[] { s, s / 2 })
            {
                var x = new float[8193];
                for (int d = 0; d < x.Length; d++)
                    x[d] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(t) + d - 4096);
                var y = new float[x.Length];
                // Only tanh and ELU switch formulas (expm1's polynomial / exp); the others are one formula throughout.
                foreach (var (name, f) in new (string, Map)[]
                         {
                             ("tanh", EdgeLoss.Activations.Tanh),
                             ("elu(-x)", (a, b) => { var n = a.ToArray(); for (int i = 0; i < n.Length; i++) n[i] = -n[i]; EdgeLoss.Activations.ELU(n, b); }),
                         })
                {
                    f(x, y);
                    bool increasing = name != "elu(-x)";
                    for (int i = 1; i < x.Length; i++)
                        Assert.True(increasing ? y[i] >= y[i - 1] : y[i] <= y[i - 1],
                            $"{name} not monotone at {x[i - 1]:R} -> {x[i]:R}: {y[i - 1]:R} -> {y[i]:R}");
                }
            }
    }
}
