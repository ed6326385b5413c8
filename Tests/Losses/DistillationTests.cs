using System.Text.Json;
using EdgeLoss.Tests.Common;
using EdgeLoss.Tests.Softmax;

namespace EdgeLoss.Tests.Losses;

public class DistillationTests
{
    private const string Golden = "Softmax/distillation.json";
    private static readonly IReadOnlyList<JsonElement> Cases = Fixture.Cases(Golden);

    public static TheoryData<string, int> Names => Fixture.Names(Golden);

    [Theory, MemberData(nameof(Names))]
    public void Matches_torch(string name, int index)
    {
        JsonElement c = Cases[index];
        float[] student = c.Floats("student"), teacher = c.Floats("teacher");
        int[] targets = c.Ints("targets");
        float t = (float)c.Scalar("temperature"), alpha = (float)c.Scalar("alpha");
        var grad = new float[student.Length];
        float loss = EdgeLoss.Losses.Distillation(student, teacher, targets, t, alpha, grad);
        Approx.Equal(c.Scalar("loss"), loss, 1e-5, 1e-6, $"{name} loss");
        CrossEntropyTests.LossClose(c.Doubles("grad"), grad, $"{name} grad");
        Assert.Equal(loss, EdgeLoss.Losses.Distillation(student, teacher, targets, t, alpha, default));
    }

    [Theory]
    [InlineData(1f, 0.5f)]
    [InlineData(2f, 0.7f)]
    [InlineData(4f, 1f)]
    [InlineData(0.5f, 0.2f)]
    public void Gradient_matches_finite_differences(float temperature, float alpha)
    {
        const int rows = 3, classes = 9;
        float[] s = SoftmaxReference.RandomLogits(rows * classes, seed: 31, scale: 2);
        float[] t = SoftmaxReference.RandomLogits(rows * classes, seed: 32, scale: 3);
        t[4] = float.NegativeInfinity;                        // a class the teacher rules out
        int[] y = [2, -100, 8];
        var grad = new float[s.Length];
        EdgeLoss.Losses.Distillation(s, t, y, temperature, alpha, grad);
        GradCheck.Check(p => EdgeLoss.Losses.Distillation(p, t, y, temperature, alpha, default), s, grad);
    }

    [Fact]
    public void Alpha_0_is_the_mean_cross_entropy_and_alpha_1_the_scaled_KL()
    {
        float[] s = SoftmaxReference.RandomLogits(4 * 6, seed: 41, scale: 2);
        float[] t = SoftmaxReference.RandomLogits(4 * 6, seed: 42, scale: 2);
        int[] y = [0, 5, 2, 2];
        var g = new float[s.Length];
        var ceGrad = new float[s.Length];
        float d0 = EdgeLoss.Losses.Distillation(s, t, y, 3f, 0f, g);
        var ce = new float[1];
        EdgeLoss.Losses.CrossEntropy(s, y, ce, ceGrad);
        Approx.Equal(ce[0], d0, 1e-6, 0, "alpha 0");
        Approx.Equal(ceGrad, g, 1e-5, 1e-7, "alpha 0 grad");

        // alpha 1: T^2 / rows * sum_n KL(p_t || p_s) at temperature T, from a double reference.
        const double T = 3;
        double kl = 0;
        for (int n = 0; n < 4; n++)
        {
            var (pt, lt, _) = SoftmaxReference.Row(t.AsSpan(n * 6, 6), T);
            var (_, ls, _) = SoftmaxReference.Row(s.AsSpan(n * 6, 6), T);
            for (int c = 0; c < 6; c++) kl += pt[c] * (lt[c] - ls[c]);
        }
        Approx.Equal(T * T * kl / 4, EdgeLoss.Losses.Distillation(s, t, y, 3f, 1f, default), 1e-5, 1e-7, "alpha 1");
        // The KL of a distribution with itself is 0.
        Approx.Equal(0, EdgeLoss.Losses.Distillation(s, s, y, 2f, 1f, default), 0, 1e-6, "KL(p || p)");
    }

    [Fact]
    public void A_class_both_models_mask_contributes_0()
    {
        // torch's kl_div gives NaN here (0 * (-inf)); the contract's 0 log 0 = 0 gives the KL of the other classes.
        float[] s = [1f, float.NegativeInfinity, 2f], t = [0.5f, float.NegativeInfinity, 3f];
        var grad = new float[3];
        float loss = EdgeLoss.Losses.Distillation(s, t, [0], 1f, 1f, grad);
        var (pt, lt, _) = SoftmaxReference.Row([0.5f, 3f]);
        var (_, ls, _) = SoftmaxReference.Row([1f, 2f]);
        Approx.Equal(pt[0] * (lt[0] - ls[0]) + pt[1] * (lt[1] - ls[1]), loss, 1e-5, 1e-7, "KL");
        Assert.Equal(0f, grad[1]);
    }

    [Fact]
    public void Bad_input_is_named()
    {
        float[] s = new float[12], t = new float[12];
        int[] y = [0, 1, 2];
        foreach (float bad in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
        {
            var range = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Distillation(s, t, y, bad, 0.5f, default));
            Assert.Equal("temperature", range.ParamName);
            Assert.Contains("must be finite and > 0", range.Message);
        }
        foreach (float bad in new[] { -0.1f, 1.5f, float.NaN })
        {
            var range = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Distillation(s, t, y, 2f, bad, default));
            Assert.Equal("alpha", range.ParamName);
            Assert.Contains("is outside [0, 1]", range.Message);
        }
        var bad1 = (float[])t.Clone();
        bad1[6] = float.NaN;
        var e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.Distillation(s, bad1, y, 2f, 0.5f, default));
        Assert.Equal("teacherLogits", e.ParamName);
        Assert.StartsWith("teacherLogits[6] = NaN is not finite", e.Message);
        var bad2 = (float[])s.Clone();
        bad2.AsSpan(8, 4).Fill(float.NegativeInfinity);
        e = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.Distillation(bad2, t, y, 2f, 0.5f, default));
        Assert.Equal("studentLogits", e.ParamName);
        Assert.StartsWith("studentLogits[8..11] are all -inf", e.Message);
        var a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.Distillation(s, new float[11], y, 2f, 0.5f, default));
        Assert.Equal("teacherLogits", a.ParamName);
        a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.Distillation(s, t, y, 2f, 0.5f, new float[3]));
        Assert.Equal("gradient", a.ParamName);
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.Distillation(s, t, [0, 4, 1], 2f, 0.5f, default));
        Assert.Contains("targets[1] = 4 is outside [0, 4)", r.Message);
    }

    [Fact]
    public void Distillation_does_not_allocate()
    {
        float[] s = SoftmaxReference.RandomLogits(64 * 100, seed: 51);
        float[] t = SoftmaxReference.RandomLogits(64 * 100, seed: 52);
        int[] y = Enumerable.Range(0, 64).Select(n => n).ToArray();
        var grad = new float[s.Length];
        Assert.Equal(0, AllocatedBytes.Of(() => EdgeLoss.Losses.Distillation(s, t, y, 4f, 0.9f, grad), calls: 200));
    }
}
