using System.Buffers;

namespace EdgeLoss.Native;

/// <summary>A pooled float buffer of an exact length (possibly 0), returned to the pool on dispose.</summary>
internal readonly ref struct Scratch
{
    private readonly float[] array;

    public Scratch(int length)
    {
        array = length == 0 ? [] : ArrayPool<float>.Shared.Rent(length);
        Span = array.AsSpan(0, length);
    }

    public Span<float> Span { get; }

    /// <summary>Copies the buffer to <paramref name="destination"/>; nothing when the destination is NULL.</summary>
    public unsafe void CopyTo(float* destination)
    {
        if (destination != null) Span.CopyTo(new Span<float>(destination, Span.Length));
    }

    public void Dispose()
    {
        if (array.Length > 0) ArrayPool<float>.Shared.Return(array);
    }
}
