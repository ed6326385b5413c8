namespace EdgeLoss;

/// <summary>
/// Asks the EdgeLoss source generator (shipped in the EdgeLoss.Runtime package as an analyzer) to emit the softmax
/// family specialized for <paramref name="classes"/> classes into the marked <c>static partial class</c>:
/// <c>Classes</c>, <c>Softmax</c> (plain and with a temperature), <c>LogSoftmax</c>, <c>LogSumExp</c>, <c>ArgMax</c>
/// and <c>CrossEntropy</c> (one row, one row with its gradient, a batch with the gradient of the mean).
/// </summary>
/// <remarks>
/// The class count is a compile-time constant of the emitted code: the SIMD blocks are laid out at build time and
/// small heads are fully unrolled. Results agree with <c>EdgeLoss.Functional</c> within 1e-5 relative. Misuse (a class
/// that is not <c>static partial</c>, fewer than 2 classes, ...) is reported at compile time (EL0001..).
/// </remarks>
/// <example>
/// <code>
/// [SoftmaxHead(10)]
/// public static partial class Digits { }
///
/// Digits.Softmax(logits, probabilities);   // logits.Length == Digits.Classes == 10
/// </code>
/// </example>
/// <param name="classes">The number of classes N (at least 2).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SoftmaxHeadAttribute(int classes) : Attribute
{
    /// <summary>The number of classes N the emitted code is specialized for.</summary>
    public int Classes { get; } = classes;
}
