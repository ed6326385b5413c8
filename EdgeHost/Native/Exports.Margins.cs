using System.Runtime.InteropServices;

namespace EdgeLoss.Native;

/// <summary>el_head, field for field as edgeloss.h declares it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ElHead
{
    public int Kind;
    public int M;
    public float Scale;
    public float Margin;
    public float M1, M2, M3;
    public float Lambda;
    public int EasyMargin;

    /// <summary>The Runtime's options; fields that do not apply to the kind are ignored, as the header says.</summary>
    public readonly MarginHeadOptions ToOptions()
    {
        if ((uint)Kind > (uint)MarginKind.Combined)
            throw new ArgumentOutOfRangeException("head->kind", $"head->kind = {Kind} is not an EL_HEAD_* value (0..6)");
        if (EasyMargin is not (0 or 1))
            throw new ArgumentOutOfRangeException("head->easy_margin", $"head->easy_margin = {EasyMargin} must be 0 or 1");
        var options = new MarginHeadOptions
        {
            Kind = (MarginKind)Kind, M = M, Scale = Scale, Margin = Margin,
            M1 = M1, M2 = M2, M3 = M3, Lambda = Lambda, EasyMargin = EasyMargin == 1,
        };
        options.Validate();
        return options;
    }
}

/// <summary>The margin-head exports of edgeloss.h.</summary>
/// <remarks>Results may differ from the JIT-compiled Runtime in the last bits: the AOT image targets a baseline ISA.</remarks>
internal static unsafe partial class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "el_head_forward")]
    public static int ElHeadForward(ElHead* head, float* x, float* w, int* target, int rows, int dim, int classes,
        float* logits, float* loss, float* gradX, float* gradW)
    {
        try
        {
            Check.NotNull(head, "head");
            int nx = Check.Matrix(x, rows, dim, "x", "rows", "dim");
            int nw = Check.Matrix(w, classes, dim, "w", "classes", "dim");
            Check.NotNull(target, "target");
            Check.NotNull(loss, "loss");
            var targets = new ReadOnlySpan<int>(target, rows);
            Guard.Indices(targets, classes, name: "target");
            MarginHeadOptions options = head->ToOptions();
            using var logitsOut = new Scratch(logits == null ? 0 : Check.Product(rows, classes, "logits"));
            using var gradXOut = new Scratch(gradX == null ? 0 : nx);
            using var gradWOut = new Scratch(gradW == null ? 0 : nw);
            float value = MarginHeads.Forward(options, new ReadOnlySpan<float>(x, nx), new ReadOnlySpan<float>(w, nw), targets, dim,
                logitsOut.Span, gradXOut.Span, gradWOut.Span);
            logitsOut.CopyTo(logits);
            gradXOut.CopyTo(gradX);
            gradWOut.CopyTo(gradW);
            *loss = value;
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "el_head_predict")]
    public static int ElHeadPredict(ElHead* head, float* x, float* w, int rows, int dim, int classes, float* probabilities)
    {
        try
        {
            Check.NotNull(head, "head");
            int nx = Check.Matrix(x, rows, dim, "x", "rows", "dim");
            int nw = Check.Matrix(w, classes, dim, "w", "classes", "dim");
            Check.NotNull(probabilities, "probabilities");
            MarginHeadOptions options = head->ToOptions();
            using var result = new Scratch(Check.Product(rows, classes, "probabilities"));
            MarginHeads.Predict(options, new ReadOnlySpan<float>(x, nx), new ReadOnlySpan<float>(w, nw), dim, result.Span);
            result.CopyTo(probabilities);
            return 0;
        }
        catch (Exception e) { return Errors.Fail(e); }
    }
}
