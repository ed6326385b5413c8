namespace EdgeLoss.Tests.Margins;

public class ChebyshevTests
{
    [Fact]
    public void Coefficients_match_the_textbook_polynomials()
    {
        Assert.Equal(new long[] { 0, 1 }, Chebyshev.Coefficients(1));
        Assert.Equal(new long[] { -1, 0, 2 }, Chebyshev.Coefficients(2));
        Assert.Equal(new long[] { 0, -3, 0, 4 }, Chebyshev.Coefficients(3));          // 4c^3 - 3c (not "4c^2 - 3c")
        Assert.Equal(new long[] { 1, 0, -8, 0, 8 }, Chebyshev.Coefficients(4));       // 8c^4 - 8c^2 + 1 (not "- 1")
        Assert.Equal(new long[] { 1, 0, -32, 0, 160, 0, -256, 0, 128 }, Chebyshev.Coefficients(8));
        Assert.Equal("8c^4 - 8c^2 + 1", Chebyshev.Describe(4));
        Assert.Equal("4c^3 - 3c", Chebyshev.Describe(3));
        Assert.Equal("c", Chebyshev.Describe(1));
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)]
    [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void Polynomial_equals_cos_m_theta(int m)
    {
        long[] a = Chebyshev.Coefficients(m);
        for (double t = 0; t <= Math.PI; t += Math.PI / 97)
        {
            double c = Math.Cos(t), v = 0;
            for (int p = a.Length - 1; p >= 0; p--) v = v * c + a[p];
            Assert.True(Math.Abs(v - Math.Cos(m * t)) < 1e-9, $"T_{m}(cos {t}) = {v}, cos({m} t) = {Math.Cos(m * t)}");
        }
        float[] th = Chebyshev.Thresholds(m);
        Assert.Equal(m - 1, th.Length);
        for (int j = 1; j < m; j++) Assert.Equal((float)Math.Cos(j * Math.PI / m), th[j - 1]);
    }

    [Theory]
    [InlineData(0)] [InlineData(9)]
    public void M_outside_1_to_8_is_rejected(int m)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Chebyshev.Coefficients(m));
        Assert.Contains($"m = {m} is outside [1, 8]", e.Message);
    }
}
