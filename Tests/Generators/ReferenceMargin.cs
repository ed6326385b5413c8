namespace EdgeLoss.Tests.Generators;

/// <summary>A margin head's parameters, as the attribute states them.</summary>
public sealed record MarginSpec(MarginKind Kind, int C, int D, int M = 4, double Scale = 64, double Margin = 0,
    double M1 = 1, double M2 = 0, double M3 = 0, bool Easy = false);

/// <summary>
/// Straightforward float64 margin heads (semantics.md section 3), written from the table with acos and cos (not the
/// Chebyshev route of the generated code), and gradients by central finite differences in float64: an independent
/// yardstick.
/// </summary>
public static class ReferenceMargin
{
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static double[] Cosines(MarginSpec h, ReadOnlySpan<double> x, ReadOnlySpan<double> w)
    {
        double a = Math.Sqrt(Dot(x, x));
        var c = new double[h.C];
        for (int j = 0; j < h.C; j++)
        {
            ReadOnlySpan<double> wj = w.Slice(j * h.D, h.D);
            c[j] = Math.Clamp(Dot(x, wj) / (a * Math.Sqrt(Dot(wj, wj))), -1, 1);
        }
        return c;
    }

    /// <summary>psi_m(theta) = (-1)^k cos(m theta) - 2k, k = floor(m theta / pi), straight from the definition.</summary>
    public static double Psi(int m, double c)
    {
        double theta = Math.Acos(c);
        int k = Math.Min(m - 1, (int)Math.Floor(m * theta / Math.PI));
        return (k % 2 == 0 ? 1 : -1) * Math.Cos(m * theta) - 2 * k;
    }

    /// <summary>The logits: plain for every class, or with the margin on <paramref name="target"/> (-1: none).</summary>
    public static double[] Logits(MarginSpec h, ReadOnlySpan<double> x, ReadOnlySpan<double> w, int target, double lambda = 0)
    {
        double a = Math.Sqrt(Dot(x, x));
        var z = new double[h.C];
        for (int j = 0; j < h.C; j++)
        {
            ReadOnlySpan<double> wj = w.Slice(j * h.D, h.D);
            double d = Dot(x, wj), b = Math.Sqrt(Dot(wj, wj));
            double c = h.Kind is MarginKind.Softmax ? 0 : Math.Clamp(d / (a * b), -1, 1);
            bool margin = j == target;
            double theta = Math.Acos(c);
            z[j] = h.Kind switch
            {
                MarginKind.Softmax => d,
                MarginKind.LSoftmax => margin ? (a * b * Psi(h.M, c) + lambda * d) / (1 + lambda) : d,
                MarginKind.SphereFace => margin ? a * (Psi(h.M, c) + lambda * c) / (1 + lambda) : a * c,
                MarginKind.NormFace => h.Scale * c,
                MarginKind.CosFace => margin ? h.Scale * (c - h.Margin) : h.Scale * c,
                MarginKind.ArcFace => !margin ? h.Scale * c
                    : h.Easy ? (c > 0 ? h.Scale * Math.Cos(theta + h.Margin) : h.Scale * c)
                    : c > Math.Cos(Math.PI - h.Margin) ? h.Scale * Math.Cos(theta + h.Margin) : h.Scale * (c - h.Margin * Math.Sin(h.Margin)),
                MarginKind.Combined => margin ? h.Scale * (Math.Cos(h.M1 * theta + h.M2) - h.M3) : h.Scale * c,
                _ => throw new ArgumentOutOfRangeException(nameof(h)),
            };
        }
        return z;
    }

    public static double Loss(MarginSpec h, ReadOnlySpan<double> x, ReadOnlySpan<double> w, int target, double lambda = 0)
    {
        double[] z = Logits(h, x, w, target, lambda);
        double max = z.Max();
        return max + Math.Log(z.Sum(v => Math.Exp(v - max))) - z[target];
    }

    public static double[] Predict(MarginSpec h, ReadOnlySpan<double> x, ReadOnlySpan<double> w)
    {
        double[] z = Logits(h, x, w, -1);
        double max = z.Max();
        double[] e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    /// <summary>d loss / d x[i] and d loss / d w[k] for the given indices, by central differences in float64.</summary>
    public static (double[] Gx, Dictionary<int, double> Gw) Gradient(MarginSpec h, double[] x, double[] w, int target, double lambda, IEnumerable<int> wIndices)
    {
        double Probe(double[] v, int i)
        {
            double saved = v[i], step = 1e-6 * Math.Max(1, Math.Abs(saved));
            v[i] = saved + step; double fp = Loss(h, x, w, target, lambda);
            v[i] = saved - step; double fm = Loss(h, x, w, target, lambda);
            v[i] = saved;
            return (fp - fm) / (2 * step);
        }
        var gx = new double[x.Length];
        for (int i = 0; i < x.Length; i++) gx[i] = Probe(x, i);
        var gw = new Dictionary<int, double>();
        foreach (int k in wIndices) gw[k] = Probe(w, k);
        return (gx, gw);
    }
}
