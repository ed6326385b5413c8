using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace EdgeLoss.Bench;

[SoftmaxHead(10)] public static partial class BenchSoftmax10 { }
[SoftmaxHead(100)] public static partial class BenchSoftmax100 { }
[SoftmaxHead(1000)] public static partial class BenchSoftmax1000 { }

/// <summary>
/// One softmax row of N = 10, 100, 1000 logits: the code generated for [SoftmaxHead(N)] against
/// TensorPrimitives.SoftMax (which does not shift by the max and computes exp twice) and the scalar loop people write
/// (the baseline of each group). Every method here is called directly, so no dispatch is measured. The target: the
/// generated softmax at least 1.5x faster than TensorPrimitives at N = 10 and 100, and not slower at 1000.
/// dotnet run -c Release --project tools/bench -- --filter '*GeneratedSoftmaxBench*'
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GeneratedSoftmaxBench
{
    private readonly float[] _x10 = Logits(10), _y10 = new float[10];
    private readonly float[] _x100 = Logits(100), _y100 = new float[100];
    private readonly float[] _x1000 = Logits(1000), _y1000 = new float[1000];

    /// <summary>Logits of a trained classifier: a few large, most small (within TensorPrimitives' safe range).</summary>
    private static float[] Logits(int n)
    {
        var rng = new Random(42 + n);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 16 - 8)).ToArray();
    }

    /// <summary>The textbook loop: max, exp and sum, divide.</summary>
    private static void Naive(float[] x, float[] y)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++) max = MathF.Max(max, x[i]);
        float sum = 0;
        for (int i = 0; i < x.Length; i++) { y[i] = MathF.Exp(x[i] - max); sum += y[i]; }
        for (int i = 0; i < y.Length; i++) y[i] /= sum;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("N=10")]
    public void Naive10() => Naive(_x10, _y10);

    [Benchmark, BenchmarkCategory("N=10")]
    public void TensorPrimitives10() => TensorPrimitives.SoftMax(_x10, _y10);

    [Benchmark, BenchmarkCategory("N=10")]
    public void Generated10() => BenchSoftmax10.Softmax(_x10, _y10);

    [Benchmark, BenchmarkCategory("N=10")]
    public void Runtime10() => Functional.Softmax(_x10, _y10);

    [Benchmark(Baseline = true), BenchmarkCategory("N=100")]
    public void Naive100() => Naive(_x100, _y100);

    [Benchmark, BenchmarkCategory("N=100")]
    public void TensorPrimitives100() => TensorPrimitives.SoftMax(_x100, _y100);

    [Benchmark, BenchmarkCategory("N=100")]
    public void Generated100() => BenchSoftmax100.Softmax(_x100, _y100);

    [Benchmark, BenchmarkCategory("N=100")]
    public void Runtime100() => Functional.Softmax(_x100, _y100);

    [Benchmark(Baseline = true), BenchmarkCategory("N=1000")]
    public void Naive1000() => Naive(_x1000, _y1000);

    [Benchmark, BenchmarkCategory("N=1000")]
    public void TensorPrimitives1000() => TensorPrimitives.SoftMax(_x1000, _y1000);

    [Benchmark, BenchmarkCategory("N=1000")]
    public void Generated1000() => BenchSoftmax1000.Softmax(_x1000, _y1000);

    [Benchmark, BenchmarkCategory("N=1000")]
    public void Runtime1000() => Functional.Softmax(_x1000, _y1000);

    /// <summary>The generated cross-entropy with its gradient, the training-time call of a classifier head.</summary>
    [Benchmark, BenchmarkCategory("N=100")]
    public float GeneratedCrossEntropyGradient100() => BenchSoftmax100.CrossEntropy(_x100, 7, _y100);

    /// <summary>The Runtime's cross-entropy with gradient on the same row.</summary>
    [Benchmark, BenchmarkCategory("N=100")]
    public void RuntimeCrossEntropyGradient100() => Losses.CrossEntropy(_x100, s_target7, _loss, _y100, CrossEntropyOptions.Default);

    private static readonly int[] s_target7 = [7];
    private readonly float[] _loss = new float[1];
}
