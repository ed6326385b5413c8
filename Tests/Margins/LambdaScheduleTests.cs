namespace EdgeLoss.Tests.Margins;

public class LambdaScheduleTests
{
    [Fact]
    public void SphereFace_schedule_has_the_published_values()
    {
        var s = LambdaSchedule.SphereFace;
        Assert.Equal((1000f, 0.12f, 1f, 5f), (s.Base, s.Gamma, s.Power, s.Min));
        Assert.Equal(1000f, s.At(0));
        Assert.Equal(1000.0 / 13, s.At(100), 4);                 // 1000 / (1 + 0.12 * 100) = 76.923
        Assert.Equal(1000.0 / 2.2, s.At(10), 3);
        Assert.True(s.At(1000) > 5f);                             // 1000 / 121 = 8.26
        Assert.Equal(5f, s.At(1700));                             // 1000 / 205 < 5: the floor
        Assert.Equal(5f, s.At(long.MaxValue / 2));
        for (long i = 1; i < 3000; i += 7) Assert.True(s.At(i) <= s.At(i - 1));
    }

    [Fact]
    public void Custom_schedule_follows_the_formula()
    {
        var s = new LambdaSchedule(100f, 0.5f, 2f, 0f);
        Assert.Equal(100.0 / 36, s.At(10), 4);                    // 100 * (1 + 5)^-2
        Assert.Equal(0f, new LambdaSchedule(0f, 1f, 1f, 0f).At(3));
    }

    [Fact]
    public void Bad_parameters_are_rejected()
    {
        Assert.Contains("Gamma = -1 must be finite and >= 0", Assert.Throws<ArgumentOutOfRangeException>(() => new LambdaSchedule(1f, -1f, 1f, 0f)).Message);
        Assert.Contains("Base = NaN", Assert.Throws<ArgumentOutOfRangeException>(() => new LambdaSchedule(float.NaN, 1f, 1f, 0f)).Message);
        Assert.Contains("Min = Infinity", Assert.Throws<ArgumentOutOfRangeException>(() => new LambdaSchedule(1f, 1f, 1f, float.PositiveInfinity)).Message);
        Assert.Contains("iteration = -1", Assert.Throws<ArgumentOutOfRangeException>(() => LambdaSchedule.SphereFace.At(-1)).Message);
    }
}
