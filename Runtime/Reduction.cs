namespace EdgeLoss;

/// <summary>How a loss reduces its per-row values, with PyTorch's meaning. The numeric values are the C ABI's
/// <c>EL_REDUCTION_*</c> constants.</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss value per row, and row i of the gradient is d loss_i / d input_i.</summary>
    None = 0,
    /// <summary>The mean over rows (or the weighted mean, where a loss defines one).</summary>
    Mean = 1,
    /// <summary>The sum over rows.</summary>
    Sum = 2,
}
