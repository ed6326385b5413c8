namespace EdgeLoss.Tests.Generators;

// Margin heads the generated-code tests call: every kind; odd sizes (D = 3: scalar rows; D = 4, 5, 9, 37: Vector128/
// 256/512 with an overlapping last block; D = 128: unrolled Vector512 rows, looped Vector256/128 rows; D = 300: looped
// rows everywhere); m = 1..8 for L-Softmax and SphereFace; defaults (Scale 64, ArcFace 0.5, CosFace 0.35) for *10x3.
[MarginHead(MarginKind.Softmax, classes: 7, dim: 5)] public static partial class SoftmaxM7x5 { }
[MarginHead(MarginKind.Softmax, classes: 100, dim: 128)] public static partial class SoftmaxM100x128 { }
[MarginHead(MarginKind.LSoftmax, classes: 10, dim: 3, M = 4)] public static partial class LSoftmax10x3 { }
[MarginHead(MarginKind.LSoftmax, classes: 7, dim: 37, M = 3)] public static partial class LSoftmax7x37 { }
[MarginHead(MarginKind.SphereFace, classes: 10, dim: 3, M = 4)] public static partial class Sphere10x3 { }
[MarginHead(MarginKind.SphereFace, classes: 7, dim: 5, M = 2)] public static partial class Sphere7x5 { }
[MarginHead(MarginKind.NormFace, classes: 10, dim: 3, Scale = 16f)] public static partial class Norm10x3 { }
[MarginHead(MarginKind.CosFace, classes: 7, dim: 5, Scale = 30f, Margin = 0.35f)] public static partial class Cos7x5 { }
[MarginHead(MarginKind.CosFace, classes: 10, dim: 3)] public static partial class Cos10x3 { }
[MarginHead(MarginKind.ArcFace, classes: 100, dim: 128, Scale = 64f, Margin = 0.5f)] public static partial class Arc100x128 { }
[MarginHead(MarginKind.ArcFace, classes: 10, dim: 3)] public static partial class Arc10x3 { }
[MarginHead(MarginKind.ArcFace, classes: 10, dim: 3, Scale = 8f, Margin = 0.5f, EasyMargin = true)] public static partial class ArcEasy10x3 { }
[MarginHead(MarginKind.ArcFace, classes: 13, dim: 300, Scale = 32f, Margin = 0.3f)] public static partial class Arc13x300 { }
[MarginHead(MarginKind.Combined, classes: 7, dim: 5, Scale = 16f, M1 = 1f, M2 = 0.3f, M3 = 0.2f)] public static partial class Combined7x5 { }
[MarginHead(MarginKind.Combined, classes: 10, dim: 3, Scale = 16f, M1 = 0.9f, M2 = 0.4f, M3 = 0.15f)] public static partial class CombinedAcos10x3 { }
[MarginHead(MarginKind.LSoftmax, classes: 6, dim: 4, M = 1)] public static partial class LSoftmaxM1 { }
[MarginHead(MarginKind.SphereFace, classes: 5, dim: 9, M = 1)] public static partial class SphereM1 { }
[MarginHead(MarginKind.LSoftmax, classes: 6, dim: 4, M = 2)] public static partial class LSoftmaxM2 { }
[MarginHead(MarginKind.SphereFace, classes: 5, dim: 9, M = 2)] public static partial class SphereM2 { }
[MarginHead(MarginKind.LSoftmax, classes: 6, dim: 4, M = 3)] public static partial class LSoftmaxM3 { }
[MarginHead(MarginKind.SphereFace, classes: 5, dim: 9, M = 3)] public static partial class SphereM3 { }
[MarginHead(MarginKind.LSoftmax, classes: 6, dim: 4, M = 4)] public static partial class LSoftmaxM4 { }
[MarginHead(MarginKind.SphereFace, classes: 5, dim: 9, M = 4)] public static partial class SphereM4 { }
[MarginHead(MarginKind.LSoftmax, classes: 6, dim: 4, M = 5)] public static partial class LSoftmaxM5 { }
[MarginHead(MarginKind.SphereFace, classes: 5, dim: 9, M = 5)] public static partial class SphereM5 { }
[MarginHead(MarginKind.LSoftmax, classes: 6, dim: 4, M = 6)] public static partial class LSoftmaxM6 { }
[MarginHead(MarginKind.SphereFace, classes: 5, dim: 9, M = 6)] public static partial class SphereM6 { }
[MarginHead(MarginKind.LSoftmax, classes: 6, dim: 4, M = 7)] public static partial class LSoftmaxM7 { }
[MarginHead(MarginKind.SphereFace, classes: 5, dim: 9, M = 7)] public static partial class SphereM7 { }
[MarginHead(MarginKind.LSoftmax, classes: 6, dim: 4, M = 8)] public static partial class LSoftmaxM8 { }
[MarginHead(MarginKind.SphereFace, classes: 5, dim: 9, M = 8)] public static partial class SphereM8 { }

public delegate void CosinesFn(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> cosines);
public delegate void LogitsFn(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int target, Span<float> logits);
public delegate void LogitsLambdaFn(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int target, Span<float> logits, float lambda);
public delegate void PredictFn(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> probabilities);
public delegate float LossFn(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int target, Span<float> gradX, Span<float> gradW);
public delegate float LossLambdaFn(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int target, Span<float> gradX, Span<float> gradW, float lambda);

/// <summary>The generated members of one [MarginHead] class, as delegates, with the spec it was declared with.</summary>
public sealed record MarginHeadUnderTest(string Name, MarginSpec Spec, Type Type, int Classes, int Dim, CosinesFn Cosines, LogitsFn Logits,
    PredictFn Predict, LossFn Loss, LogitsLambdaFn? LogitsLambda = null, LossLambdaFn? LossLambda = null)
{
    public override string ToString() => Name;

    public static readonly MarginHeadUnderTest[] All =
    {
        new(nameof(SoftmaxM7x5), new(MarginKind.Softmax, 7, 5), typeof(SoftmaxM7x5), SoftmaxM7x5.Classes, SoftmaxM7x5.Dim, SoftmaxM7x5.Cosines, SoftmaxM7x5.Logits, SoftmaxM7x5.Predict, SoftmaxM7x5.Loss),
        new(nameof(SoftmaxM100x128), new(MarginKind.Softmax, 100, 128), typeof(SoftmaxM100x128), SoftmaxM100x128.Classes, SoftmaxM100x128.Dim, SoftmaxM100x128.Cosines, SoftmaxM100x128.Logits, SoftmaxM100x128.Predict, SoftmaxM100x128.Loss),
        new(nameof(LSoftmax10x3), new(MarginKind.LSoftmax, 10, 3, M: 4), typeof(LSoftmax10x3), LSoftmax10x3.Classes, LSoftmax10x3.Dim, LSoftmax10x3.Cosines, LSoftmax10x3.Logits, LSoftmax10x3.Predict, LSoftmax10x3.Loss, LSoftmax10x3.Logits, LSoftmax10x3.Loss),
        new(nameof(LSoftmax7x37), new(MarginKind.LSoftmax, 7, 37, M: 3), typeof(LSoftmax7x37), LSoftmax7x37.Classes, LSoftmax7x37.Dim, LSoftmax7x37.Cosines, LSoftmax7x37.Logits, LSoftmax7x37.Predict, LSoftmax7x37.Loss, LSoftmax7x37.Logits, LSoftmax7x37.Loss),
        new(nameof(Sphere10x3), new(MarginKind.SphereFace, 10, 3, M: 4), typeof(Sphere10x3), Sphere10x3.Classes, Sphere10x3.Dim, Sphere10x3.Cosines, Sphere10x3.Logits, Sphere10x3.Predict, Sphere10x3.Loss, Sphere10x3.Logits, Sphere10x3.Loss),
        new(nameof(Sphere7x5), new(MarginKind.SphereFace, 7, 5, M: 2), typeof(Sphere7x5), Sphere7x5.Classes, Sphere7x5.Dim, Sphere7x5.Cosines, Sphere7x5.Logits, Sphere7x5.Predict, Sphere7x5.Loss, Sphere7x5.Logits, Sphere7x5.Loss),
        new(nameof(Norm10x3), new(MarginKind.NormFace, 10, 3, Scale: 16), typeof(Norm10x3), Norm10x3.Classes, Norm10x3.Dim, Norm10x3.Cosines, Norm10x3.Logits, Norm10x3.Predict, Norm10x3.Loss),
        new(nameof(Cos7x5), new(MarginKind.CosFace, 7, 5, Scale: 30, Margin: 0.35f), typeof(Cos7x5), Cos7x5.Classes, Cos7x5.Dim, Cos7x5.Cosines, Cos7x5.Logits, Cos7x5.Predict, Cos7x5.Loss),
        new(nameof(Cos10x3), new(MarginKind.CosFace, 10, 3, Scale: 64, Margin: 0.35f), typeof(Cos10x3), Cos10x3.Classes, Cos10x3.Dim, Cos10x3.Cosines, Cos10x3.Logits, Cos10x3.Predict, Cos10x3.Loss),
        new(nameof(Arc100x128), new(MarginKind.ArcFace, 100, 128, Scale: 64, Margin: 0.5f), typeof(Arc100x128), Arc100x128.Classes, Arc100x128.Dim, Arc100x128.Cosines, Arc100x128.Logits, Arc100x128.Predict, Arc100x128.Loss),
        new(nameof(Arc10x3), new(MarginKind.ArcFace, 10, 3, Scale: 64, Margin: 0.5f), typeof(Arc10x3), Arc10x3.Classes, Arc10x3.Dim, Arc10x3.Cosines, Arc10x3.Logits, Arc10x3.Predict, Arc10x3.Loss),
        new(nameof(ArcEasy10x3), new(MarginKind.ArcFace, 10, 3, Scale: 8, Margin: 0.5f, Easy: true), typeof(ArcEasy10x3), ArcEasy10x3.Classes, ArcEasy10x3.Dim, ArcEasy10x3.Cosines, ArcEasy10x3.Logits, ArcEasy10x3.Predict, ArcEasy10x3.Loss),
        new(nameof(Arc13x300), new(MarginKind.ArcFace, 13, 300, Scale: 32, Margin: 0.3f), typeof(Arc13x300), Arc13x300.Classes, Arc13x300.Dim, Arc13x300.Cosines, Arc13x300.Logits, Arc13x300.Predict, Arc13x300.Loss),
        new(nameof(Combined7x5), new(MarginKind.Combined, 7, 5, Scale: 16, M1: 1, M2: 0.3f, M3: 0.2f), typeof(Combined7x5), Combined7x5.Classes, Combined7x5.Dim, Combined7x5.Cosines, Combined7x5.Logits, Combined7x5.Predict, Combined7x5.Loss),
        new(nameof(CombinedAcos10x3), new(MarginKind.Combined, 10, 3, Scale: 16, M1: 0.9f, M2: 0.4f, M3: 0.15f), typeof(CombinedAcos10x3), CombinedAcos10x3.Classes, CombinedAcos10x3.Dim, CombinedAcos10x3.Cosines, CombinedAcos10x3.Logits, CombinedAcos10x3.Predict, CombinedAcos10x3.Loss),
        new(nameof(LSoftmaxM1), new(MarginKind.LSoftmax, 6, 4, M: 1), typeof(LSoftmaxM1), LSoftmaxM1.Classes, LSoftmaxM1.Dim, LSoftmaxM1.Cosines, LSoftmaxM1.Logits, LSoftmaxM1.Predict, LSoftmaxM1.Loss, LSoftmaxM1.Logits, LSoftmaxM1.Loss),
        new(nameof(SphereM1), new(MarginKind.SphereFace, 5, 9, M: 1), typeof(SphereM1), SphereM1.Classes, SphereM1.Dim, SphereM1.Cosines, SphereM1.Logits, SphereM1.Predict, SphereM1.Loss, SphereM1.Logits, SphereM1.Loss),
        new(nameof(LSoftmaxM2), new(MarginKind.LSoftmax, 6, 4, M: 2), typeof(LSoftmaxM2), LSoftmaxM2.Classes, LSoftmaxM2.Dim, LSoftmaxM2.Cosines, LSoftmaxM2.Logits, LSoftmaxM2.Predict, LSoftmaxM2.Loss, LSoftmaxM2.Logits, LSoftmaxM2.Loss),
        new(nameof(SphereM2), new(MarginKind.SphereFace, 5, 9, M: 2), typeof(SphereM2), SphereM2.Classes, SphereM2.Dim, SphereM2.Cosines, SphereM2.Logits, SphereM2.Predict, SphereM2.Loss, SphereM2.Logits, SphereM2.Loss),
        new(nameof(LSoftmaxM3), new(MarginKind.LSoftmax, 6, 4, M: 3), typeof(LSoftmaxM3), LSoftmaxM3.Classes, LSoftmaxM3.Dim, LSoftmaxM3.Cosines, LSoftmaxM3.Logits, LSoftmaxM3.Predict, LSoftmaxM3.Loss, LSoftmaxM3.Logits, LSoftmaxM3.Loss),
        new(nameof(SphereM3), new(MarginKind.SphereFace, 5, 9, M: 3), typeof(SphereM3), SphereM3.Classes, SphereM3.Dim, SphereM3.Cosines, SphereM3.Logits, SphereM3.Predict, SphereM3.Loss, SphereM3.Logits, SphereM3.Loss),
        new(nameof(LSoftmaxM4), new(MarginKind.LSoftmax, 6, 4, M: 4), typeof(LSoftmaxM4), LSoftmaxM4.Classes, LSoftmaxM4.Dim, LSoftmaxM4.Cosines, LSoftmaxM4.Logits, LSoftmaxM4.Predict, LSoftmaxM4.Loss, LSoftmaxM4.Logits, LSoftmaxM4.Loss),
        new(nameof(SphereM4), new(MarginKind.SphereFace, 5, 9, M: 4), typeof(SphereM4), SphereM4.Classes, SphereM4.Dim, SphereM4.Cosines, SphereM4.Logits, SphereM4.Predict, SphereM4.Loss, SphereM4.Logits, SphereM4.Loss),
        new(nameof(LSoftmaxM5), new(MarginKind.LSoftmax, 6, 4, M: 5), typeof(LSoftmaxM5), LSoftmaxM5.Classes, LSoftmaxM5.Dim, LSoftmaxM5.Cosines, LSoftmaxM5.Logits, LSoftmaxM5.Predict, LSoftmaxM5.Loss, LSoftmaxM5.Logits, LSoftmaxM5.Loss),
        new(nameof(SphereM5), new(MarginKind.SphereFace, 5, 9, M: 5), typeof(SphereM5), SphereM5.Classes, SphereM5.Dim, SphereM5.Cosines, SphereM5.Logits, SphereM5.Predict, SphereM5.Loss, SphereM5.Logits, SphereM5.Loss),
        new(nameof(LSoftmaxM6), new(MarginKind.LSoftmax, 6, 4, M: 6), typeof(LSoftmaxM6), LSoftmaxM6.Classes, LSoftmaxM6.Dim, LSoftmaxM6.Cosines, LSoftmaxM6.Logits, LSoftmaxM6.Predict, LSoftmaxM6.Loss, LSoftmaxM6.Logits, LSoftmaxM6.Loss),
        new(nameof(SphereM6), new(MarginKind.SphereFace, 5, 9, M: 6), typeof(SphereM6), SphereM6.Classes, SphereM6.Dim, SphereM6.Cosines, SphereM6.Logits, SphereM6.Predict, SphereM6.Loss, SphereM6.Logits, SphereM6.Loss),
        new(nameof(LSoftmaxM7), new(MarginKind.LSoftmax, 6, 4, M: 7), typeof(LSoftmaxM7), LSoftmaxM7.Classes, LSoftmaxM7.Dim, LSoftmaxM7.Cosines, LSoftmaxM7.Logits, LSoftmaxM7.Predict, LSoftmaxM7.Loss, LSoftmaxM7.Logits, LSoftmaxM7.Loss),
        new(nameof(SphereM7), new(MarginKind.SphereFace, 5, 9, M: 7), typeof(SphereM7), SphereM7.Classes, SphereM7.Dim, SphereM7.Cosines, SphereM7.Logits, SphereM7.Predict, SphereM7.Loss, SphereM7.Logits, SphereM7.Loss),
        new(nameof(LSoftmaxM8), new(MarginKind.LSoftmax, 6, 4, M: 8), typeof(LSoftmaxM8), LSoftmaxM8.Classes, LSoftmaxM8.Dim, LSoftmaxM8.Cosines, LSoftmaxM8.Logits, LSoftmaxM8.Predict, LSoftmaxM8.Loss, LSoftmaxM8.Logits, LSoftmaxM8.Loss),
        new(nameof(SphereM8), new(MarginKind.SphereFace, 5, 9, M: 8), typeof(SphereM8), SphereM8.Classes, SphereM8.Dim, SphereM8.Cosines, SphereM8.Logits, SphereM8.Predict, SphereM8.Loss, SphereM8.Logits, SphereM8.Loss),
    };

    public static TheoryData<string> Names => new(All.Select(h => h.Name));

    public static MarginHeadUnderTest Get(string name) => All.Single(h => h.Name == name);
}
