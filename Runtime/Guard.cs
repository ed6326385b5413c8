using System.Runtime.CompilerServices;

namespace EdgeLoss;

// Messages carry the value themselves, so exceptions are built without the framework's "Actual value was" suffix:
// the C ABI and the wire protocol hand the message to users as it is.
/// <summary>
/// The checks every public entry point makes at the boundary. Each failure names the argument and the value,
/// e.g. <c>targets[3] = 12 is outside [0, 10)</c>. Hot paths call these once per call, never per element in an
/// inner loop that already proves the condition.
/// </summary>
internal static class Guard
{
    /// <summary>Throws unless <paramref name="span"/> has exactly <paramref name="expected"/> elements.</summary>
    public static void Length<T>(ReadOnlySpan<T> span, int expected, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (span.Length != expected)
            ThrowLength(name, expected, span.Length);
    }

    /// <inheritdoc cref="Length{T}(ReadOnlySpan{T}, int, string?)"/>
    public static void Length<T>(Span<T> span, int expected, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (span.Length != expected)
            ThrowLength(name, expected, span.Length);
    }

    /// <summary>Throws unless <paramref name="span"/> is empty (not wanted) or has exactly <paramref name="expected"/> elements.</summary>
    public static void OptionalLength<T>(Span<T> span, int expected, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (!span.IsEmpty && span.Length != expected)
            ThrowLength(name, expected, span.Length);
    }

    /// <summary>Throws unless <paramref name="value"/> >= 1.</summary>
    public static void Positive(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, $"{name} = {value} must be >= 1");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and > 0.</summary>
    public static void PositiveFinite(float value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value > 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, $"{name} = {Format(value)} must be finite and > 0");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    public static void Finite(float value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!float.IsFinite(value))
            throw new NonFiniteInputException($"{name} = {Format(value)} must be finite", name);
    }

    /// <summary>Throws <see cref="NonFiniteInputException"/> naming the first NaN or infinite element.</summary>
    public static void AllFinite(ReadOnlySpan<float> span, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        // One vectorized pass decides the common case: any NaN or inf element makes the sum non-finite. A sum that
        // merely overflowed from finite values is told apart by the exact scan.
        if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(span)) && HasNonFinite(span))
            ThrowFirstNonFinite(span, name);
    }

    private static bool HasNonFinite(ReadOnlySpan<float> span)
    {
        foreach (float v in span)
            if (!float.IsFinite(v)) return true;
        return false;
    }

    /// <summary>Throws unless every index is in [0, <paramref name="count"/>) or equals <paramref name="allowed"/>.</summary>
    public static void Indices(ReadOnlySpan<int> indices, int count, int? allowed = null, [CallerArgumentExpression(nameof(indices))] string? name = null)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            int t = indices[i];
            if ((uint)t >= (uint)count && t != allowed)
                throw new ArgumentOutOfRangeException(name, $"{name}[{i}] = {t} is outside [0, {count})");
        }
    }

    /// <summary>Formats a float for a message: round-trippable and culture-independent.</summary>
    public static string Format(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Throws the non-finite error for element <paramref name="index"/> of <paramref name="name"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowNonFinite(string? name, int index, float value) =>
        throw new NonFiniteInputException($"{name}[{index}] = {Format(value)} is not finite", name);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFirstNonFinite(ReadOnlySpan<float> span, string? name)
    {
        for (int i = 0; i < span.Length; i++)
            if (!float.IsFinite(span[i]))
                ThrowNonFinite(name, i, span[i]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLength(string? name, int expected, int actual) =>
        throw new ArgumentException($"{name} has length {actual}, expected {expected}", name);
}
