using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Softmax;

public class SoftmaxAllocationTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(1000)]
    public void The_softmax_family_does_not_allocate(int n)
    {
        float[] x = SoftmaxReference.RandomLogits(4 * n, seed: n);
        var y = new float[4 * n];
        var rows = new float[4];
        var arg = new int[4];
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.Softmax(x.AsSpan(0, n), y.AsSpan(0, n))));
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.Softmax(x.AsSpan(0, n), y.AsSpan(0, n), 2f)));
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.LogSoftmax(x.AsSpan(0, n), y.AsSpan(0, n))));
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.LogSoftmax(x.AsSpan(0, n), y.AsSpan(0, n), 0.5f)));
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.LogSumExp(x.AsSpan(0, n))));
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.ArgMax(x.AsSpan(0, n))));
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.Softmax(x, n, y, 3f)));
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.LogSoftmax(x, n, y)));
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.LogSumExp(x, n, rows)));
        Assert.Equal(0, AllocatedBytes.Of(() => Functional.ArgMax(x, n, arg)));
    }
}
