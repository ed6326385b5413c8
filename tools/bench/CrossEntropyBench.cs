using BenchmarkDotNet.Attributes;

namespace EdgeLoss.Bench;

/// <summary>
/// A training step's loss: mean cross-entropy with class-index targets and its gradient over a batch of 64 rows.
/// dotnet run -c Release --project tools/bench -- --filter '*CrossEntropyBench*'
/// </summary>
[MemoryDiagnoser]
public class CrossEntropyBench
{
    private const int Rows = 64;
    private float[] _logits = [];
    private float[] _gradient = [];
    private float[] _soft = [];
    private int[] _targets = [];
    private readonly float[] _loss = new float[1];
    private CrossEntropyOptions _smoothedWeighted = CrossEntropyOptions.Default;

    /// <summary>Classes: a small head and an ImageNet-sized one.</summary>
    [Params(10, 1000)]
    public int C { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        _logits = new float[Rows * C];
        _gradient = new float[Rows * C];
        _soft = new float[Rows * C];
        _targets = new int[Rows];
        for (int i = 0; i < _logits.Length; i++) _logits[i] = (float)(rng.NextDouble() * 16 - 8);
        for (int n = 0; n < Rows; n++) _targets[n] = rng.Next(C);
        Functional.Softmax(_logits, C, _soft, 2f);
        var weight = new float[C];
        for (int c = 0; c < C; c++) weight[c] = 0.5f + (float)rng.NextDouble();
        _smoothedWeighted = new CrossEntropyOptions { Weight = weight, LabelSmoothing = 0.1f };
    }

    /// <summary>The loop people write: per row max, sum of exp, -log p_t, and softmax - onehot over rows.</summary>
    [Benchmark(Baseline = true)]
    public float NaiveScalar()
    {
        float[] x = _logits, g = _gradient;
        int c = C;
        double total = 0;
        for (int n = 0; n < Rows; n++)
        {
            int o = n * c;
            float max = float.NegativeInfinity;
            for (int i = 0; i < c; i++) max = MathF.Max(max, x[o + i]);
            float sum = 0;
            for (int i = 0; i < c; i++) sum += MathF.Exp(x[o + i] - max);
            float logSum = MathF.Log(sum);
            total += logSum - (x[o + _targets[n]] - max);
            for (int i = 0; i < c; i++) g[o + i] = MathF.Exp(x[o + i] - max - logSum) / Rows;
            g[o + _targets[n]] -= 1f / Rows;
        }
        return (float)(total / Rows);
    }

    [Benchmark]
    public float EdgeLossWithGradient()
    {
        Losses.CrossEntropy(_logits, _targets, _loss, _gradient);
        return _loss[0];
    }

    [Benchmark]
    public float EdgeLossLossOnly() => Losses.CrossEntropy(_logits, _targets);

    [Benchmark]
    public float EdgeLossWeightedSmoothedWithGradient()
    {
        Losses.CrossEntropy(_logits, _targets, _loss, _gradient, _smoothedWeighted);
        return _loss[0];
    }

    [Benchmark]
    public float EdgeLossSoftTargetsWithGradient()
    {
        Losses.CrossEntropy(_logits, _soft, C, _loss, _gradient);
        return _loss[0];
    }
}
