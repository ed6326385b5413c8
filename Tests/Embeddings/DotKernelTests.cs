namespace EdgeLoss.Tests.Embeddings;

/// <summary>Every kernel this CPU supports against the scalar reference (exact for int8, tight for float32).</summary>
public class DotKernelTests
{
    // Kernel names, not the internal enums, so that the test methods can stay public.
    public static TheoryData<string> F32Kernels() => [.. Enum.GetValues<F32Kernel>().Where(DotKernels.IsSupported).Select(k => k.ToString())];
    public static TheoryData<string> I8Kernels() => [.. Enum.GetValues<I8Kernel>().Where(DotKernels.IsSupported).Select(k => k.ToString())];

    [Theory]
    [MemberData(nameof(F32Kernels))]
    public void Float32_kernels_match_double_dot_products(string name)
    {
        var kernel = Enum.Parse<F32Kernel>(name);
        var random = new Random(2);
        foreach (int stride in new[] { 16, 32, 512, 528 })
            for (int count = 1; count <= 9; count++)
            {
                float[] q = Data.Gaussian(random, stride), rows = Data.Gaussian(random, stride * count);
                var scores = new float[count];
                DotKernels.Dots(kernel, ref q[0], ref rows[0], stride, scores);
                for (int j = 0; j < count; j++)
                {
                    double expected = 0, magnitude = 0;
                    for (int i = 0; i < stride; i++)
                    {
                        expected += (double)q[i] * rows[j * stride + i];
                        magnitude += Math.Abs((double)q[i] * rows[j * stride + i]);
                    }
                    Assert.True(Math.Abs(scores[j] - expected) <= 1e-6 * magnitude,
                        $"{kernel} stride {stride} row {j}/{count}: {scores[j]:R} vs {expected:R}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(I8Kernels))]
    public void Int8_kernels_are_exact(string name)
    {
        var kernel = Enum.Parse<I8Kernel>(name);
        var random = new Random(3);
        foreach (int stride in new[] { 64, 128, 512, 576 })
            for (int count = 1; count <= 9; count++)
            {
                sbyte[] q = RandomBytes(random, stride), rows = RandomBytes(random, stride * count);
                if (count == 5)
                    Array.Fill(q, (sbyte)127);                             // extremes: +-127 * +-127 everywhere
                AssertExact(kernel, q, rows, stride, count);
            }
    }

    [Theory]
    [MemberData(nameof(I8Kernels))]
    public void Int8_kernels_do_not_overflow_at_the_largest_dimension(string name)
    {
        var kernel = Enum.Parse<I8Kernel>(name);
        // 65536 * 127 * 127 = 1,057,030,144 < 2^31 = 2,147,483,648: the largest dot product of the largest padded row.
        const int stride = 65536;
        var q = new sbyte[stride];
        var rows = new sbyte[stride * 5];
        Array.Fill(q, (sbyte)-127);
        Array.Fill(rows, (sbyte)-127);
        rows.AsSpan(stride, stride).Fill(127);
        var dots = new int[5];
        DotKernels.Dots(kernel, ref q[0], ref Abs(q)[0], ref rows[0], stride, dots);
        Assert.Equal([1057030144, -1057030144, 1057030144, 1057030144, 1057030144], dots);
    }

    private static void AssertExact(I8Kernel kernel, sbyte[] q, sbyte[] rows, int stride, int count)
    {
        var dots = new int[count];
        DotKernels.Dots(kernel, ref q[0], ref Abs(q)[0], ref rows[0], stride, dots);
        for (int j = 0; j < count; j++)
        {
            long expected = 0;
            for (int i = 0; i < stride; i++)
                expected += q[i] * rows[j * stride + i];
            Assert.True(dots[j] == expected, $"{kernel} stride {stride} row {j}/{count}: {dots[j]} vs {expected}");
        }
    }

    private static sbyte[] RandomBytes(Random random, int n)
    {
        var b = new sbyte[n];
        for (int i = 0; i < n; i++) b[i] = (sbyte)random.Next(-127, 128);
        return b;
    }

    private static byte[] Abs(sbyte[] q) => [.. q.Select(v => (byte)Math.Abs(v))];
}
