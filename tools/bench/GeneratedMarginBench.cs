using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace EdgeLoss.Bench;

[MarginHead(MarginKind.ArcFace, classes: 10, dim: 3, Scale = 64f, Margin = 0.5f)] public static partial class BenchArcFace10x3 { }
[MarginHead(MarginKind.ArcFace, classes: 100, dim: 128, Scale = 64f, Margin = 0.5f)] public static partial class BenchArcFace100x128 { }
[MarginHead(MarginKind.SphereFace, classes: 10, dim: 3, M = 4)] public static partial class BenchSphereFace10x3 { }

/// <summary>
/// Forward and backward of one sample of an ArcFace head (s = 64, m = 0.5) at (C, D) = (10, 3), the demo size, and
/// (100, 128), a face-recognition size: the code generated for [MarginHead] against a run-time sized implementation of
/// the same arithmetic written the obvious way (scalar loops over D and C; the baseline of each group). The target: the
/// generated Loss at least 1.3x faster than the Runtime's run-time sized head (EdgeLoss.MarginHeads, whose column
/// joins these groups when the branches merge).
/// dotnet run -c Release --project tools/bench -- --filter '*GeneratedMarginBench*'
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GeneratedMarginBench
{
    private readonly Sample _small = new(10, 3), _large = new(100, 128);

    private sealed class Sample
    {
        public Sample(int classes, int dim)
        {
            var rng = new Random(classes * 1000 + dim);
            Classes = classes;
            Dim = dim;
            X = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            W = Enumerable.Range(0, classes * dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            GradX = new float[dim];
            GradW = new float[classes * dim];
            Scratch = new float[3 * classes];
        }

        public int Classes { get; }
        public int Dim { get; }
        public float[] X { get; }
        public float[] W { get; }
        public float[] GradX { get; }
        public float[] GradW { get; }
        public float[] Scratch { get; }
    }

    /// <summary>ArcFace forward and backward with the sizes known only at run time: the loops a port from PyTorch would write.</summary>
    private static float RunTimeSizedArcFace(Sample s, int target)
    {
        const float scale = 64f, cosM = 0.87758255f, sinM = 0.47942555f, threshold = -0.87758255f, mSinM = 0.23971277f;
        int c = s.Classes, d = s.Dim;
        float[] x = s.X, w = s.W;
        Span<float> cos = s.Scratch.AsSpan(0, c), invNorm = s.Scratch.AsSpan(c, c), z = s.Scratch.AsSpan(2 * c, c);
        float xx = 0;
        for (int i = 0; i < d; i++) xx += x[i] * x[i];
        float invA = 1f / MathF.Sqrt(xx);
        for (int j = 0; j < c; j++)
        {
            float dot = 0, ww = 0;
            for (int i = 0; i < d; i++) { dot += x[i] * w[j * d + i]; ww += w[j * d + i] * w[j * d + i]; }
            invNorm[j] = 1f / MathF.Sqrt(ww);
            cos[j] = Math.Clamp(dot * invA * invNorm[j], -1f, 1f);
            z[j] = scale * cos[j];
        }
        float cy = cos[target], sin = MathF.Sqrt((1 - cy) * (1 + cy)), cc = Math.Clamp(cy, -0.9999999f, 0.9999999f);
        bool arc = cy > threshold;
        z[target] = arc ? scale * (cy * cosM - sin * sinM) : scale * (cy - mSinM);
        float dzy = arc ? scale * (cosM + cc * sinM / MathF.Sqrt((1 - cc) * (1 + cc))) : scale;
        float zy = z[target], max = float.NegativeInfinity, sum = 0;
        for (int j = 0; j < c; j++) max = MathF.Max(max, z[j]);
        for (int j = 0; j < c; j++) { z[j] = MathF.Exp(z[j] - max); sum += z[j]; }
        float loss = max - zy + MathF.Log(sum), alphaSum = 0;
        Array.Clear(s.GradX);
        for (int j = 0; j < c; j++)
        {
            float p = z[j] / sum;
            float g = j == target ? dzy * (p - 1) : scale * p;
            float u = g * invA * invNorm[j], v = -g * cos[j] * invNorm[j] * invNorm[j];
            alphaSum += g * cos[j];
            for (int i = 0; i < d; i++)
            {
                s.GradX[i] += u * w[j * d + i];
                s.GradW[j * d + i] += u * x[i] + v * w[j * d + i];
            }
        }
        for (int i = 0; i < d; i++) s.GradX[i] -= alphaSum * invA * invA * x[i];
        return loss;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("ArcFace C=10 D=3")]
    public float RunTimeSized10x3() => RunTimeSizedArcFace(_small, 3);

    [Benchmark, BenchmarkCategory("ArcFace C=10 D=3")]
    public float Generated10x3() => BenchArcFace10x3.Loss(_small.X, _small.W, 3, _small.GradX, _small.GradW);

    [Benchmark, BenchmarkCategory("ArcFace C=10 D=3")]
    public float Runtime10x3() => MarginHeads.Forward(s_arcFace, _small.X, _small.W, s_target3, 3, default, _small.GradX, _small.GradW);

    [Benchmark, BenchmarkCategory("ArcFace C=10 D=3")]
    public float GeneratedSphereFace10x3() => BenchSphereFace10x3.Loss(_small.X, _small.W, 3, _small.GradX, _small.GradW);

    [Benchmark(Baseline = true), BenchmarkCategory("ArcFace C=100 D=128")]
    public float RunTimeSized100x128() => RunTimeSizedArcFace(_large, 42);

    [Benchmark, BenchmarkCategory("ArcFace C=100 D=128")]
    public float Runtime100x128() => MarginHeads.Forward(s_arcFace, _large.X, _large.W, s_target42, 128, default, _large.GradX, _large.GradW);

    private static readonly MarginHeadOptions s_arcFace = MarginHeadOptions.ArcFace(64f, 0.5f);
    private static readonly int[] s_target3 = [3], s_target42 = [42];

    [Benchmark, BenchmarkCategory("ArcFace C=100 D=128")]
    public float Generated100x128() => BenchArcFace100x128.Loss(_large.X, _large.W, 42, _large.GradX, _large.GradW);

    /// <summary>Inference: the softmax of the plain logits.</summary>
    [Benchmark, BenchmarkCategory("ArcFace C=100 D=128")]
    public void GeneratedPredict100x128() => BenchArcFace100x128.Predict(_large.X, _large.W, _large.Scratch.AsSpan(0, 100));
}
