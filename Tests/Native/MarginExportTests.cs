using System.Runtime.InteropServices;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Native;

/// <summary>el_head_forward and el_head_predict through the C struct, against the managed heads.</summary>
[Collection(NativeCollection.Name)]
public sealed unsafe class MarginExportTests(NativeLibraryFixture lib)
{
    [StructLayout(LayoutKind.Sequential)]
    private struct ElHead
    {
        public int Kind, M;
        public float Scale, Margin, M1, M2, M3, Lambda;
        public int EasyMargin;
    }

    private string LastError() => Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<byte*>)lib.Export("el_last_error"))())!;

    private int Forward(ElHead head, float[] x, float[] w, int[] target, int rows, int dim, int classes,
        float[]? logits, float[] loss, float[]? gradX, float[]? gradW)
    {
        var f = (delegate* unmanaged<ElHead*, float*, float*, int*, int, int, int, float*, float*, float*, float*, int>)lib.Export("el_head_forward");
        fixed (float* px = x, pw = w, pl = logits, plo = loss, pgx = gradX, pgw = gradW)
        fixed (int* pt = target)
            return f(&head, px, pw, pt, rows, dim, classes, pl, plo, pgx, pgw);
    }

    private static (float[] x, float[] w, int[] y) Data(int rows, int dim, int classes, int seed)
    {
        var r = new Random(seed);
        float[] x = new float[rows * dim], w = new float[classes * dim];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        for (int i = 0; i < w.Length; i++) w[i] = (float)(r.NextDouble() * 2 - 1);
        int[] y = Enumerable.Range(0, rows).Select(i => i % classes).ToArray();
        return (x, w, y);
    }

    public static TheoryData<int, MarginHeadOptions> Heads => new()
    {
        { 0, MarginHeadOptions.Softmax() },
        { 1, MarginHeadOptions.LSoftmax(3, 2f) },
        { 2, MarginHeadOptions.SphereFace(4, 5f) },
        { 3, MarginHeadOptions.NormFace(30f) },
        { 4, MarginHeadOptions.CosFace(30f, 0.35f) },
        { 5, MarginHeadOptions.ArcFace(64f, 0.5f) },
        { 5, MarginHeadOptions.ArcFace(64f, 0.5f, easyMargin: true) },
        { 6, MarginHeadOptions.Combined(64f, 1f, 0.3f, 0.2f) },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void Every_kind_matches_the_managed_head(int kind, MarginHeadOptions options)
    {
        const int rows = 3, dim = 5, classes = 4;
        var (x, w, y) = Data(rows, dim, classes, 7 + kind);
        var head = new ElHead
        {
            Kind = kind, M = options.M, Scale = options.Scale, Margin = options.Margin,
            M1 = options.M1, M2 = options.M2, M3 = options.M3, Lambda = options.Lambda, EasyMargin = options.EasyMargin ? 1 : 0,
        };
        float[] logits = new float[rows * classes], loss = new float[1], gx = new float[rows * dim], gw = new float[classes * dim];
        Assert.Equal(0, Forward(head, x, w, y, rows, dim, classes, logits, loss, gx, gw));

        float[] eLogits = new float[rows * classes], eGx = new float[rows * dim], eGw = new float[classes * dim];
        float eLoss = MarginHeads.Forward(options, x, w, y, dim, eLogits, eGx, eGw);
        Approx.Equal(eLoss, loss[0], 1e-5, 1e-6, "loss");
        Approx.Equal(eLogits, logits, 1e-5, 1e-6, "logits");
        Approx.Equal(eGx, gx, 1e-5, 1e-6, "gx");
        Approx.Equal(eGw, gw, 1e-5, 1e-6, "gw");

        // Optional outputs may be NULL.
        var loss2 = new float[1];
        Assert.Equal(0, Forward(head, x, w, y, rows, dim, classes, null, loss2, null, null));
        Approx.Equal(eLoss, loss2[0], 1e-5, 1e-6, "loss");

        var p = new float[rows * classes];
        var predict = (delegate* unmanaged<ElHead*, float*, float*, int, int, int, float*, int>)lib.Export("el_head_predict");
        fixed (float* px = x, pw = w, pp = p) Assert.Equal(0, predict(&head, px, pw, rows, dim, classes, pp));
        var eP = new float[rows * classes];
        MarginHeads.Predict(options, x, w, dim, eP);
        Approx.Equal(eP, p, 1e-5, 1e-6, "p");
    }

    [Fact]
    public void Bad_heads_and_inputs_get_their_status_and_message()
    {
        var (x, w, y) = Data(2, 3, 4, 1);
        var loss = new float[] { 42 };
        Assert.Equal(1, Forward(new ElHead { Kind = 9 }, x, w, y, 2, 3, 4, null, loss, null, null));
        Assert.Equal("head->kind = 9 is not an EL_HEAD_* value (0..6)", LastError());
        Assert.Equal(1, Forward(new ElHead { Kind = 2, M = 9 }, x, w, y, 2, 3, 4, null, loss, null, null));
        Assert.StartsWith("M = 9 is outside [1, 8]", LastError());
        Assert.Equal(1, Forward(new ElHead { Kind = 5, Scale = 0f, Margin = 0.5f }, x, w, y, 2, 3, 4, null, loss, null, null));
        Assert.StartsWith("Scale = 0 must be finite and > 0", LastError());
        Assert.Equal(1, Forward(new ElHead { Kind = 5, Scale = 64f }, x, w, [0, 4], 2, 3, 4, null, loss, null, null));
        Assert.Equal("target[1] = 4 is outside [0, 4)", LastError());
        var zero = (float[])x.Clone(); zero[3] = zero[4] = zero[5] = 0f;
        Assert.Equal(2, Forward(new ElHead { Kind = 5, Scale = 64f, Margin = 0.5f }, zero, w, y, 2, 3, 4, null, loss, null, null));
        Assert.Contains("x", LastError());
        Assert.Equal(1, Forward(new ElHead { Kind = 0 }, x, w, y, 2, 0, 4, null, loss, null, null));
        Assert.Equal("dim = 0 must be >= 1", LastError());
        Assert.Equal(42f, loss[0]);
    }
}
