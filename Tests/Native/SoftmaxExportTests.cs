using System.Runtime.InteropServices;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Native;

/// <summary>el_softmax, el_log_softmax, el_logsumexp, el_cross_entropy(_soft) called as a C host calls them.</summary>
[Collection(NativeCollection.Name)]
public sealed unsafe class SoftmaxExportTests(NativeLibraryFixture lib)
{
    private string LastError() => Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<byte*>)lib.Export("el_last_error"))())!;

    private int Softmax(float[] x, int rows, int cols, float t, float[] y)
    {
        var f = (delegate* unmanaged<float*, int, int, float, float*, int>)lib.Export("el_softmax");
        fixed (float* px = x, py = y) return f(px, rows, cols, t, py);
    }

    private int CrossEntropy(float[] logits, int[] target, int rows, int cols, float[]? weight, int ignore, float smoothing, int reduction, float[] loss, float[]? grad)
    {
        var f = (delegate* unmanaged<float*, int*, int, int, float*, int, float, int, float*, float*, int>)lib.Export("el_cross_entropy");
        fixed (float* pl = logits, pw = weight, plo = loss, pg = grad)
        fixed (int* pt = target)
            return f(pl, pt, rows, cols, pw, ignore, smoothing, reduction, plo, pg);
    }

    [Fact]
    public void Softmax_reproduces_the_worked_values_and_the_managed_result()
    {
        var y = new float[8];
        Assert.Equal(0, Softmax([1, 2, 3, 4, 1000, 1001, 1002, float.NegativeInfinity], 2, 4, 1f, y));
        double[] printed = [0.0321, 0.0871, 0.2369, 0.6439];
        for (int i = 0; i < 4; i++) Approx.Printed(printed[i], y[i], 4, $"y[{i}]");
        Approx.Printed(0.0900, y[4], 4); Approx.Printed(0.2447, y[5], 4); Approx.Printed(0.6652, y[6], 4);
        Assert.Equal(0f, y[7]);

        var managed = new float[8];
        Functional.Softmax([1, 2, 3, 4, 1000, 1001, 1002, float.NegativeInfinity], 4, managed, 2.5f);
        Assert.Equal(0, Softmax([1, 2, 3, 4, 1000, 1001, 1002, float.NegativeInfinity], 2, 4, 2.5f, y));
        Approx.Equal(managed, y, 1e-5, 1e-6, "y");
    }

    [Fact]
    public void Log_softmax_and_logsumexp_match_the_managed_functions()
    {
        float[] x = [1, 2, 3, 4, -1, 0.5f, 7, 2];
        var y = new float[8]; var lse = new float[2];
        var logSoftmax = (delegate* unmanaged<float*, int, int, float*, int>)lib.Export("el_log_softmax");
        var logSumExp = (delegate* unmanaged<float*, int, int, float*, int>)lib.Export("el_logsumexp");
        fixed (float* px = x, py = y, pl = lse)
        {
            Assert.Equal(0, logSoftmax(px, 2, 4, py));
            Assert.Equal(0, logSumExp(px, 2, 4, pl));
        }
        double[] printed = [-3.4402, -2.4402, -1.4402, -0.4402];
        for (int i = 0; i < 4; i++) Approx.Printed(printed[i], y[i], 4, $"y[{i}]");
        var expected = new float[2];
        Functional.LogSumExp(x, 4, expected);
        Approx.Equal(expected, lse, 1e-5, 1e-6, "lse");
    }

    [Fact]
    public void Cross_entropy_reproduces_the_worked_values_with_gradient()
    {
        float[] logits = [1, 2, 7, 4, 7, 9, 8, 3, 4];
        int[] target = [2, 2, 0];
        var none = new float[3];
        Assert.Equal(0, CrossEntropy(logits, target, 3, 3, null, -100, 0f, 0, none, null));
        Approx.Printed(0.0092, none[0], 4); Approx.Printed(0.1328, none[1], 4); Approx.Printed(0.0247, none[2], 4);

        var mean = new float[1]; var grad = new float[9];
        Assert.Equal(0, CrossEntropy(logits, target, 3, 3, null, -100, 0f, 1, mean, grad));
        Approx.Printed(0.0556, mean[0], 4);
        var sum = new float[1];
        Assert.Equal(0, CrossEntropy(logits, target, 3, 3, null, -100, 0f, 2, sum, null));
        Approx.Printed(0.1668, sum[0], 4);

        var expected = new float[9];
        global::EdgeLoss.Losses.CrossEntropy(logits, target, new float[1], expected, CrossEntropyOptions.Default);
        Approx.Equal(expected, grad, 1e-5, 1e-6, "grad");
    }

    [Fact]
    public void Cross_entropy_with_weights_ignore_index_and_smoothing_matches_the_managed_loss()
    {
        float[] logits = [1, 2, 7, 4, 7, 9, 8, 3, 4];
        int[] target = [2, 5, 0];
        float[] weight = [0.2f, 1f, 3f];
        var loss = new float[1]; var grad = new float[9];
        Assert.Equal(0, CrossEntropy(logits, target, 3, 3, weight, 5, 0.1f, 1, loss, grad));
        var options = new CrossEntropyOptions { Weight = weight, IgnoreIndex = 5, LabelSmoothing = 0.1f };
        var expectedGrad = new float[9];
        var expectedLoss = new float[1];
        global::EdgeLoss.Losses.CrossEntropy(logits, target, expectedLoss, expectedGrad, options);
        Approx.Equal(expectedLoss, loss, 1e-5, 1e-6, "loss");
        Approx.Equal(expectedGrad, grad, 1e-5, 1e-6, "grad");
    }

    [Fact]
    public void Soft_targets_match_the_managed_loss()
    {
        float[] logits = [1, 2, 7, 4, 7, 9];
        float[] target = [0.1f, 0.2f, 0.7f, 0f, 0f, 1f];
        var loss = new float[2]; var grad = new float[6];
        var f = (delegate* unmanaged<float*, float*, int, int, float*, float, int, float*, float*, int>)lib.Export("el_cross_entropy_soft");
        fixed (float* pl = logits, pt = target, plo = loss, pg = grad)
            Assert.Equal(0, f(pl, pt, 2, 3, null, 0f, 0, plo, pg));
        var expectedLoss = new float[2]; var expectedGrad = new float[6];
        global::EdgeLoss.Losses.CrossEntropy(logits, target, 3, expectedLoss, expectedGrad, new CrossEntropyOptions { Reduction = Reduction.None });
        Approx.Equal(expectedLoss, loss, 1e-5, 1e-6, "loss");
        Approx.Equal(expectedGrad, grad, 1e-5, 1e-6, "grad");
    }

    [Fact]
    public void Bad_input_returns_its_status_names_the_argument_and_leaves_outputs_alone()
    {
        var y = new float[] { 42, 42, 42, 42 };
        Assert.Equal(2, Softmax([1, float.NaN, 3, 4], 2, 2, 1f, y));
        Assert.Equal("x[1] = NaN is not finite", LastError());
        Assert.Equal(2, Softmax([1, 2, float.NegativeInfinity, float.NegativeInfinity], 2, 2, 1f, y));
        Assert.StartsWith("x[2..3] are all -inf", LastError());
        Assert.Equal(1, Softmax([1, 2, 3, 4], 0, 4, 1f, y));
        Assert.Equal("rows = 0 must be >= 1", LastError());
        Assert.Equal(1, Softmax([1, 2, 3, 4], 1, 4, 0f, y));
        Assert.Contains("temperature = 0", LastError());
        Assert.All(y, v => Assert.Equal(42f, v));

        var f = (delegate* unmanaged<float*, int, int, float, float*, int>)lib.Export("el_softmax");
        fixed (float* py = y) Assert.Equal(1, f(null, 1, 4, 1f, py));
        Assert.Equal("x is NULL", LastError());

        var loss = new float[] { 42 };
        Assert.Equal(1, CrossEntropy(new float[40], [0, 1, 2, 12], 4, 10, null, -100, 0f, 1, loss, null));
        Assert.Equal("target[3] = 12 is outside [0, 10)", LastError());
        Assert.Equal(1, CrossEntropy([1, 2, 3], [0], 1, 3, null, -100, 0f, 7, loss, null));
        Assert.Contains("reduction = 7", LastError());
        Assert.Equal(1, CrossEntropy([1, 2, 3], [0], 1, 3, null, -100, 1.5f, 1, loss, null));
        Assert.Equal("label_smoothing = 1.5 is outside [0, 1]", LastError());
        Assert.Equal(42f, loss[0]);
    }
}
