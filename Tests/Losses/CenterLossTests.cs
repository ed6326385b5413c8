using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Losses;

public class CenterLossTests
{
    // A worked example, by hand: dim 2, centers c0 = (0, 0), c1 = (1, 1), c2 = (5, 5);
    // x0 = (2, 0) and x1 = (0, 4) of class 0, x2 = (3, 3) of class 1.
    private static readonly float[] Features = [2f, 0f, 0f, 4f, 3f, 3f];
    private static readonly int[] Labels = [0, 0, 1];
    private static readonly float[] Centers = [0f, 0f, 1f, 1f, 5f, 5f];

    [Fact]
    public void Worked_example_value_and_gradient()
    {
        // ||x0 - c0||^2 = 4, ||x1 - c0||^2 = 16, ||x2 - c1||^2 = 8: L = (lambda / 2) 28 = 7 for lambda 0.5;
        // dL/dx_i = lambda (x_i - c_{y_i}).
        var gradient = new float[6];
        float loss = EdgeLoss.Losses.CenterLoss(Features, Labels, Centers, 2, 0.5f, gradient);
        Assert.Equal(7f, loss);
        Assert.Equal([1f, 0f, 0f, 2f, 1f, 1f], gradient);
        Assert.Equal(7f, EdgeLoss.Losses.CenterLoss(Features, Labels, Centers, 2, 0.5f, default));
    }

    [Fact]
    public void Worked_example_center_update()
    {
        // Class 0: n = 2, delta = ((0 - 2) + (0 - 0), (0 - 0) + (0 - 4)) / 3 = (-2/3, -4/3); alpha 0.5 -> c0 = (1/3, 2/3).
        // Class 1: n = 1, delta = ((1 - 3), (1 - 3)) / 2 = (-1, -1) -> c1 = (1.5, 1.5). Class 2 is not in the batch.
        var centers = (float[])Centers.Clone();
        EdgeLoss.Losses.UpdateCenters(Features, Labels, centers, 2, 0.5f);
        Approx.Equal([1.0 / 3, 2.0 / 3, 1.5, 1.5, 5, 5], centers, 1e-6, 1e-7, "centers");

        // alpha = 0 changes nothing; alpha = 1 moves a lone sample's center half way (1 / (1 + n)).
        centers = (float[])Centers.Clone();
        EdgeLoss.Losses.UpdateCenters(Features, Labels, centers, 2, 0f);
        Assert.Equal(Centers, centers);
        EdgeLoss.Losses.UpdateCenters(Features.AsSpan(4, 2), [1], centers, 2, 1f);
        Assert.Equal([0f, 0f, 2f, 2f, 5f, 5f], centers);
    }

    [Fact]
    public void Value_gradient_and_update_match_a_double_reference()
    {
        const int rows = 37, dim = 21, classes = 6;
        var rng = new Random(31);
        var x = Enumerable.Range(0, rows * dim).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var c = Enumerable.Range(0, classes * dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var labels = Enumerable.Range(0, rows).Select(_ => rng.Next(classes - 1)).ToArray();  // class 5 absent
        const float lambda = 0.003f, alpha = 0.5f;

        double expected = 0;
        var expectedGradient = new double[rows * dim];
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < dim; k++)
            {
                double d = (double)x[i * dim + k] - c[labels[i] * dim + k];
                expected += d * d;
                expectedGradient[i * dim + k] = lambda * d;
            }
        expected *= lambda / 2.0;

        var gradient = new float[rows * dim];
        float loss = EdgeLoss.Losses.CenterLoss(x, labels, c, dim, lambda, gradient);
        Approx.Equal(expected, loss, 1e-6, 0, "loss");
        Approx.Equal(expectedGradient, gradient, 1e-6, 1e-9, "gradient");
        Approx.Equal(expected, EdgeLoss.Losses.CenterLoss(x, labels, c, dim, lambda, default), 1e-6, 0, "loss without gradient");

        // The update, literally as the paper writes it: per class, the count and the sum of (c_j - x_i).
        var expectedCenters = c.Select(v => (double)v).ToArray();
        for (int j = 0; j < classes; j++)
        {
            int n = labels.Count(l => l == j);
            for (int k = 0; k < dim; k++)
            {
                double delta = 0;
                for (int i = 0; i < rows; i++)
                    if (labels[i] == j) delta += (double)c[j * dim + k] - x[i * dim + k];
                expectedCenters[j * dim + k] -= alpha * delta / (1 + n);
            }
        }
        var updated = (float[])c.Clone();
        EdgeLoss.Losses.UpdateCenters(x, labels, updated, dim, alpha);
        Approx.Equal(expectedCenters, updated, 1e-5, 1e-6, "centers");
        Assert.Equal(c.AsSpan(5 * dim, dim).ToArray(), updated.AsSpan(5 * dim, dim).ToArray());
    }

    [Fact]
    public void Gradient_passes_finite_differences()
    {
        var rng = new Random(37);
        var x = Enumerable.Range(0, 5 * 3).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var c = Enumerable.Range(0, 2 * 3).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        int[] labels = [0, 1, 1, 0, 1];
        var analytic = new float[x.Length];
        EdgeLoss.Losses.CenterLoss(x, labels, c, 3, 0.7f, analytic);
        GradCheck.Check(p => EdgeLoss.Losses.CenterLoss(p, labels, c, 3, 0.7f, default), x, analytic, what: "center loss");
    }

    [Fact]
    public void Bad_input_is_rejected_with_name_and_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.CenterLoss(Features, [0, 3, 1], Centers, 2, 1f, default));
        Assert.Contains("labels[1] = 3 is outside [0, 3)", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.UpdateCenters(Features, [0, -1, 1], (float[])Centers.Clone(), 2, 0.5f));
        Assert.Contains("labels[1] = -1 is outside [0, 3)", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.CenterLoss(Features, Labels, Centers, 2, -1f, default));
        Assert.Contains("lambda = -1 must be finite and >= 0", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.UpdateCenters(Features, Labels, (float[])Centers.Clone(), 2, 1.5f));
        Assert.Contains("alpha = 1.5 is outside [0, 1]", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => EdgeLoss.Losses.CenterLoss(Features, Labels, Centers, 0, 1f, default));
        Assert.Contains("dim = 0 must be >= 1", e.Message);

        var a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.CenterLoss(Features, [0, 0], Centers, 2, 1f, default));
        Assert.Contains("labels has length 2, expected 3", a.Message);
        a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.CenterLoss(Features, Labels, Centers.AsSpan(0, 5), 2, 1f, default));
        Assert.Contains("centers has length 5, which is not a positive multiple of dim = 2", a.Message);
        a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.CenterLoss(Features, Labels, Centers, 4, 1f, default));
        Assert.Contains("features has length 6, which is not a multiple of dim = 4", a.Message);
        a = Assert.Throws<ArgumentException>(() => EdgeLoss.Losses.CenterLoss(Features, Labels, Centers, 2, 1f, new float[5]));
        Assert.Contains("gradient has length 5, expected 6", a.Message);

        var bad = (float[])Features.Clone();
        bad[3] = float.NaN;
        var n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.CenterLoss(bad, Labels, Centers, 2, 1f, default));
        Assert.Contains("features[3] = NaN", n.Message);
        var badCenters = (float[])Centers.Clone();
        badCenters[0] = float.PositiveInfinity;
        n = Assert.Throws<NonFiniteInputException>(() => EdgeLoss.Losses.UpdateCenters(Features, Labels, badCenters, 2, 0.5f));
        Assert.Contains("centers[0] = Infinity", n.Message);
    }

    [Fact]
    public void Does_not_allocate()
    {
        const int rows = 64, dim = 128, classes = 10;
        var x = Enumerable.Range(0, rows * dim).Select(i => MathF.Sin(i)).ToArray();
        var c = Enumerable.Range(0, classes * dim).Select(i => MathF.Cos(i)).ToArray();
        var labels = Enumerable.Range(0, rows).Select(i => i * 7 % classes).ToArray();
        var g = new float[rows * dim];
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.CenterLoss(x, labels, c, dim, 0.01f, g), calls: 200);
        PointwiseLossCases.AssertNoAllocation(() => EdgeLoss.Losses.UpdateCenters(x, labels, c, dim, 0.5f), calls: 200);
    }
}
