using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace EdgeLoss.Bench;

/// <summary>
/// Forward + backward of the Runtime's margin heads (<see cref="MarginHeads.Forward"/>) per batch, and forward only,
/// at a toy size (C = 10, D = 3), a small recognizer (C = 100, D = 128) and a face-recognition head (C = 1000,
/// D = 512), for one sample and a batch of 32. The MemoryDiagnoser column must read 0 B: the heads do not allocate.
/// The baseline is the floor any implementation pays: the three matrix products of a linear layer's forward and
/// backward (logits = X W^T, dX = G W, dW = G^T X) with TensorPrimitives, without normalization, margin or softmax.
/// </summary>
[MemoryDiagnoser]
public class MarginHeadBench
{
    private MarginHeadOptions _head = null!;
    private float[] _x = null!, _w = null!, _logits = null!, _gradX = null!, _gradW = null!, _g = null!;
    private int[] _targets = null!;
    private int _dim, _classes;

    /// <summary>classes x dim.</summary>
    [Params("10x3", "100x128", "1000x512")]
    public string Shape { get; set; } = "10x3";

    [Params(MarginKind.ArcFace, MarginKind.SphereFace)]
    public MarginKind Kind { get; set; }

    [Params(1, 32)]
    public int Rows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _classes = int.Parse(Shape.AsSpan(0, Shape.IndexOf('x')), provider: System.Globalization.CultureInfo.InvariantCulture);
        _dim = int.Parse(Shape.AsSpan(Shape.IndexOf('x') + 1), provider: System.Globalization.CultureInfo.InvariantCulture);
        _head = Kind == MarginKind.ArcFace ? MarginHeadOptions.ArcFace(64f, 0.5f) : MarginHeadOptions.SphereFace(4, 5f);
        var rng = new Random(42);
        _x = Normal(rng, Rows * _dim);
        _w = Normal(rng, _classes * _dim);
        _targets = Enumerable.Range(0, Rows).Select(i => i * 7 % _classes).ToArray();
        _logits = new float[Rows * _classes];
        _gradX = new float[Rows * _dim];
        _gradW = new float[_classes * _dim];
        _g = Normal(rng, Rows * _classes);
    }

    [Benchmark(Baseline = true, Description = "floor: X W^T, G W, G^T X (TensorPrimitives)")]
    public float MatrixProducts()
    {
        int d = _dim, c = _classes;
        _gradX.AsSpan().Clear();
        _gradW.AsSpan().Clear();
        for (int n = 0; n < Rows; n++)
        {
            ReadOnlySpan<float> xn = _x.AsSpan(n * d, d);
            Span<float> gxn = _gradX.AsSpan(n * d, d);
            for (int j = 0; j < c; j++)
            {
                ReadOnlySpan<float> wj = _w.AsSpan(j * d, d);
                _logits[n * c + j] = TensorPrimitives.Dot(xn, wj);
                float g = _g[n * c + j];
                TensorPrimitives.MultiplyAdd(wj, g, gxn, gxn);
                Span<float> gwj = _gradW.AsSpan(j * d, d);
                TensorPrimitives.MultiplyAdd(xn, g, gwj, gwj);
            }
        }
        return _logits[0];
    }

    [Benchmark(Description = "forward + backward")]
    public float ForwardBackward() => MarginHeads.Forward(_head, _x, _w, _targets, _dim, _logits, _gradX, _gradW);

    [Benchmark(Description = "forward (loss + logits)")]
    public float Forward() => MarginHeads.Forward(_head, _x, _w, _targets, _dim, _logits, default, default);

    private static float[] Normal(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return v;
    }
}
