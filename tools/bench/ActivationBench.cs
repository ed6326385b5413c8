using BenchmarkDotNet.Attributes;
using System.Numerics.Tensors;

namespace EdgeLoss.Bench;

/// <summary>
/// EdgeLoss' activations against TensorPrimitives (where it has the function) and a plain scalar loop, on a
/// typical hidden-layer size. TensorPrimitives.Sigmoid / Tanh are the speed reference only: they are not accurate
/// enough to be used (tanh(0) = -6e-8, sigmoid(-100) flushed to 0; see StableMath).
/// Run: dotnet run -c Release --project tools/bench -- --filter '*ActivationBench*'
/// </summary>
[MemoryDiagnoser]
public class ActivationBench
{
    private float[] _x = [];
    private float[] _y = [];
    private float[] _g = [];

    [Params(1024, 65536)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _x = Enumerable.Range(0, N).Select(_ => (float)(rng.NextDouble() * 16 - 8)).ToArray();
        _y = new float[N];
        _g = Enumerable.Range(0, N).Select(_ => (float)rng.NextDouble()).ToArray();
    }

    [Benchmark(Baseline = true)]
    public void SigmoidScalar()
    {
        for (int i = 0; i < _x.Length; i++)
            _y[i] = 1f / (1f + MathF.Exp(-_x[i]));
    }

    [Benchmark]
    public void SigmoidTensorPrimitives() => TensorPrimitives.Sigmoid(_x, _y);

    [Benchmark]
    public void Sigmoid() => Activations.Sigmoid(_x, _y);

    [Benchmark]
    public void SigmoidBackward() => Activations.SigmoidBackward(_x, _g, _y);

    [Benchmark]
    public void TanhTensorPrimitives() => TensorPrimitives.Tanh(_x, _y);

    [Benchmark]
    public void Tanh() => Activations.Tanh(_x, _y);

    [Benchmark]
    public void TanhBackward() => Activations.TanhBackward(_x, _g, _y);

    [Benchmark]
    public void Mish() => Activations.Mish(_x, _y);

    [Benchmark]
    public void MishBackward() => Activations.MishBackward(_x, _g, _y);

    [Benchmark]
    public void Softplus() => Activations.Softplus(_x, _y);

    [Benchmark]
    public void SoftplusBackward() => Activations.SoftplusBackward(_x, _g, _y);

    [Benchmark]
    public void ReLU() => Activations.ReLU(_x, _y);
}

/// <summary>
/// The element-wise loss driver: BCE with logits (per-class weight and pos_weight, mean) against a scalar double
/// loop of the same formula, and MSE. Run: dotnet run -c Release --project tools/bench -- --filter '*PointwiseLossBench*'
/// </summary>
[MemoryDiagnoser]
public class PointwiseLossBench
{
    private float[] _x = [];
    private float[] _y = [];
    private float[] _g = [];
    private BceWithLogitsOptions _options = BceWithLogitsOptions.Default;

    [Params(64 * 80)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(2);
        _x = Enumerable.Range(0, N).Select(_ => (float)(rng.NextDouble() * 10 - 5)).ToArray();
        _y = Enumerable.Range(0, N).Select(i => (float)(i % 2)).ToArray();
        _g = new float[N];
        var w = Enumerable.Range(0, 80).Select(_ => (float)rng.NextDouble()).ToArray();
        _options = new BceWithLogitsOptions { Weight = w, PosWeight = w };
    }

    [Benchmark(Baseline = true)]
    public float BceWithLogitsScalar()
    {
        var w = _options.Weight.Span;
        var p = _options.PosWeight.Span;
        double sum = 0;
        float scale = 1f / _x.Length;
        for (int i = 0; i < _x.Length; i++)
        {
            double x = _x[i], y = _y[i], wc = w[i % 80], pc = p[i % 80];
            double e = Math.Exp(-Math.Abs(x)), l1p = Math.Log(1 + e);
            double sp = Math.Max(x, 0) + l1p, spm = Math.Max(-x, 0) + l1p;
            double s = x >= 0 ? 1 / (1 + e) : e / (1 + e);
            sum += wc * ((1 - y) * sp + pc * y * spm);
            _g[i] = (float)(wc * ((1 - y) * s - pc * y * (1 - s))) * scale;
        }
        return (float)(sum / _x.Length);
    }

    [Benchmark]
    public float BceWithLogits() => Losses.BinaryCrossEntropyWithLogits(_x, _y, _g, _options);

    [Benchmark]
    public float Mse() => Losses.Mse(_x, _y, _g);
}
