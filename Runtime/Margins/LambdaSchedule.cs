namespace EdgeLoss;

/// <summary>
/// The annealing of the L-Softmax / SphereFace blend lambda (<see cref="MarginHeadOptions.Lambda"/>) over training
/// iterations: <c>lambda(iter) = max(Min, Base * (1 + Gamma * iter)^(-Power))</c>. A large lambda makes the target
/// logit almost the plain one (easy to start from); it decays towards <see cref="Min"/>, where the angular margin
/// psi_m dominates.
/// </summary>
public sealed record LambdaSchedule
{
    /// <summary>Creates a schedule; every parameter must be finite, <paramref name="baseValue"/>, <paramref name="gamma"/>,
    /// <paramref name="power"/> and <paramref name="min"/> &gt;= 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a parameter is negative or not finite (the message names it).</exception>
    public LambdaSchedule(float baseValue, float gamma, float power, float min)
    {
        Check(baseValue, nameof(Base));
        Check(gamma, nameof(Gamma));
        Check(power, nameof(Power));
        Check(min, nameof(Min));
        Base = baseValue;
        Gamma = gamma;
        Power = power;
        Min = min;
    }

    /// <summary>lambda at iteration 0 (unless <see cref="Min"/> is larger).</summary>
    public float Base { get; }

    /// <summary>The decay rate per iteration.</summary>
    public float Gamma { get; }

    /// <summary>The decay exponent.</summary>
    public float Power { get; }

    /// <summary>The floor lambda never goes below.</summary>
    public float Min { get; }

    /// <summary>
    /// SphereFace's published schedule (wy1iu/sphereface, margin_inner_product_layer): base 1000, gamma 0.12, power 1,
    /// lambda_min 5. lambda(0) = 1000, lambda(100) = 1000 / 13, and it reaches 5 after about 1650 iterations.
    /// </summary>
    public static LambdaSchedule SphereFace { get; } = new(1000f, 0.12f, 1f, 5f);

    /// <summary>lambda at <paramref name="iteration"/> (&gt;= 0), computed in double and rounded once to float.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iteration"/> is negative.</exception>
    public float At(long iteration)
    {
        if (iteration < 0)
            throw new ArgumentOutOfRangeException(nameof(iteration), iteration, $"iteration = {iteration} must be >= 0");
        double decayed = Base * Math.Pow(1 + (double)Gamma * iteration, -(double)Power);
        return (float)Math.Max(Min, decayed);
    }

    private static void Check(float value, string name)
    {
        if (!(value >= 0f) || float.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} = {Guard.Format(value)} must be finite and >= 0");
    }
}
