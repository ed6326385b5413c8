using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace EdgeLoss.Bench;

/// <summary>
/// One softmax row of N logits: EdgeLoss (max-shifted, fused exp-sum with double accumulation) against
/// TensorPrimitives.SoftMax (no max shift: overflows above ~88.7, computes exp twice) and the scalar loop people write.
/// dotnet run -c Release --project tools/bench -- --filter '*SoftmaxBench*'
/// </summary>
[MemoryDiagnoser]
public class SoftmaxBench
{
    private float[] _x = [];
    private float[] _y = [];

    /// <summary>Row length: a small classifier head, a medium one, ImageNet-sized.</summary>
    [Params(10, 100, 1000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _x = new float[N];
        _y = new float[N];
        // Logits of a trained classifier: a few large, most small (all within TensorPrimitives' safe range).
        for (int i = 0; i < N; i++) _x[i] = (float)(rng.NextDouble() * 16 - 8);
    }

    /// <summary>The textbook loop: max, exp and sum, divide.</summary>
    [Benchmark(Baseline = true)]
    public void NaiveScalar()
    {
        float[] x = _x, y = _y;
        float max = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++) max = MathF.Max(max, x[i]);
        float sum = 0;
        for (int i = 0; i < x.Length; i++) { y[i] = MathF.Exp(x[i] - max); sum += y[i]; }
        for (int i = 0; i < y.Length; i++) y[i] /= sum;
    }

    [Benchmark]
    public void TensorPrimitivesSoftMax() => TensorPrimitives.SoftMax(_x, _y);

    [Benchmark]
    public void EdgeLossSoftmax() => Functional.Softmax(_x, _y);

    [Benchmark]
    public void EdgeLossSoftmaxTemperature() => Functional.Softmax(_x, _y, 4f);

    [Benchmark]
    public void EdgeLossLogSoftmax() => Functional.LogSoftmax(_x, _y);

    [Benchmark]
    public float EdgeLossLogSumExp() => Functional.LogSumExp(_x);
}
