namespace EdgeLoss;

public static partial class Losses
{
    /// <summary>
    /// Knowledge-distillation loss (Hinton et al.):
    /// <c>alpha T^2 KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) CE(student, y)</c>, where the KL term
    /// is summed over classes and divided by the number of rows (PyTorch's <c>kl_div(..., reduction='batchmean')</c>)
    /// and CE is the mean cross-entropy at temperature 1 with PyTorch's defaults (rows with target -100 are left out
    /// of it, but not out of the KL term). The T^2 keeps the soft term's gradient on the scale of the hard term's.
    /// </summary>
    /// <remarks>
    /// Equals <c>alpha * T * T * F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction='batchmean')
    /// + (1 - alpha) * F.cross_entropy(s, y)</c>, except that a class the teacher gives probability 0 (logit -inf)
    /// contributes 0 to the KL term where PyTorch 1.13 returns NaN.
    /// </remarks>
    /// <param name="studentLogits">rows x C student logits, row-major, <c>C = studentLogits.Length / targets.Length</c>.</param>
    /// <param name="teacherLogits">rows x C teacher logits, same length.</param>
    /// <param name="targets">One class index per row, in [0, C) or -100 (ignored by the CE term).</param>
    /// <param name="temperature">T, finite and &gt; 0.</param>
    /// <param name="alpha">The weight of the soft term, in [0, 1].</param>
    /// <param name="gradient">Empty (not computed), or studentLogits.Length: d loss / d studentLogits,
    /// <c>alpha T / rows (softmax(s/T) - softmax(t/T)) + (1 - alpha) / kept (softmax(s) - onehot(y))</c>.</param>
    /// <returns>The loss (NaN when every target is ignored, as PyTorch's mean cross-entropy).</returns>
    /// <exception cref="NonFiniteInputException">A logit is NaN or +inf, or a row is all -inf.</exception>
    /// <exception cref="ArgumentOutOfRangeException">T is not finite and &gt; 0, alpha is outside [0, 1], or a target is out of range.</exception>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public static float Distillation(ReadOnlySpan<float> studentLogits, ReadOnlySpan<float> teacherLogits, ReadOnlySpan<int> targets,
        float temperature, float alpha, Span<float> gradient)
    {
        Guard.PositiveFinite(temperature);
        if (!(alpha >= 0f && alpha <= 1f))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha = {Guard.Format(alpha)} is outside [0, 1]");
        int rows = targets.Length;
        int classes = ClassTargetChecks.Classes(studentLogits.Length, rows, nameof(studentLogits), nameof(targets));
        Guard.Length(teacherLogits, studentLogits.Length);
        Guard.OptionalLength(gradient, studentLogits.Length);
        const int ignore = -100;
        double kept = ClassTargetChecks.Denominator(targets, classes, ignore, default);

        float klScale = (float)((double)alpha * temperature / rows);
        double ceScale = (1.0 - alpha) / kept;
        double kl = 0, ce = 0;
        for (int n = 0, o = 0; n < rows; n++, o += classes)
        {
            ReadOnlySpan<float> s = studentLogits.Slice(o, classes), t = teacherLogits.Slice(o, classes);
            Span<float> g = gradient.IsEmpty ? default : gradient.Slice(o, classes);
            double sumT = SoftmaxKernel.RowExpSum(t, temperature, default, nameof(teacherLogits), o, out float maxT);
            double sumS = SoftmaxKernel.RowExpSum(s, temperature, default, nameof(studentLogits), o, out float maxS);
            int y = targets[n];
            bool hard = y != ignore;
            // The CE softmax at T = 1 shares the student's max; its row was validated just above.
            double sum1 = temperature == 1f ? sumS : SoftmaxKernel.ExpSum(s, new SoftmaxKernel.Shift(maxS), default);
            double logSum1 = Math.Log(sum1);
            kl += SoftmaxKernel.DistillationRow(s, t, maxS, maxT, temperature, Math.Log(sumS), Math.Log(sumT), logSum1,
                g, klScale, hard ? (float)ceScale : 0f);
            if (hard)
            {
                ce += logSum1 - ((double)s[y] - maxS);
                if (!g.IsEmpty) g[y] -= (float)ceScale;
            }
        }
        return (float)(alpha * (double)temperature * temperature * kl / rows + (1.0 - alpha) * (ce / kept));
    }
}
