using System.Text.Json;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Activations;

public class ActivationTests
{
    private const string File = "Activations/activations.json";

    public static TheoryData<string, int> Cases => Fixture.Names(File);

    // Relative 1e-5 with an absolute floor far below float's normal range: the tails (sigmoid(-20) = 2.06e-9,
    // mish(-88) = -5.3e-37) must keep their relative accuracy, not just be "small". Derivatives that cross zero
    // (Swish and Mish have a minimum, where f' = 0) get the usual 1e-6 floor, since a float32 relative error of
    // their terms is an absolute error near the zero.
    // ELU is the exception: torch computes exp(x) - 1 in double, so its reference is itself only good to ~1e-16
    // absolute near 0 (ELU(-1e-20) is 0 there; here -1e-20); Small_outputs_keep_their_relative_accuracy checks ELU's
    // small values against expm1 instead.
    private const double Rel = 1e-5, AbsValue = 1e-30, AbsValueElu = 1e-15, AbsDerivative = 1e-6;

    private static Activation FromCase(JsonElement c)
    {
        var kind = Enum.Parse<ActivationKind>(c.Str("kind"));
        var a = c.Has("parameter") ? new Activation(kind, (float)c.Scalar("parameter")) : new Activation(kind);
        return c.Has("threshold") ? a with { Threshold = (float)c.Scalar("threshold") } : a;
    }

    /// <summary>The named function of <see cref="EdgeLoss.Activations"/> for a case (not the dispatching record).</summary>
    private static void Direct(Activation a, float[] x, float[] y)
    {
        switch (a.Kind)
        {
            case ActivationKind.Linear: EdgeLoss.Activations.Linear(x, y); break;
            case ActivationKind.Sigmoid: EdgeLoss.Activations.Sigmoid(x, y); break;
            case ActivationKind.Tanh: EdgeLoss.Activations.Tanh(x, y); break;
            case ActivationKind.ReLU: EdgeLoss.Activations.ReLU(x, y); break;
            case ActivationKind.ReLU6: EdgeLoss.Activations.ReLU6(x, y); break;
            case ActivationKind.LeakyReLU: EdgeLoss.Activations.LeakyReLU(x, y, a.Parameter); break;
            case ActivationKind.PReLU: EdgeLoss.Activations.PReLU(x, y, a.Parameter); break;
            case ActivationKind.ELU: EdgeLoss.Activations.ELU(x, y, a.Parameter); break;
            case ActivationKind.Swish: EdgeLoss.Activations.Swish(x, y, a.Parameter); break;
            case ActivationKind.SiLU: EdgeLoss.Activations.SiLU(x, y); break;
            case ActivationKind.Mish: EdgeLoss.Activations.Mish(x, y); break;
            case ActivationKind.Softplus: EdgeLoss.Activations.Softplus(x, y, a.Parameter, a.Threshold); break;
            default: throw new ArgumentOutOfRangeException(nameof(a));
        }
    }

    private static void DirectBackward(Activation a, float[] x, float[] g, float[] gi)
    {
        switch (a.Kind)
        {
            case ActivationKind.Linear: EdgeLoss.Activations.LinearBackward(x, g, gi); break;
            case ActivationKind.Sigmoid: EdgeLoss.Activations.SigmoidBackward(x, g, gi); break;
            case ActivationKind.Tanh: EdgeLoss.Activations.TanhBackward(x, g, gi); break;
            case ActivationKind.ReLU: EdgeLoss.Activations.ReLUBackward(x, g, gi); break;
            case ActivationKind.ReLU6: EdgeLoss.Activations.ReLU6Backward(x, g, gi); break;
            case ActivationKind.LeakyReLU: EdgeLoss.Activations.LeakyReLUBackward(x, g, gi, a.Parameter); break;
            case ActivationKind.PReLU: EdgeLoss.Activations.PReLUBackward(x, g, gi, a.Parameter); break;
            case ActivationKind.ELU: EdgeLoss.Activations.ELUBackward(x, g, gi, a.Parameter); break;
            case ActivationKind.Swish: EdgeLoss.Activations.SwishBackward(x, g, gi, a.Parameter); break;
            case ActivationKind.SiLU: EdgeLoss.Activations.SiLUBackward(x, g, gi); break;
            case ActivationKind.Mish: EdgeLoss.Activations.MishBackward(x, g, gi); break;
            case ActivationKind.Softplus: EdgeLoss.Activations.SoftplusBackward(x, g, gi, a.Parameter, a.Threshold); break;
            default: throw new ArgumentOutOfRangeException(nameof(a));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torch(string name, int index)
    {
        var c = Fixture.Cases(File)[index];
        var a = FromCase(c);
        float[] x = c.Floats("x"), g = c.Floats("grad_output");
        int n = x.Length;

        var y = new float[n];
        a.Forward(x, y);
        Approx.Equal(c.Doubles("y"), y, Rel, a.Kind == ActivationKind.ELU ? AbsValueElu : AbsValue, $"{name} y");
        var y2 = new float[n];
        Direct(a, x, y2);
        Assert.Equal(y, y2);

        var ones = Enumerable.Repeat(1f, n).ToArray();
        var derivative = new float[n];
        a.Backward(x, ones, derivative);
        Approx.Equal(c.Doubles("derivative"), derivative, Rel, AbsDerivative, $"{name} derivative");

        var gradInput = new float[n];
        a.Backward(x, g, gradInput);
        Approx.Equal(c.Doubles("grad_input"), gradInput, Rel, AbsDerivative, $"{name} grad_input");
        var gradInput2 = new float[n];
        DirectBackward(a, x, g, gradInput2);
        Assert.Equal(gradInput, gradInput2);

        if (a.Kind == ActivationKind.PReLU)
            Approx.Equal(c.Scalar("grad_parameter"), EdgeLoss.Activations.PReLUBackward(x, g, gradInput2, a.Parameter), 1e-6, 1e-6, $"{name} d/da");
    }

    public static TheoryData<ActivationKind> Kinds => new(Enum.GetValues<ActivationKind>());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Derivatives_pass_finite_differences(ActivationKind kind)
    {
        // Points away from every kink (0, 6) and from softplus' switch (beta x = 20), in double-checked float.
        var rng = new Random(41 + (int)kind);
        var x = Enumerable.Range(0, 24).Select(i => (float)((i % 2 == 0 ? 1 : -1) * (0.1 + 7.5 * rng.NextDouble()))).ToArray();
        for (int i = 0; i < x.Length; i++)
            if (Math.Abs(x[i] - 6) < 0.1) x[i] += 0.3f;
        var g = Enumerable.Range(0, 24).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var a = kind is ActivationKind.Linear or ActivationKind.Sigmoid or ActivationKind.Tanh or ActivationKind.ReLU
            or ActivationKind.ReLU6 or ActivationKind.SiLU or ActivationKind.Mish
            ? new Activation(kind)
            : new Activation(kind, kind == ActivationKind.Softplus ? 1.5f : 0.3f);
        var analytic = new float[x.Length];
        a.Backward(x, g, analytic);
        var y = new float[x.Length];
        GradCheck.Check(p =>
        {
            a.Forward(p, y);
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += (double)g[i] * y[i];
            return s;
        }, x, analytic, h: 1e-2, rel: 1e-2, abs: 1e-3, what: kind.ToString());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Extremes_are_finite_with_exact_limits(ActivationKind kind)
    {
        float[] x = [-1e30f, -1e4f, 1e4f, 1e30f];
        var a = new Activation(kind);
        var y = new float[4];
        var d = new float[4];
        a.Forward(x, y);
        a.Backward(x, [1f, 1f, 1f, 1f], d);
        Assert.All(y, v => Assert.True(float.IsFinite(v), $"{kind}: y = {v}"));
        Assert.All(d, v => Assert.True(float.IsFinite(v), $"{kind}: f' = {v}"));
        float[] expected = kind switch
        {
            ActivationKind.Linear => x,
            ActivationKind.Sigmoid => [0f, 0f, 1f, 1f],
            ActivationKind.Tanh => [-1f, -1f, 1f, 1f],
            ActivationKind.ReLU => [0f, 0f, 1e4f, 1e30f],
            ActivationKind.ReLU6 => [0f, 0f, 6f, 6f],
            ActivationKind.LeakyReLU => [-1e30f * 0.01f, -1e4f * 0.01f, 1e4f, 1e30f],
            ActivationKind.PReLU => [-2.5e29f, -2500f, 1e4f, 1e30f],
            ActivationKind.ELU => [-1f, -1f, 1e4f, 1e30f],
            _ => [0f, 0f, 1e4f, 1e30f],   // Swish, SiLU, Mish, Softplus
        };
        Assert.Equal(expected, y);
        float[] expectedDerivative = kind switch
        {
            ActivationKind.Linear => [1f, 1f, 1f, 1f],
            ActivationKind.Sigmoid or ActivationKind.Tanh or ActivationKind.ReLU6 => [0f, 0f, 0f, 0f],
            ActivationKind.LeakyReLU => [0.01f, 0.01f, 1f, 1f],
            ActivationKind.PReLU => [0.25f, 0.25f, 1f, 1f],
            _ => [0f, 0f, 1f, 1f],   // ReLU, ELU, Swish, SiLU, Mish, Softplus
        };
        Assert.Equal(expectedDerivative, d);
    }

    [Fact]
    public void Small_outputs_keep_their_relative_accuracy()
    {
        // Where textbook formulas round to 0 or lose digits: 1 - exp(x) near 0, log(1 + tiny), 1 - sigmoid(large).
        float[] x = [-1e-6f, -20f, 20f, 1e-4f];
        var y = new float[4];
        EdgeLoss.Activations.ELU(x.AsSpan(0, 1), y.AsSpan(0, 1));
        Approx.Equal(Math.Exp(-1e-6) - 1, y[0], 1e-6, 0, "ELU(-1e-6)");
        EdgeLoss.Activations.Softplus(x.AsSpan(1, 1), y.AsSpan(1, 1));
        Approx.Equal(Math.Log(1 + Math.Exp(-20.0)), y[1], 1e-6, 0, "softplus(-20)");
        var d = new float[1];
        EdgeLoss.Activations.SigmoidBackward(x.AsSpan(2, 1), [1f], d);
        Approx.Equal(Math.Exp(-20.0) / Math.Pow(1 + Math.Exp(-20.0), 2), d[0], 1e-6, 0, "sigmoid'(20)");
        EdgeLoss.Activations.Tanh(x.AsSpan(3, 1), y.AsSpan(3, 1));
        Approx.Equal(Math.Tanh(1e-4), y[3], 1e-6, 0, "tanh(1e-4)");
    }

    [Fact]
    public void A_value_does_not_depend_on_its_position_in_the_span()
    {
        // The vector body and the padded tail run the same formula, so element i alone equals element i in a batch.
        var rng = new Random(43);
        var x = Enumerable.Range(0, 37).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            var a = new Activation(kind);
            var all = new float[x.Length];
            a.Forward(x, all);
            var one = new float[1];
            for (int i = 0; i < x.Length; i++)
            {
                a.Forward(x.AsSpan(i, 1), one);
                Assert.True(all[i].Equals(one[0]), $"{kind}: x[{i}] = {x[i]}: {all[i]:R} in a batch, {one[0]:R} alone");
            }
        }
    }

    [Fact]
    public void In_place_works_and_shifted_overlap_is_rejected()
    {
        float[] x = [-2f, -0.5f, 0f, 0.5f, 2f, 7f, 1e4f, -1e4f, 3f, -3f];
        var expected = new float[x.Length];
        EdgeLoss.Activations.Mish(x, expected);
        var buffer = (float[])x.Clone();
        EdgeLoss.Activations.Mish(buffer, buffer);
        Assert.Equal(expected, buffer);

        var g = Enumerable.Range(0, x.Length).Select(i => i * 0.5f - 2f).ToArray();
        var gi = new float[x.Length];
        EdgeLoss.Activations.ELUBackward(x, g, gi);
        EdgeLoss.Activations.ELUBackward(x, g, g);
        Assert.Equal(gi, g);

        var e = Assert.Throws<ArgumentException>(() => EdgeLoss.Activations.Sigmoid(x.AsSpan(0, 8), x.AsSpan(1, 8)));
        Assert.Contains("y overlaps an input at an offset of", e.Message);
    }

    [Fact]
    public void Nan_propagates_through_every_forward()
    {
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            var y = new float[3];
            new Activation(kind).Forward([1f, float.NaN, -1f], y);
            Assert.True(float.IsNaN(y[1]), $"{kind}: f(NaN) = {y[1]}");
            Assert.False(float.IsNaN(y[0]) || float.IsNaN(y[2]), kind.ToString());
        }
    }

    [Fact]
    public void Defaults_are_torchs()
    {
        Assert.Equal(0.01f, new Activation(ActivationKind.LeakyReLU).Parameter);
        Assert.Equal(0.25f, new Activation(ActivationKind.PReLU).Parameter);
        Assert.Equal(1f, new Activation(ActivationKind.ELU).Parameter);
        Assert.Equal(1f, new Activation(ActivationKind.Swish).Parameter);
        Assert.Equal(1f, new Activation(ActivationKind.Softplus).Parameter);
        Assert.Equal(20f, new Activation(ActivationKind.Softplus).Threshold);

        // Swish with beta 1 is SiLU, bit for bit.
        float[] x = [-3f, -1f, 0.5f, 2f, 9f];
        float[] a = new float[5], b = new float[5];
        EdgeLoss.Activations.Swish(x, a);
        EdgeLoss.Activations.SiLU(x, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Bad_arguments_are_rejected_with_name_and_value()
    {
        float[] x = [1f, 2f, 3f];
        var e = Assert.Throws<ArgumentException>(() => EdgeLoss.Activations.Tanh(x, new float[2]));
        Assert.Contains("y has length 2, expected 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => EdgeLoss.Activations.TanhBackward(x, new float[3], new float[4]));
        Assert.Contains("gradInput has length 4, expected 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => EdgeLoss.Activations.ReLUBackward(x, new float[2], new float[3]));
        Assert.Contains("gradOutput has length 2, expected 3", e.Message);

        var n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Activations.LeakyReLU(x, new float[3], float.NaN));
        Assert.Contains("negativeSlope = NaN must be finite", n.Message);
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Activations.Softplus(x, new float[3], beta: 0f));
        Assert.Contains("beta = 0 must be finite and > 0", r.Message);
        n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Activations.ELU(x, new float[3], float.PositiveInfinity));
        Assert.Contains("alpha = Infinity must be finite", n.Message);

        n = Assert.Throws<NonFiniteInputException>(() => new Activation(ActivationKind.PReLU, float.NaN).Backward(x, x, new float[3]));
        Assert.Contains("Parameter = NaN of PReLU must be finite", n.Message);
        r = Assert.Throws<ArgumentOutOfRangeException>(() => new Activation(ActivationKind.Softplus, -1f).Forward(x, new float[3]));
        Assert.Contains("Parameter = -1 (Softplus' beta) must be > 0", r.Message);
        r = Assert.Throws<ArgumentOutOfRangeException>(() => new Activation((ActivationKind)42, 0f).Forward(x, new float[3]));
        Assert.Contains("Kind = 42 is not a defined ActivationKind", r.Message);
    }

    [Fact]
    public void Does_not_allocate()
    {
        var x = Enumerable.Range(0, 203).Select(i => MathF.Sin(i) * 10).ToArray();
        var y = new float[203];
        var g = new float[203];
        var mish = new Activation(ActivationKind.Mish);
        var softplus = new Activation(ActivationKind.Softplus, 2f);
        Losses.PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Activations.Sigmoid(x, y));
        Losses.PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Activations.TanhBackward(x, y, g));
        Losses.PointwiseLossCases.AssertNoAllocation(() => mish.Forward(x, y));
        Losses.PointwiseLossCases.AssertNoAllocation(() => softplus.Backward(x, y, g));
        Losses.PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Activations.PReLUBackward(x, y, g, 0.25f));
    }
}
