namespace EdgeLoss.Tests.Margins;

/// <summary>psi_m(theta) = (-1)^k cos(m theta) - 2k: the Chebyshev / threshold evaluation against the acos definition.</summary>
public class PsiTests
{
    public static TheoryData<int> Ms() => [1, 2, 3, 4, 5, 6, 7, 8];

    private static double Reference(int m, double theta)
    {
        double k = Math.Min(Math.Floor(m * theta / Math.PI), m - 1);   // theta = pi belongs to the last piece
        return ((int)k % 2 == 0 ? 1 : -1) * Math.Cos(m * theta) - 2 * k;
    }

    [Theory]
    [MemberData(nameof(Ms))]
    public void Psi_is_continuous_and_decreasing_on_0_to_pi(int m)
    {
        const int n = 20000;
        double dTheta = Math.PI / n;
        float previous = MarginHeads.Psi(m, 1f);
        Assert.Equal(1f, previous);
        for (int i = 1; i <= n; i++)
        {
            double theta = i * dTheta;
            float c = (float)Math.Cos(theta);
            float psi = MarginHeads.Psi(m, c);
            // |d psi / d theta| = m |sin(m theta)| <= m; float cosines are exact to 6e-8, psi' to m^2.
            // (Messages are built only on failure: this loop runs 20000 times per m.)
            if (!(Math.Abs(psi - previous) <= m * dTheta + 1e-5)) Assert.Fail($"m={m}: jump {previous} -> {psi} at theta={theta}");
            if (!(psi <= previous + 1e-6)) Assert.Fail($"m={m}: psi rises {previous} -> {psi} at theta={theta}");
            double reference = Reference(m, Math.Acos(c));
            if (!(Math.Abs(psi - reference) <= 2e-6 * m * m)) Assert.Fail($"m={m} theta={theta}: {psi} vs {reference}");
            previous = psi;
        }
        Assert.Equal(1 - 2 * m, MarginHeads.Psi(m, -1f), 5);
    }

    [Theory]
    [MemberData(nameof(Ms))]
    public void PsiDerivative_is_the_derivative(int m)
    {
        for (double c = -0.999; c <= 0.999; c += 0.0137)
        {
            const double h = 1e-6;
            double numeric = (Reference(m, Math.Acos(c + h)) - Reference(m, Math.Acos(c - h))) / (2 * h);
            float analytic = MarginHeads.PsiDerivative(m, (float)c);
            // The float argument moves c by up to 6e-8; psi'' is at most ~m^4 / 3 on this range.
            Assert.True(Math.Abs(analytic - numeric) <= 1e-4 * (1 + Math.Abs(numeric)) + 6e-8 * Math.Pow(m, 4),
                $"m={m} c={c}: psi' = {analytic}, finite difference {numeric}");
        }
        Assert.Equal(m * m, MarginHeads.PsiDerivative(m, 1f), 4);       // T_m'(1) = m^2
        Assert.Equal(0f, MarginHeads.PsiDerivative(m, (float)Math.Cos(Math.PI / m)) * (m > 1 ? 1 : 0), 3);
    }

    [Fact]
    public void Psi_matches_the_published_polynomials()
    {
        // m = 4 on [0, pi/4]: 8c^4 - 8c^2 + 1; on (pi/4, pi/2]: -(8c^4 - 8c^2 + 1) - 2.
        float c = 0.9f;
        Assert.Equal(8 * Math.Pow(c, 4) - 8 * c * c + 1, MarginHeads.Psi(4, c), 5);
        c = 0.5f;
        Assert.Equal(-(8 * Math.Pow(c, 4) - 8 * c * c + 1) - 2, MarginHeads.Psi(4, c), 5);
        // m = 3 on [0, pi/3]: 4c^3 - 3c (not the "4c^2 - 3c" typo of a source document).
        c = 0.8f;
        Assert.Equal(4 * Math.Pow(c, 3) - 3 * c, MarginHeads.Psi(3, c), 5);
        // m = 1 is the identity.
        Assert.Equal(-0.25f, MarginHeads.Psi(1, -0.25f));
    }

    [Fact]
    public void Psi_clamps_the_cosine_and_rejects_bad_arguments()
    {
        Assert.Equal(MarginHeads.Psi(4, 1f), MarginHeads.Psi(4, 1.5f));
        Assert.Equal(MarginHeads.Psi(4, -1f), MarginHeads.Psi(4, -3f));
        Assert.Contains("m = 0 is outside [1, 8]", Assert.Throws<ArgumentOutOfRangeException>(() => MarginHeads.Psi(0, 0.5f)).Message);
        Assert.Contains("m = 9 is outside [1, 8]", Assert.Throws<ArgumentOutOfRangeException>(() => MarginHeads.PsiDerivative(9, 0.5f)).Message);
        var e = Assert.Throws<NonFiniteInputException>(() => MarginHeads.Psi(4, float.NaN));
        Assert.Contains("cosine = NaN", e.Message);
    }
}
