using System.Text.Json;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Softmax;

public class SoftmaxTests
{
    private const string Golden = "Softmax/softmax.json";
    private static readonly IReadOnlyList<JsonElement> Cases = Fixture.Cases(Golden);

    public static TheoryData<string, int> GoldenCases => Fixture.Names(Golden);

    // ------------------------------------------------------------------------------------------------------------
    // semantics.md section 1, worked values
    // ------------------------------------------------------------------------------------------------------------

    [Fact]
    public void Softmax_of_1_2_3_4_prints_as_the_table()
    {
        var y = new float[4];
        Functional.Softmax([1f, 2f, 3f, 4f], y);
        double[] printed = [0.0321, 0.0871, 0.2369, 0.6439];
        for (int i = 0; i < 4; i++) Approx.Printed(printed[i], y[i], 4, $"softmax[{i}]");
    }

    [Fact]
    public void LogSoftmax_of_1_2_3_4_prints_as_the_table()
    {
        var y = new float[4];
        Functional.LogSoftmax([1f, 2f, 3f, 4f], y);
        double[] printed = [-3.4402, -2.4402, -1.4402, -0.4402];
        for (int i = 0; i < 4; i++) Approx.Printed(printed[i], y[i], 4, $"log_softmax[{i}]");
    }

    [Fact]
    public void Softmax_of_1_1_2_2_5_10_1_prints_as_the_table()
    {
        var y = new float[4];
        Functional.Softmax([1.1f, 2.2f, 5.0f, 10.1f], y);
        // Printed with 5 significant digits: 1.2260e-04, 3.6832e-04, 6.0568e-03, 9.9345e-01.
        Approx.Printed(1.2260e-04, y[0], 8, "softmax[0]");
        Approx.Printed(3.6832e-04, y[1], 8, "softmax[1]");
        Approx.Printed(6.0568e-03, y[2], 7, "softmax[2]");
        Approx.Printed(9.9345e-01, y[3], 5, "softmax[3]");
    }

    [Fact]
    public void Softmax_of_1000_1001_1002_does_not_overflow()
    {
        var y = new float[3];
        Functional.Softmax([1000f, 1001f, 1002f], y);
        double[] printed = [0.0900, 0.2447, 0.6652];
        for (int i = 0; i < 3; i++) Approx.Printed(printed[i], y[i], 4, $"softmax[{i}]");
        // The same values as softmax([0, 1, 2]): only differences of logits matter.
        var z = new float[3];
        Functional.Softmax([0f, 1f, 2f], z);
        Approx.Equal(z, y, rel: 1e-6, abs: 0, "shift invariance");
    }

    // ------------------------------------------------------------------------------------------------------------
    // Golden fixtures (PyTorch float64)
    // ------------------------------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(GoldenCases))]
    public void Batch_functions_match_torch(string name, int index)
    {
        JsonElement c = Cases[index];
        float[] x = c.Floats("x");
        int cols = c.Cols("x");
        float t = (float)c.Scalar("temperature");
        var y = new float[x.Length];

        Functional.Softmax(x, cols, y, t);
        SoftmaxReference.SoftmaxClose(c.Doubles("softmax"), y, $"{name} softmax");

        Functional.LogSoftmax(x, cols, y, t);
        SoftmaxReference.LogClose(c.Doubles("log_softmax"), y, $"{name} log_softmax");

        var lse = new float[x.Length / cols];
        Functional.LogSumExp(x, cols, lse);
        SoftmaxReference.LogClose(c.Doubles("logsumexp"), lse, $"{name} logsumexp");
    }

    [Theory, MemberData(nameof(GoldenCases))]
    public void Single_row_functions_match_torch_row_by_row(string name, int index)
    {
        JsonElement c = Cases[index];
        float[] x = c.Floats("x");
        int cols = c.Cols("x");
        float t = (float)c.Scalar("temperature");
        double[] p = c.Doubles("softmax"), lp = c.Doubles("log_softmax"), lse = c.Doubles("logsumexp");
        var y = new float[cols];
        for (int r = 0; r < x.Length / cols; r++)
        {
            ReadOnlySpan<float> row = x.AsSpan(r * cols, cols);
            if (t == 1f) Functional.Softmax(row, y); else Functional.Softmax(row, y, t);
            SoftmaxReference.SoftmaxClose(p.AsSpan(r * cols, cols), y, $"{name} row {r} softmax");
            if (t == 1f) Functional.LogSoftmax(row, y); else Functional.LogSoftmax(row, y, t);
            SoftmaxReference.LogClose(lp.AsSpan(r * cols, cols), y, $"{name} row {r} log_softmax");
            Approx.Equal(lse[r], Functional.LogSumExp(row), 1e-5, 1e-5, $"{name} row {r} logsumexp");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Accuracy and the vector paths
    // ------------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(100_000, 1f, 5.0)]
    [InlineData(100_000, 3f, 5.0)]
    [InlineData(100_003, 1f, 20.0)]    // a wide spread: outputs from ~1 down past 1e-30
    [InlineData(250_000, 0.7f, 2.0)]
    public void Long_rows_meet_the_accuracy_bar(int n, float temperature, double scale)
    {
        float[] x = SoftmaxReference.RandomLogits(n, seed: n, scale: scale);
        var (p, lp, lse) = SoftmaxReference.Row(x, temperature);
        var y = new float[n];
        Functional.Softmax(x, y, temperature);
        SoftmaxReference.SoftmaxClose(p, y, "softmax");
        Functional.LogSoftmax(x, y, temperature);
        SoftmaxReference.LogClose(lp, y, "log_softmax");
        Approx.Equal(lse, Functional.LogSumExp(x), 1e-5, 1e-5, "logsumexp");
        // The probabilities sum to 1 (the double accumulation leaves only the final rounding of each output).
        Functional.Softmax(x, y, temperature);
        double total = 0;
        foreach (float v in y) total += v;
        Assert.InRange(total, 1 - 1e-5, 1 + 1e-5);
    }

    [Fact]
    public void Every_length_from_1_to_70_matches_the_reference_with_and_without_masks()
    {
        // Covers the scalar path, whole vectors and every remainder length of the vector paths.
        for (int n = 1; n <= 70; n++)
        {
            float[] x = SoftmaxReference.RandomLogits(n, seed: 100 + n, scale: 4);
            if (n > 2) x[n - 1] = float.NegativeInfinity;          // a masked class in the remainder
            if (n > 5) x[n / 2] = float.NegativeInfinity;
            foreach (float t in new[] { 1f, 2.5f })
            {
                var (p, lp, lse) = SoftmaxReference.Row(x, t);
                var y = new float[n];
                Functional.Softmax(x, y, t);
                SoftmaxReference.SoftmaxClose(p, y, $"n={n} T={t} softmax");
                Functional.LogSoftmax(x, y, t);
                SoftmaxReference.LogClose(lp, y, $"n={n} T={t} log_softmax");
                if (t == 1f) Approx.Equal(lse, Functional.LogSumExp(x), 1e-5, 1e-5, $"n={n} logsumexp");
            }
        }
    }

    [Theory]
    [InlineData(1)] [InlineData(7)] [InlineData(8)] [InlineData(13)] [InlineData(16)] [InlineData(100)]
    public void Softmax_and_LogSoftmax_work_in_place(int n)
    {
        float[] x = SoftmaxReference.RandomLogits(n, seed: n, scale: 3);
        var expected = new float[n];
        Functional.Softmax(x, expected, 1.5f);
        float[] inPlace = (float[])x.Clone();
        Functional.Softmax(inPlace, inPlace, 1.5f);
        Assert.Equal(expected, inPlace);

        Functional.LogSoftmax(x, expected);
        inPlace = (float[])x.Clone();
        Functional.LogSoftmax(inPlace, inPlace);
        Assert.Equal(expected, inPlace);
    }

    [Fact]
    public void Masked_classes_get_probability_0_and_log_probability_minus_inf()
    {
        float[] x = [2f, float.NegativeInfinity, 0.5f, float.NegativeInfinity];
        var y = new float[4];
        Functional.Softmax(x, y);
        Assert.Equal(0f, y[1]);
        Assert.Equal(0f, y[3]);
        Approx.Equal(1 / (1 + Math.Exp(-1.5)), y[0], 1e-6, 0, "p0");
        Functional.LogSoftmax(x, y);
        Assert.Equal(float.NegativeInfinity, y[1]);
        Assert.Equal(float.NegativeInfinity, y[3]);
        Approx.Equal(-Math.Log(1 + Math.Exp(-1.5)), y[0], 1e-6, 1e-7, "logp0");
        Approx.Equal(2 + Math.Log(1 + Math.Exp(-1.5)), Functional.LogSumExp(x), 1e-7, 0, "lse");
    }

    [Fact]
    public void A_single_finite_logit_among_masked_ones_gets_probability_1()
    {
        var x = new float[20];
        Array.Fill(x, float.NegativeInfinity);
        x[13] = -7e5f;
        var y = new float[20];
        Functional.Softmax(x, y);
        for (int i = 0; i < 20; i++) Assert.Equal(i == 13 ? 1f : 0f, y[i]);
        Assert.Equal(-7e5f, Functional.LogSumExp(x));
    }

    [Fact]
    public void Temperature_flattens_and_sharpens()
    {
        float[] x = [1f, 2f, 3f];
        var y1 = new float[3];
        var y2 = new float[3];
        var yhalf = new float[3];
        Functional.Softmax(x, y1);
        Functional.Softmax(x, y2, 2f);
        Functional.Softmax(x, yhalf, 0.5f);
        Assert.True(y2[2] < y1[2] && y1[2] < yhalf[2]);
        // softmax(x / 2) = softmax([0.5, 1, 1.5])
        var direct = new float[3];
        Functional.Softmax([0.5f, 1f, 1.5f], direct);
        Approx.Equal(direct, y2, rel: 1e-6, abs: 0, "T=2");
        // T = 1 is the plain softmax, bit for bit.
        var t1 = new float[3];
        Functional.Softmax(x, t1, 1f);
        Assert.Equal(y1, t1);
    }

    [Fact]
    public void Batch_equals_row_by_row()
    {
        float[] x = SoftmaxReference.RandomLogits(7 * 11, seed: 5, scale: 3);
        var batch = new float[x.Length];
        var row = new float[11];
        Functional.Softmax(x, 11, batch, 1.7f);
        for (int r = 0; r < 7; r++)
        {
            Functional.Softmax(x.AsSpan(r * 11, 11), row, 1.7f);
            Assert.Equal(row, batch.AsSpan(r * 11, 11).ToArray());
        }
        Functional.LogSoftmax(x, 11, batch);
        var lse = new float[7];
        Functional.LogSumExp(x, 11, lse);
        var arg = new int[7];
        Functional.ArgMax(x, 11, arg);
        for (int r = 0; r < 7; r++)
        {
            Functional.LogSoftmax(x.AsSpan(r * 11, 11), row);
            Assert.Equal(row, batch.AsSpan(r * 11, 11).ToArray());
            Assert.Equal(Functional.LogSumExp(x.AsSpan(r * 11, 11)), lse[r]);
            Assert.Equal(Functional.ArgMax(x.AsSpan(r * 11, 11)), arg[r]);
        }
    }

    [Fact]
    public void An_empty_batch_is_a_no_op()
    {
        Functional.Softmax(ReadOnlySpan<float>.Empty, 4, Span<float>.Empty);
        Functional.LogSoftmax(ReadOnlySpan<float>.Empty, 4, Span<float>.Empty);
        Functional.LogSumExp(ReadOnlySpan<float>.Empty, 4, Span<float>.Empty);
        Functional.ArgMax(ReadOnlySpan<float>.Empty, 4, Span<int>.Empty);
    }

    // ------------------------------------------------------------------------------------------------------------
    // ArgMax
    // ------------------------------------------------------------------------------------------------------------

    [Fact]
    public void ArgMax_returns_the_first_index_of_the_max()
    {
        Assert.Equal(1, Functional.ArgMax([1f, 3f, 3f]));                         // torch.argmax: 1
        Assert.Equal(0, Functional.ArgMax([-0f, 0f]));                            // torch.argmax: 0 (-0 == +0)
        Assert.Equal(1, Functional.ArgMax([-1f, -0f, 0f, -0f]));
        Assert.Equal(2, Functional.ArgMax([-1f, -2f, 0f, -0f]));
        Assert.Equal(0, Functional.ArgMax([5f]));
        Assert.Equal(3, Functional.ArgMax([float.NegativeInfinity, 1f, 2f, float.PositiveInfinity, float.PositiveInfinity]));
        Assert.Equal(0, Functional.ArgMax([float.NegativeInfinity, float.NegativeInfinity]));
        var x = new float[1000];
        x[777] = 5f;
        x[901] = 5f;
        Assert.Equal(777, Functional.ArgMax(x));
        x.AsSpan().Fill(-1f);
        x[300] = 0f;
        x[12] = -0f;
        Assert.Equal(12, Functional.ArgMax(x));
    }
}
