using System.Text.Json;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Losses;

/// <summary>
/// Runs one golden case of an element-wise loss (tools/golden/losses.py) through the span API and through the
/// convenience overload, and compares loss values and gradients with the float64 reference.
/// </summary>
internal static class PointwiseLossCases
{
    /// <summary>float32 code vs a float64 reference on the same float32 inputs: relative 1e-5 with an absolute floor of 1e-6.</summary>
    public const double Rel = 1e-5, Abs = 1e-6;

    /// <summary>The signature shared by the span overloads once their options are bound.</summary>
    public delegate void SpanLoss(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss, Span<float> gradient);

    /// <summary>The convenience overloads (reduced value, optional gradient) once their options are bound.</summary>
    public delegate float ReducedLoss(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> gradient);

    public static Reduction ParseReduction(JsonElement c) => c.Str("reduction") switch
    {
        "none" => Reduction.None,
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        var r => throw new FormatException($"reduction {r}"),
    };

    public static void Check(JsonElement c, SpanLoss spanLoss, ReducedLoss? reducedLoss, bool perElement)
    {
        float[] input = c.Floats("input"), target = c.Floats("target");
        double[] value = c.Doubles("value"), grad = c.Doubles("grad");
        string name = c.Str("name");

        var loss = new float[perElement ? input.Length : 1];
        var gradient = new float[input.Length];
        spanLoss(input, target, loss, gradient);
        Approx.Equal(value, loss, Rel, Abs, $"{name} loss");
        Approx.Equal(grad, gradient, Rel, Abs, $"{name} gradient");

        // Without a gradient span the values are the same (the gradient is simply not written).
        var lossOnly = new float[loss.Length];
        spanLoss(input, target, lossOnly, default);
        Assert.Equal(loss, lossOnly);

        if (reducedLoss is not null && !perElement)
        {
            var gradient2 = new float[input.Length];
            float reduced = reducedLoss(input, target, gradient2);
            Assert.Equal(loss[0], reduced);
            Assert.Equal(gradient, gradient2);
        }
    }

    /// <summary>Asserts that <paramref name="action"/> allocates nothing over many calls (after a warm-up call).</summary>
    public static void AssertNoAllocation(Action action, int calls = 2000)
    {
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++)
            action();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated over {calls} calls");
    }

    /// <summary>Central-difference check of a reduced loss: <paramref name="f"/> returns the loss and writes the gradient.</summary>
    public static void GradientCheck(float[] x, Func<float[], Span<float>, float> f, double h = 1e-3, string what = "grad")
    {
        var analytic = new float[x.Length];
        f(x, analytic);
        GradCheck.Check(p => f(p, default), x, analytic, h: h, what: what);
    }
}
