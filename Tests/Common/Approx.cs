namespace EdgeLoss.Tests.Common;

/// <summary>Element-wise comparison with a combined tolerance |a - e| <= abs + rel * |e|, reporting the worst element.</summary>
public static class Approx
{
    public static void Equal(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rel, double abs, string what = "value")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            Equal(expected[i], actual[i], rel, abs, $"{what}[{i}]");
    }

    public static void Equal(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rel, double abs, string what = "value")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            Equal(expected[i], actual[i], rel, abs, $"{what}[{i}]");
    }

    public static void Equal(double expected, double actual, double rel, double abs, string what = "value")
    {
        if (double.IsNaN(expected)) { Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual:R}"); return; }
        if (double.IsInfinity(expected)) { Assert.True(expected == actual, $"{what}: expected {expected}, got {actual:R}"); return; }
        double err = Math.Abs(actual - expected);
        Assert.True(err <= abs + rel * Math.Abs(expected),
            $"{what}: expected {expected:R}, got {actual:R} (error {err:E3} > {abs:E1} + {rel:E1} * |expected|)");
    }

    /// <summary>Rounds to <paramref name="digits"/> decimals the way the spec's tables print, then compares exactly.</summary>
    public static void Printed(double printed, double actual, int digits, string what = "value") =>
        Assert.True(Math.Round(actual, digits, MidpointRounding.AwayFromZero) == printed,
            $"{what}: {actual:R} does not print as {printed} at {digits} decimals");
}

/// <summary>Central finite differences: checks an analytic gradient against (f(x + h) - f(x - h)) / 2h per element.</summary>
public static class GradCheck
{
    /// <param name="f">the scalar function, evaluated in whatever precision the code under test uses</param>
    /// <param name="x">the point (restored after each probe)</param>
    /// <param name="analytic">the gradient to check, same length as x</param>
    public static void Check(Func<float[], double> f, float[] x, ReadOnlySpan<float> analytic, double h = 1e-3, double rel = 2e-2, double abs = 2e-3, string what = "grad")
    {
        Assert.Equal(x.Length, analytic.Length);
        for (int i = 0; i < x.Length; i++)
        {
            float saved = x[i];
            x[i] = (float)(saved + h); double fp = f(x);
            x[i] = (float)(saved - h); double fm = f(x);
            double step = (double)(float)(saved + h) - (double)(float)(saved - h);
            x[i] = saved;
            double numeric = (fp - fm) / step;
            Approx.Equal(numeric, analytic[i], rel, abs, $"{what}[{i}]");
        }
    }
}
