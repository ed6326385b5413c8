using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace EdgeLoss.Bench;

/// <summary>
/// The machine's memory read bandwidth: the physical limit of a gallery scan that does not fit in cache. Sums a
/// 512 MiB float array (16 times a 32 MiB L3) with Vector512 adds into four independent accumulators, on one
/// thread and split in two halves on two threads. GB/s = 536,870,912 B / mean. The sum is returned so the JIT
/// cannot drop the loads.
/// Run: dotnet run -c Release --project tools/bench -- --filter '*MemoryBandwidthBench*' --job short
/// </summary>
[MemoryDiagnoser]
public class MemoryBandwidthBench
{
    /// <summary>Bytes read per operation.</summary>
    public const long Bytes = 512L << 20;

    private float[] _data = [];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = GC.AllocateUninitializedArray<float>((int)(Bytes / sizeof(float)), pinned: true);
        _data.AsSpan().Fill(1f);   // touch every page, so the benchmark measures reads, not page faults
    }

    [Benchmark(Description = "sum 512 MiB of float32, Vector512")]
    public float Sum()
    {
        if (Threads == 1)
            return SumRange(0, _data.Length);
        var partial = new float[Threads];
        RunInParallel(partial);
        float total = 0;
        foreach (float p in partial) total += p;
        return total;
    }

    private void RunInParallel(float[] partial) =>
        Parallel.For(0, partial.Length, new ParallelOptions { MaxDegreeOfParallelism = partial.Length }, t =>
        {
            int n = _data.Length, start = (int)((long)n * t / partial.Length), end = (int)((long)n * (t + 1) / partial.Length);
            partial[t] = SumRange(start, end);
        });

    private float SumRange(int start, int end)
    {
        ref float p = ref MemoryMarshal.GetArrayDataReference(_data);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = start, width = Vector512<float>.Count;
        for (; i <= end - 4 * width; i += 4 * width)
        {
            a0 += Vector512.LoadUnsafe(ref p, (nuint)i);
            a1 += Vector512.LoadUnsafe(ref p, (nuint)(i + width));
            a2 += Vector512.LoadUnsafe(ref p, (nuint)(i + 2 * width));
            a3 += Vector512.LoadUnsafe(ref p, (nuint)(i + 3 * width));
        }
        float sum = Vector512.Sum((a0 + a1) + (a2 + a3));
        for (; i < end; i++)
            sum += Unsafe.Add(ref p, i);
        return sum;
    }
}
