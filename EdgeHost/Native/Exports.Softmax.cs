using System.Runtime.InteropServices;

namespace EdgeLoss.Native;

/// <summary>The softmax family and cross-entropy exports of edgeloss.h.</summary>
/// <remarks>
/// Results are computed into pooled scratch and copied out on success, because the C contract writes outputs only
/// when a call returns EL_OK (a NaN in row 7 must not leave rows 0..6 of y overwritten), and x may be y.
/// </remarks>
internal static unsafe partial class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "el_softmax")]
    public static int ElSoftmax(float* x, int rows, int cols, float temperature, float* y)
    {
        try
        {
            int n = Check.Matrix(x, rows, cols, "x");
            Check.NotNull(y, "y");
            using var result = new Scratch(n);
            Functional.Softmax(new ReadOnlySpan<float>(x, n), cols, result.Span, temperature);
            result.CopyTo(y);
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_log_softmax")]
    public static int ElLogSoftmax(float* x, int rows, int cols, float* y)
    {
        try
        {
            int n = Check.Matrix(x, rows, cols, "x");
            Check.NotNull(y, "y");
            using var result = new Scratch(n);
            Functional.LogSoftmax(new ReadOnlySpan<float>(x, n), cols, result.Span);
            result.CopyTo(y);
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_logsumexp")]
    public static int ElLogSumExp(float* x, int rows, int cols, float* output)
    {
        try
        {
            int n = Check.Matrix(x, rows, cols, "x");
            Check.NotNull(output, "out");
            using var result = new Scratch(rows);
            Functional.LogSumExp(new ReadOnlySpan<float>(x, n), cols, result.Span);
            result.CopyTo(output);
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_cross_entropy")]
    public static int ElCrossEntropy(float* logits, int* target, int rows, int cols, float* classWeight, int ignoreIndex,
        float labelSmoothing, int reduction, float* loss, float* grad)
    {
        try
        {
            int n = Check.Matrix(logits, rows, cols, "logits");
            Check.NotNull(target, "target");
            Check.NotNull(loss, "loss");
            var targets = new ReadOnlySpan<int>(target, rows);
            Guard.Indices(targets, cols, ignoreIndex, "target"); // the C parameter's name in the message
            var options = CrossEntropyOptionsOf(classWeight, cols, ignoreIndex, labelSmoothing, reduction);
            using var lossOut = new Scratch(options.Reduction == Reduction.None ? rows : 1);
            using var gradOut = new Scratch(grad == null ? 0 : n);
            Losses.CrossEntropy(new ReadOnlySpan<float>(logits, n), targets, lossOut.Span, gradOut.Span, options);
            lossOut.CopyTo(loss);
            gradOut.CopyTo(grad);
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_cross_entropy_soft")]
    public static int ElCrossEntropySoft(float* logits, float* target, int rows, int cols, float* classWeight,
        float labelSmoothing, int reduction, float* loss, float* grad)
    {
        try
        {
            int n = Check.Matrix(logits, rows, cols, "logits");
            Check.NotNull(target, "target");
            Check.NotNull(loss, "loss");
            var options = CrossEntropyOptionsOf(classWeight, cols, CrossEntropyOptions.Default.IgnoreIndex, labelSmoothing, reduction);
            using var lossOut = new Scratch(options.Reduction == Reduction.None ? rows : 1);
            using var gradOut = new Scratch(grad == null ? 0 : n);
            Losses.CrossEntropy(new ReadOnlySpan<float>(logits, n), new ReadOnlySpan<float>(target, n), cols, lossOut.Span, gradOut.Span, options);
            lossOut.CopyTo(loss);
            gradOut.CopyTo(grad);
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    private static CrossEntropyOptions CrossEntropyOptionsOf(float* classWeight, int cols, int ignoreIndex, float labelSmoothing, int reduction)
    {
        if (reduction is < 0 or > 2)
            throw new ArgumentOutOfRangeException(nameof(reduction), $"reduction = {reduction} is not EL_REDUCTION_NONE (0), EL_REDUCTION_MEAN (1) or EL_REDUCTION_SUM (2)");
        if (!(labelSmoothing is >= 0f and <= 1f))
            throw new ArgumentOutOfRangeException("label_smoothing", $"label_smoothing = {Guard.Format(labelSmoothing)} is outside [0, 1]");
        return new CrossEntropyOptions
        {
            // Copied: the options must not keep the caller's pointer past the call.
            Weight = classWeight == null ? ReadOnlyMemory<float>.Empty : new ReadOnlySpan<float>(classWeight, cols).ToArray(),
            IgnoreIndex = ignoreIndex,
            LabelSmoothing = labelSmoothing,
            Reduction = (Reduction)reduction,
        };
    }
}
