namespace EdgeLoss.Tests.Common;

public class GuardTests
{
    [Fact]
    public void AllFinite_names_the_first_bad_element()
    {
        var x = new float[] { 1f, 2f, float.NaN, float.PositiveInfinity };
        var e = Assert.Throws<NonFiniteInputException>(() => Guard.AllFinite(x));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("x[2] = NaN", e.Message);
    }

    [Fact]
    public void AllFinite_accepts_finite_values_whose_sum_overflows()
    {
        var x = new float[] { float.MaxValue, float.MaxValue, 1f };
        Guard.AllFinite(x);
    }

    [Fact]
    public void Indices_names_index_and_range()
    {
        var targets = new int[] { 0, 1, 2, 12 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Indices(targets, 10));
        Assert.Contains("targets[3] = 12 is outside [0, 10)", e.Message);
        Guard.Indices(new[] { 0, -100, 9 }, 10, allowed: -100);
    }
}
