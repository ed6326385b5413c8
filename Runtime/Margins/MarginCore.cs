using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeLoss;

/// <summary>
/// The validated, per-call constants of a head (no allocation: a struct built from <see cref="MarginHeadOptions"/>).
/// Scalars are double: the per-row target arithmetic runs in double for both element types, so the float path loses
/// nothing there and the double path (used by the finite-difference tests) checks exactly the same formulas.
/// </summary>
internal readonly struct HeadPlan
{
    public readonly MarginKind Kind;
    public readonly int M;
    public readonly double Scale, Lambda, M1, M2, M3;
    public readonly bool Easy;
    public readonly ArcFaceConstants Arc;
    public readonly double CosFaceMargin;

    public HeadPlan(MarginHeadOptions head)
    {
        ArgumentNullException.ThrowIfNull(head);
        head.Validate();
        Kind = head.Kind;
        M = head.M;
        Scale = head.Scale;
        Lambda = head.Lambda;
        M1 = head.M1;
        M2 = head.M2;
        M3 = head.M3;
        Easy = head.EasyMargin;
        CosFaceMargin = head.Margin;
        Arc = head.Kind == MarginKind.ArcFace ? new ArcFaceConstants(head.Margin) : default;
    }

    /// <summary>
    /// An upper bound of |z| for a row with norm <paramref name="nx"/> and class norms up to <paramref name="maxNw"/>,
    /// so that overflow is refused before any output is written.
    /// </summary>
    public double LogitBound(double nx, double maxNw) => Kind switch
    {
        MarginKind.Softmax => nx * maxNw,
        MarginKind.LSoftmax => nx * maxNw * MarginConstants.PsiBound(M),
        MarginKind.SphereFace => nx * MarginConstants.PsiBound(M),
        MarginKind.CosFace => Scale * (1 + CosFaceMargin),
        MarginKind.ArcFace => Scale * (1 + Arc.MSinM),
        MarginKind.Combined => Scale * (1 + Math.Abs(M3)),
        _ => Scale,
    };
}

/// <summary>
/// psi_m(c) = (-1)^k T_m(c) - 2k and its derivative (-1)^k T_m'(c), k = the number of thresholds cos(j pi / m) that c
/// is strictly below. Tables come from <see cref="Chebyshev"/> once (static, no allocation per call); no acos.
/// </summary>
internal static class PsiTable
{
    private static readonly double[][] Coefficients = Build(m => Array.ConvertAll(Chebyshev.Coefficients(m), a => (double)a));
    private static readonly double[][] Derivatives = Build(m =>
    {
        long[] a = Chebyshev.Coefficients(m);
        var d = new double[m];
        for (int p = 1; p <= m; p++) d[p - 1] = p * (double)a[p];
        return d;
    });
    private static readonly double[][] Thresholds = Build(m => Array.ConvertAll(Chebyshev.Thresholds(m), t => (double)t));

    /// <summary>psi_m(c) and d psi_m / dc for c in [-1, 1] (the caller clamps); m in 1..8 (the caller validates).</summary>
    public static double Evaluate(int m, double c, out double derivative)
    {
        double[] th = Thresholds[m];
        int k = 0;
        while (k < th.Length && c < th[k]) k++;                // thresholds descend: count those above c
        double t = Horner(Coefficients[m], c), dt = Horner(Derivatives[m], c);
        double sign = (k & 1) == 0 ? 1 : -1;
        derivative = sign * dt;
        return sign * t - 2 * k;
    }

    private static double Horner(double[] a, double c)
    {
        double v = 0;
        for (int p = a.Length - 1; p >= 0; p--) v = v * c + a[p];
        return v;
    }

    private static double[][] Build(Func<int, double[]> make)
    {
        var t = new double[Chebyshev.MaxM + 1][];
        t[0] = [];
        for (int m = Chebyshev.MinM; m <= Chebyshev.MaxM; m++) t[m] = make(m);
        return t;
    }
}

/// <summary>
/// The margin heads over a batch, generic over the element type: float is the product, double runs the same code
/// for the finite-difference gradient checks. Callers (<see cref="MarginHeads"/>) have checked lengths, finiteness and
/// targets; this class checks norms and overflow before writing any output.
/// </summary>
/// <remarks>
/// Notation per row: nx = ||x||, nw_j = ||w_j||, c_j = clamp(x . w_j / (nx nw_j), -1, 1), g_j = dL/dz_j =
/// (p_j - [j = y]) / rows. Every logit depends on x and w_j only through (nx, nw_j, c_j), and with
/// dc/dx = w/(nx nw) - c x/nx^2 and dc/dw = x/(nx nw) - c w/nw^2 each class's contribution collapses to
/// <c>dL/dx += alpha_j w_j + beta_j x</c> and <c>dL/dw_j += alpha_j x + delta_j w_j</c> (the coefficient of w_j in
/// dL/dx always equals that of x in dL/dw_j). So a block of rows costs one pass over W for the dot products and one
/// for each gradient, all vectorized, and the per-class work is a handful of scalars. docs/margins.md derives the
/// coefficients of each kind.
/// </remarks>
internal static class MarginCore<T> where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>
{
    /// <summary>Scratch up to this many bytes lives on the stack; larger class counts rent from the shared pool.</summary>
    public const int StackBytes = 32 * 1024;

    /// <summary>
    /// Rows processed together. Each class weight row w_j is then loaded once per block (for the dot products, for
    /// dL/dx and for dL/dw_j) instead of once per row: a face-recognition W of 1000 x 512 floats is 2 MB, more than a
    /// core's L2, so a batch would otherwise stream it from L3 or memory three times per row.
    /// </summary>
    public const int BlockRows = 8;

    /// <summary>
    /// Scratch elements of <see cref="Forward"/>: 1 / ||w_j|| per class, and per row of a block its cosines (then
    /// delta_j), logits and log-probabilities (then alpha_j).
    /// </summary>
    public static int ForwardScratch(int rows, int classes) => classes * (1 + 3 * Math.Min(rows, BlockRows));

    /// <summary>Forward (and backward when a gradient span is non-empty); returns the mean cross-entropy.</summary>
    [SkipLocalsInit]
    public static T Forward(in HeadPlan plan, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<int> targets, int dim,
                            Span<T> logits, Span<T> gradX, Span<T> gradW)
    {
        int rows = targets.Length, classes = w.Length / dim, block = Math.Min(rows, BlockRows);
        int need = ForwardScratch(rows, classes);
        T[]? rented = null;
        Span<T> scratch = need <= StackBytes / Unsafe.SizeOf<T>()
            ? stackalloc T[need]
            : (rented = ArrayPool<T>.Shared.Rent(need));
        Span<T> rowScalars = stackalloc T[3 * BlockRows];
        try
        {
            Span<T> invNw = scratch.Slice(0, classes);
            Span<T> cos = scratch.Slice(classes, block * classes);                     // cosines, then delta
            Span<T> z = scratch.Slice(classes * (1 + block), block * classes);         // margin logits
            Span<T> coef = scratch.Slice(classes * (1 + 2 * block), block * classes);  // log-probabilities, then alpha
            Span<T> nx = rowScalars.Slice(0, block), invNx = rowScalars.Slice(BlockRows, block), beta = rowScalars.Slice(2 * BlockRows, block);
            double maxNw = InverseNorms(w, dim, invNw);
            CheckRows(plan, x, dim, maxNw);                      // every failure happens before any output is written

            bool wantGradX = !gradX.IsEmpty, wantGradW = !gradW.IsEmpty;
            if (wantGradW) gradW.Clear();
            double loss = 0;
            for (int r0 = 0; r0 < rows; r0 += block)
            {
                int nb = Math.Min(block, rows - r0);
                ReadOnlySpan<T> xb = x.Slice(r0 * dim, nb * dim);
                BlockLogits(plan, xb, w, dim, invNw, nx.Slice(0, nb), invNx.Slice(0, nb), cos, z);

                for (int r = 0; r < nb; r++)
                {
                    int y = targets[r0 + r];
                    Span<T> zr = z.Slice(r * classes, classes), cr = cos.Slice(r * classes, classes), kr = coef.Slice(r * classes, classes);
                    double dzdc = 0, extra = 0;                   // the target's derivative data, see TargetLogit
                    zr[y] = TargetLogit(plan, cr[y], double.CreateTruncating(nx[r]), 1 / double.CreateTruncating(invNw[y]), zr[y], ref dzdc, ref extra);
                    if (!logits.IsEmpty) zr.CopyTo(logits.Slice((r0 + r) * classes, classes));

                    LogSoftmax(zr, kr);
                    loss -= double.CreateTruncating(kr[y]);
                    if (!wantGradX && !wantGradW) continue;
                    TensorPrimitives.Exp(kr, kr);                 // probabilities
                    beta[r] = Coefficients(plan, y, rows, nx[r], invNx[r], invNw, dzdc, extra, cr, kr);
                }

                // dL/dx_r = beta_r x_r + sum_j alpha_rj w_j: each w_j serves the whole block.
                if (wantGradX)
                {
                    Span<T> gxb = gradX.Slice(r0 * dim, nb * dim);
                    for (int r = 0; r < nb; r++)
                        TensorPrimitives.Multiply(xb.Slice(r * dim, dim), beta[r], gxb.Slice(r * dim, dim));
                    for (int j = 0; j < classes; j++)
                    {
                        ReadOnlySpan<T> wj = w.Slice(j * dim, dim);
                        for (int r = 0; r < nb; r++)
                            TensorPrimitives.MultiplyAdd(wj, coef[r * classes + j], gxb.Slice(r * dim, dim), gxb.Slice(r * dim, dim));
                    }
                }

                // dL/dw_j += sum_r alpha_rj x_r + (sum_r delta_rj) w_j: one visit of gradW_j and w_j per block.
                if (wantGradW)
                {
                    for (int j = 0; j < classes; j++)
                    {
                        Span<T> gwj = gradW.Slice(j * dim, dim);
                        ReadOnlySpan<T> wj = w.Slice(j * dim, dim);
                        T delta = T.Zero;
                        for (int r = 0; r < nb; r++) delta += cos[r * classes + j];
                        int k = 0;
                        for (; k + 1 < nb; k += 2)
                            AddScaled(gwj, coef[k * classes + j], xb.Slice(k * dim, dim), coef[(k + 1) * classes + j], xb.Slice((k + 1) * dim, dim));
                        if (k < nb)
                            AddScaled(gwj, coef[k * classes + j], xb.Slice(k * dim, dim), delta, wj);
                        else if (!T.IsZero(delta))
                            TensorPrimitives.MultiplyAdd(wj, delta, gwj, gwj);
                    }
                }
            }
            return T.CreateTruncating(loss / rows);
        }
        finally
        {
            if (rented is not null) ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>The softmax of every row's plain (margin-free) logits into <paramref name="probabilities"/>.</summary>
    [SkipLocalsInit]
    public static void Predict(in HeadPlan plan, ReadOnlySpan<T> x, ReadOnlySpan<T> w, int dim, Span<T> probabilities)
    {
        int rows = x.Length / dim, classes = w.Length / dim, block = Math.Min(rows, BlockRows);
        int need = classes * (1 + 2 * block);
        T[]? rented = null;
        Span<T> scratch = need <= StackBytes / Unsafe.SizeOf<T>()
            ? stackalloc T[need]
            : (rented = ArrayPool<T>.Shared.Rent(need));
        Span<T> rowScalars = stackalloc T[2 * BlockRows];
        try
        {
            Span<T> invNw = scratch.Slice(0, classes);
            Span<T> cos = scratch.Slice(classes, block * classes);
            Span<T> z = scratch.Slice(classes * (1 + block), block * classes);
            double maxNw = InverseNorms(w, dim, invNw);
            CheckRows(plan, x, dim, maxNw);
            for (int r0 = 0; r0 < rows; r0 += block)
            {
                int nb = Math.Min(block, rows - r0);
                BlockLogits(plan, x.Slice(r0 * dim, nb * dim), w, dim, invNw, rowScalars.Slice(0, nb), rowScalars.Slice(BlockRows, nb), cos, z);
                for (int r = 0; r < nb; r++)
                    Softmax(z.Slice(r * classes, classes), probabilities.Slice((r0 + r) * classes, classes));
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>c_ij = clamp(x_i . w_j / (||x_i|| ||w_j||), -1, 1) into <paramref name="cosines"/> (rows x classes).</summary>
    [SkipLocalsInit]
    public static void Cosines(ReadOnlySpan<T> x, ReadOnlySpan<T> w, int dim, Span<T> cosines)
    {
        int rows = x.Length / dim, classes = w.Length / dim;
        T[]? rented = null;
        Span<T> invNw = classes <= StackBytes / Unsafe.SizeOf<T>()
            ? stackalloc T[classes]
            : (rented = ArrayPool<T>.Shared.Rent(classes)).AsSpan(0, classes);
        try
        {
            InverseNorms(w, dim, invNw);
            for (int i = 0; i < rows; i++)                       // every failure before any output is written
                RowNorm(x.Slice(i * dim, dim), i, "x");
            for (int i = 0; i < rows; i++)
            {
                ReadOnlySpan<T> xi = x.Slice(i * dim, dim);
                T invNx = T.One / TensorPrimitives.Norm(xi);
                Span<T> row = cosines.Slice(i * classes, classes);
                for (int j = 0; j < classes; j++)
                    row[j] = Clamp(TensorPrimitives.Dot(xi, w.Slice(j * dim, dim)) * invNx * invNw[j]);
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>1 / ||w_j|| for every class (throws on a zero or overflowing norm); returns the largest norm.</summary>
    private static double InverseNorms(ReadOnlySpan<T> w, int dim, Span<T> invNw)
    {
        double max = 0;
        for (int j = 0; j < invNw.Length; j++)
        {
            T n = RowNorm(w.Slice(j * dim, dim), j, "w");
            invNw[j] = T.One / n;
            max = Math.Max(max, double.CreateTruncating(n));
        }
        return max;
    }

    /// <summary>Refuses zero-norm rows of x and rows whose logits could overflow T, before any output is written.</summary>
    private static void CheckRows(in HeadPlan plan, ReadOnlySpan<T> x, int dim, double maxNw)
    {
        double limit = double.CreateTruncating(T.MaxValue);
        for (int i = 0; i * dim < x.Length; i++)
        {
            double nx = double.CreateTruncating(RowNorm(x.Slice(i * dim, dim), i, "x"));
            double bound = plan.LogitBound(nx, maxNw);
            if (!(bound <= limit))
                throw new NonFiniteInputException(string.Create(CultureInfo.InvariantCulture,
                    $"x row {i}: the {plan.Kind} logits could overflow {TypeName} (||x|| = {nx:G6}, largest ||w_j|| = {maxNw:G6})"), "x");
        }
    }

    /// <summary>
    /// ||v||, refusing a zero norm and norms whose square is not a normal number of T: an overflowing sum of squares
    /// (too large to normalize) or an underflowing one (too small: subnormal squares have lost their precision).
    /// In range, every dot product x . w_j is bounded by ||x|| ||w_j|| &lt;= T.MaxValue and cannot overflow.
    /// </summary>
    private static T RowNorm(ReadOnlySpan<T> v, int row, string name)
    {
        T n = TensorPrimitives.Norm(v);
        if (!(n * n >= SmallestNormal) || !T.IsFinite(n))
            ThrowBadNorm(n, row, name);
        return n;
    }

    private static readonly string TypeName = typeof(T) == typeof(float) ? "float" : typeof(T).Name.ToLowerInvariant();

    private static readonly T SmallestNormal = typeof(T) == typeof(float)
        ? T.CreateTruncating(BitConverter.Int32BitsToSingle(0x0080_0000))
        : T.CreateTruncating(BitConverter.Int64BitsToDouble(0x0010_0000_0000_0000));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadNorm(T n, int row, string name)
    {
        string value = n.ToString("R", CultureInfo.InvariantCulture);
        throw new NonFiniteInputException(
            T.IsZero(n) ? $"{name} row {row} has norm 0: a zero vector has no direction, its cosines are undefined"
            : T.IsFinite(n) ? $"{name} row {row} has norm {value}: too small to normalize (its square underflows {TypeName})"
            : $"{name} row {row} has norm {value}: too large to normalize (its square overflows {TypeName})", name);
    }

    /// <summary>
    /// Norms, cosines and plain logits z_j (the non-target form of the kind, for every class) of a block of rows,
    /// laid out [r * classes + j]. Class-major, so that each w_j is loaded once for the whole block.
    /// </summary>
    private static void BlockLogits(in HeadPlan plan, ReadOnlySpan<T> xb, ReadOnlySpan<T> w, int dim, ReadOnlySpan<T> invNw,
                                    Span<T> nx, Span<T> invNx, Span<T> cos, Span<T> z)
    {
        int nb = nx.Length, classes = invNw.Length;
        for (int r = 0; r < nb; r++)
        {
            nx[r] = TensorPrimitives.Norm(xb.Slice(r * dim, dim));
            invNx[r] = T.One / nx[r];
        }
        T s = T.CreateTruncating(plan.Scale);
        for (int j = 0; j < classes; j++)
        {
            ReadOnlySpan<T> wj = w.Slice(j * dim, dim);
            for (int r = 0; r < nb; r++)
            {
                T dot = TensorPrimitives.Dot(xb.Slice(r * dim, dim), wj);
                T c = Clamp(dot * invNx[r] * invNw[j]);
                int at = r * classes + j;
                cos[at] = c;
                z[at] = plan.Kind switch
                {
                    MarginKind.Softmax or MarginKind.LSoftmax => dot,
                    MarginKind.SphereFace => nx[r] * c,
                    _ => s * c,
                };
            }
        }
    }

    /// <summary>
    /// The target logit z_y from its cosine (and the plain z_y = x . w_y for L-Softmax), in double. Also returns what
    /// the backward needs: <paramref name="dzdc"/> is dz_y/dc_y for the cosine kinds (s f'(c)), dF/dc for SphereFace
    /// (z_y = nx F(c)), d psi/dc for L-Softmax; <paramref name="extra"/> is F(c) for SphereFace and psi(c) for
    /// L-Softmax.
    /// </summary>
    private static T TargetLogit(in HeadPlan plan, T cy, double nx, double nwy, T plainZy, ref double dzdc, ref double extra)
    {
        double c = double.CreateTruncating(cy);
        switch (plan.Kind)
        {
            case MarginKind.Softmax:
                return plainZy;
            case MarginKind.LSoftmax:
            {
                double psi = PsiTable.Evaluate(plan.M, c, out double dpsi);
                extra = psi;
                dzdc = dpsi;
                double dot = double.CreateTruncating(plainZy);
                return T.CreateTruncating((nx * nwy * psi + plan.Lambda * dot) / (1 + plan.Lambda));
            }
            case MarginKind.SphereFace:
            {
                double psi = PsiTable.Evaluate(plan.M, c, out double dpsi);
                double a = 1 / (1 + plan.Lambda);
                extra = a * (psi + plan.Lambda * c);
                dzdc = a * (dpsi + plan.Lambda);
                return T.CreateTruncating(nx * extra);
            }
            case MarginKind.NormFace:
                dzdc = plan.Scale;
                return T.CreateTruncating(plan.Scale * c);
            case MarginKind.CosFace:
                dzdc = plan.Scale;
                return T.CreateTruncating(plan.Scale * (c - plan.CosFaceMargin));
            case MarginKind.ArcFace:
            {
                ref readonly ArcFaceConstants k = ref plan.Arc;
                bool arc = plan.Easy ? c > 0 : cy > T.CreateTruncating(k.Threshold);
                if (!arc)
                {
                    dzdc = plan.Scale;
                    return T.CreateTruncating(plan.Scale * (plan.Easy ? c : c - k.MSinM));
                }
                // cos(theta + m) = c cos m - sin(theta) sin m; d/dc = cos m + sin m * c / sin(theta).
                double sinTheta = Math.Sqrt(Math.Max(0, 1 - c * c));
                double cc = ClampInside(c);
                dzdc = plan.Scale * (k.CosM + k.SinM * cc / Math.Sqrt(1 - cc * cc));
                return T.CreateTruncating(plan.Scale * (c * k.CosM - sinTheta * k.SinM));
            }
            default: // Combined
            {
                // s (cos(m1 theta + m2) - m3); d/dc = s m1 sin(m1 theta + m2) / sin(theta).
                double theta = Math.Acos(c), cc = ClampInside(c);
                dzdc = plan.Scale * plan.M1 * Math.Sin(plan.M1 * theta + plan.M2) / Math.Sqrt(1 - cc * cc);
                return T.CreateTruncating(plan.Scale * (Math.Cos(plan.M1 * theta + plan.M2) - plan.M3));
            }
        }
    }

    /// <summary>
    /// Turns the probabilities in <paramref name="coef"/> into alpha_j (in place) and the cosines in
    /// <paramref name="cos"/> into delta_j (in place); returns beta = sum_j beta_j.
    /// </summary>
    private static T Coefficients(in HeadPlan plan, int y, int rows, T nx, T invNx, ReadOnlySpan<T> invNw,
                                  double dzdc, double extra, Span<T> cos, Span<T> coef)
    {
        // The target gets its margin-form coefficients below, in double; the plain loop sees it with g = 0.
        double gy = (double.CreateTruncating(coef[y]) - 1) / rows;
        double c = double.CreateTruncating(cos[y]);
        coef[y] = T.Zero;

        T invRows = T.One / T.CreateTruncating(rows);
        T beta = T.Zero;
        int classes = coef.Length;
        switch (plan.Kind)
        {
            case MarginKind.Softmax:
            case MarginKind.LSoftmax:
                // z_j = x . w_j: alpha = g, beta = delta = 0.
                TensorPrimitives.Multiply(coef, invRows, coef);
                cos.Clear();
                break;
            case MarginKind.SphereFace:
                // z_j = nx c_j: alpha = g / nw, beta = 0, delta = -g nx c / nw^2.
                for (int j = 0; j < classes; j++)
                {
                    T alpha = coef[j] * invRows * invNw[j];
                    coef[j] = alpha;
                    cos[j] = -alpha * nx * cos[j] * invNw[j];
                }
                break;
            default:
            {
                // z_j = s c_j, u = g s = dL/dc_j: alpha = u / (nx nw), beta = -u c / nx^2, delta = -u c / nw^2.
                T s = T.CreateTruncating(plan.Scale);
                for (int j = 0; j < classes; j++)
                {
                    T u = coef[j] * invRows * s;
                    coef[j] = u * invNx * invNw[j];
                    beta -= u * cos[j];
                    cos[j] = -u * cos[j] * invNw[j] * invNw[j];
                }
                beta *= invNx * invNx;
                break;
            }
        }

        double dnx = double.CreateTruncating(nx), invNwy = double.CreateTruncating(invNw[y]), nwy = 1 / invNwy;
        double alphaY, betaY, deltaY;
        switch (plan.Kind)
        {
            case MarginKind.Softmax:
                alphaY = gy;
                betaY = deltaY = 0;
                break;
            case MarginKind.LSoftmax:
            {
                // z_y = (nx nw psi(c) + lambda x . w) / (1 + lambda), symmetric in (x, w):
                // dz/dx = [(nw/nx)(psi - c psi') x + (psi' + lambda) w] / (1 + lambda).
                double a = 1 / (1 + plan.Lambda), psi = extra, dpsi = dzdc;
                alphaY = gy * a * (dpsi + plan.Lambda);
                betaY = gy * a * nwy / dnx * (psi - c * dpsi);
                deltaY = gy * a * dnx / nwy * (psi - c * dpsi);
                break;
            }
            case MarginKind.SphereFace:
            {
                // z_y = nx F(c): dz/dx = (F - c F') x / nx + F' w / nw, dz/dw = F' x / nw - nx F' c w / nw^2.
                double f = extra, df = dzdc;
                alphaY = gy * df * invNwy;
                betaY = gy * (f - c * df) / dnx;
                deltaY = -gy * dnx * df * c * invNwy * invNwy;
                break;
            }
            default:
            {
                // z_y = s f(c), dzdc = s f'(c): u = g s f'(c).
                double u = gy * dzdc;
                alphaY = u / (dnx * nwy);
                betaY = -u * c / (dnx * dnx);
                deltaY = -u * c * invNwy * invNwy;
                break;
            }
        }
        coef[y] = T.CreateTruncating(alphaY);
        cos[y] = T.CreateTruncating(deltaY);
        return beta + T.CreateTruncating(betaY);
    }

    /// <summary>dst += a x + b y, one pass over dst (vectorized); b = 0 skips y.</summary>
    private static void AddScaled(Span<T> dst, T a, ReadOnlySpan<T> x, T b, ReadOnlySpan<T> y)
    {
        int n = dst.Length, i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T d = ref MemoryMarshal.GetReference(dst);
            ref T px = ref MemoryMarshal.GetReference(x);
            ref T py = ref MemoryMarshal.GetReference(y);
            var va = new Vector<T>(a);
            var vb = new Vector<T>(b);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var acc = Vector.LoadUnsafe(ref d, (nuint)i);
                acc += va * Vector.LoadUnsafe(ref px, (nuint)i) + vb * Vector.LoadUnsafe(ref py, (nuint)i);
                acc.StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < n; i++)
            dst[i] += a * x[i] + b * y[i];
    }

    private static T Clamp(T c) => T.Clamp(c, T.NegativeOne, T.One);

    /// <summary>c clamped to [-1 + 1e-7, 1 - 1e-7], for the denominators sqrt(1 - c^2) of derivatives.</summary>
    private static double ClampInside(double c) =>
        Math.Clamp(c, -1 + MarginConstants.DerivativeClamp, 1 - MarginConstants.DerivativeClamp);

    private static void LogSoftmax(ReadOnlySpan<T> z, Span<T> logProbabilities)
    {
        if (typeof(T) == typeof(float))
        {
            Functional.LogSoftmax(MemoryMarshal.Cast<T, float>(z), MemoryMarshal.Cast<T, float>(logProbabilities));
            return;
        }
        // The double path (tests only): the same max-shifted form.
        T max = TensorPrimitives.Max(z), sum = T.Zero;
        foreach (T v in z) sum += T.Exp(v - max);
        T shift = max + T.Log(sum);
        TensorPrimitives.Subtract(z, shift, logProbabilities);
    }

    private static void Softmax(ReadOnlySpan<T> z, Span<T> probabilities)
    {
        if (typeof(T) == typeof(float))
        {
            Functional.Softmax(MemoryMarshal.Cast<T, float>(z), MemoryMarshal.Cast<T, float>(probabilities));
            return;
        }
        LogSoftmax(z, probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
    }
}
