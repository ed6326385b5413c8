namespace EdgeLoss.Tests.Common;

/// <summary>Measures managed allocations of a hot-path call on the current thread.</summary>
public static class AllocatedBytes
{
    /// <summary>Bytes allocated by <paramref name="calls"/> calls of <paramref name="action"/>, after a warm-up.</summary>
    public static long Of(Action action, int calls = 1000)
    {
        for (int i = 0; i < 50; i++) action();               // JIT, static constructors, lazy initialization
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++) action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
