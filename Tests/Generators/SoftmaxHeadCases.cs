using System.Reflection;

namespace EdgeLoss.Tests.Generators;

// The heads the generated-code tests call. Odd sizes on purpose: every vector layout appears (whole blocks only, an
// overlapping last block, unrolled and looped, a head too small for any vector).
[SoftmaxHead(3)] public static partial class Softmax3 { }
[SoftmaxHead(4)] public static partial class Softmax4 { }
[SoftmaxHead(10)] public static partial class Softmax10 { }
[SoftmaxHead(16)] public static partial class Softmax16 { }
[SoftmaxHead(37)] public static partial class Softmax37 { }
[SoftmaxHead(100)] public static partial class Softmax100 { }
[SoftmaxHead(1000)] public static partial class Softmax1000 { }

public delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);
public delegate void TemperedMap(ReadOnlySpan<float> x, Span<float> y, float temperature);
public delegate float SpanReduce(ReadOnlySpan<float> x);
public delegate int SpanIndex(ReadOnlySpan<float> x);
public delegate float RowLoss(ReadOnlySpan<float> x, int target);
public delegate float RowLossGrad(ReadOnlySpan<float> x, int target, Span<float> gradient);
public delegate float BatchLossGrad(ReadOnlySpan<float> x, ReadOnlySpan<int> targets, Span<float> gradient);

// The private kernels of one vector path, reached by reflection so that every path is tested on this machine
// (the public members run only the path the hardware selects).
public delegate float SoftmaxKernelFn(ref float x, ref float y, float scale, out float sum);
public delegate float TemperedKernelFn(ref float x, ref float y, float temperature);
public delegate float LogSoftmaxKernelFn(ref float x, ref float y);
public delegate float LogSumExpKernelFn(ref float x, out float logSum);
public delegate int ArgMaxKernelFn(ref float x);

/// <summary>The generated members of one [SoftmaxHead(N)] class, as delegates.</summary>
public sealed record SoftmaxHeadUnderTest(
    int N, Type Type, SpanMap Softmax, TemperedMap TemperedSoftmax, SpanMap LogSoftmax, SpanReduce LogSumExp,
    SpanIndex ArgMax, RowLoss CrossEntropy, RowLossGrad CrossEntropyGrad, BatchLossGrad CrossEntropyBatch)
{
    public static readonly int[] Sizes = { 3, 4, 10, 16, 37, 100, 1000 };

    public static TheoryData<int> SizeData => new(Sizes);

    public static SoftmaxHeadUnderTest Get(int n) => n switch
    {
        3 => new(3, typeof(Softmax3), Softmax3.Softmax, Softmax3.Softmax, Softmax3.LogSoftmax, Softmax3.LogSumExp, Softmax3.ArgMax, Softmax3.CrossEntropy, Softmax3.CrossEntropy, Softmax3.CrossEntropy),
        4 => new(4, typeof(Softmax4), Softmax4.Softmax, Softmax4.Softmax, Softmax4.LogSoftmax, Softmax4.LogSumExp, Softmax4.ArgMax, Softmax4.CrossEntropy, Softmax4.CrossEntropy, Softmax4.CrossEntropy),
        10 => new(10, typeof(Softmax10), Softmax10.Softmax, Softmax10.Softmax, Softmax10.LogSoftmax, Softmax10.LogSumExp, Softmax10.ArgMax, Softmax10.CrossEntropy, Softmax10.CrossEntropy, Softmax10.CrossEntropy),
        16 => new(16, typeof(Softmax16), Softmax16.Softmax, Softmax16.Softmax, Softmax16.LogSoftmax, Softmax16.LogSumExp, Softmax16.ArgMax, Softmax16.CrossEntropy, Softmax16.CrossEntropy, Softmax16.CrossEntropy),
        37 => new(37, typeof(Softmax37), Softmax37.Softmax, Softmax37.Softmax, Softmax37.LogSoftmax, Softmax37.LogSumExp, Softmax37.ArgMax, Softmax37.CrossEntropy, Softmax37.CrossEntropy, Softmax37.CrossEntropy),
        100 => new(100, typeof(Softmax100), Softmax100.Softmax, Softmax100.Softmax, Softmax100.LogSoftmax, Softmax100.LogSumExp, Softmax100.ArgMax, Softmax100.CrossEntropy, Softmax100.CrossEntropy, Softmax100.CrossEntropy),
        1000 => new(1000, typeof(Softmax1000), Softmax1000.Softmax, Softmax1000.Softmax, Softmax1000.LogSoftmax, Softmax1000.LogSumExp, Softmax1000.ArgMax, Softmax1000.CrossEntropy, Softmax1000.CrossEntropy, Softmax1000.CrossEntropy),
        _ => throw new ArgumentOutOfRangeException(nameof(n)),
    };

    /// <summary>The path suffixes the generator emitted for this head, e.g. V256, V128, Scalar.</summary>
    public IReadOnlyList<string> Paths =>
        new[] { "V512", "V256", "V128", "Scalar" }.Where(s => Kernel("SoftmaxKernel", s) is not null).ToArray();

    public MethodInfo? Kernel(string kernel, string path) =>
        Type.GetMethod(kernel + "_" + path, BindingFlags.NonPublic | BindingFlags.Static);

    public T KernelDelegate<T>(string kernel, string path) where T : Delegate =>
        Kernel(kernel, path)?.CreateDelegate<T>() ?? throw new InvalidOperationException($"{Type.Name} has no {kernel}_{path}");
}

/// <summary>Random logits of the kinds that break naive code.</summary>
public static class LogitSamples
{
    /// <summary>Named inputs of length n: moderate, huge (no overflow allowed), wide spread, masked (-inf), ties.</summary>
    public static IEnumerable<(string Name, float[] Logits)> For(int n, int seed)
    {
        var r = new Random(seed);
        float[] Fill(Func<int, float> f) => Enumerable.Range(0, n).Select(f).ToArray();
        yield return ("moderate", Fill(_ => (float)(r.NextDouble() * 8 - 4)));
        yield return ("huge", Fill(_ => 1000f + (float)(r.NextDouble() * 20)));
        yield return ("hugeNegative", Fill(_ => -5000f + (float)(r.NextDouble() * 30)));
        yield return ("spread", Fill(_ => (float)(r.NextDouble() * 200 - 100)));
        var masked = Fill(_ => (float)(r.NextDouble() * 6 - 3));
        for (int i = 0; i < n; i += 3) masked[i] = float.NegativeInfinity;
        masked[n - 1] = float.NegativeInfinity;
        if (masked.All(float.IsNegativeInfinity)) masked[1] = 0.5f;
        yield return ("masked", masked);
        var ties = Fill(i => (float)(i % 5));
        yield return ("ties", ties);
        var oneHot = Fill(_ => -30f);
        oneHot[r.Next(n)] = 30f;
        yield return ("peaked", oneHot);
    }
}
