namespace EdgeLoss;

/// <summary>
/// Bad input of the numeric kind: NaN or +inf where only finite values (or -inf for a masked logit) are allowed,
/// a row whose logits are all -inf, or a zero-norm vector that cannot be normalized. It is an
/// <see cref="ArgumentException"/> (the message names the argument and the value); the C ABI maps it to
/// <c>EL_ERR_NONFINITE</c> where any other <see cref="ArgumentException"/> maps to <c>EL_ERR_ARGUMENT</c>.
/// </summary>
public sealed class NonFiniteInputException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="paramName"/> with <paramref name="message"/>.</summary>
    public NonFiniteInputException(string message, string? paramName) : base(message, paramName) { }

    /// <summary>Creates the exception with a message only.</summary>
    public NonFiniteInputException(string message) : base(message) { }

    /// <summary>Creates the exception with no message.</summary>
    public NonFiniteInputException() { }

    /// <summary>Creates the exception wrapping <paramref name="innerException"/>.</summary>
    public NonFiniteInputException(string message, Exception innerException) : base(message, innerException) { }
}
