namespace EdgeLoss;

/// <summary>The activation functions of <see cref="Activations"/>, for choosing one at run time (see <see cref="Activation"/>).</summary>
public enum ActivationKind
{
    /// <summary>Identity; no parameter.</summary>
    Linear = 0,
    /// <summary>Logistic sigmoid; no parameter.</summary>
    Sigmoid = 1,
    /// <summary>Hyperbolic tangent; no parameter.</summary>
    Tanh = 2,
    /// <summary>max(0, x); no parameter.</summary>
    ReLU = 3,
    /// <summary>min(max(0, x), 6); no parameter.</summary>
    ReLU6 = 4,
    /// <summary>Parameter: the negative slope (default 0.01).</summary>
    LeakyReLU = 5,
    /// <summary>Parameter: the learned slope a (default 0.25, torch's initial value).</summary>
    PReLU = 6,
    /// <summary>Parameter: alpha (default 1).</summary>
    ELU = 7,
    /// <summary>Parameter: beta (default 1).</summary>
    Swish = 8,
    /// <summary>Swish with beta = 1; no parameter.</summary>
    SiLU = 9,
    /// <summary>x tanh(softplus(x)); no parameter.</summary>
    Mish = 10,
    /// <summary>Parameter: beta (default 1); the switch to the identity is <see cref="Activation.Threshold"/> (default 20).</summary>
    Softplus = 11,
}

/// <summary>
/// An activation chosen at run time: a kind and its parameter, dispatching to the functions of
/// <see cref="Activations"/>. <c>new Activation(ActivationKind.LeakyReLU)</c> takes torch's default parameter;
/// <c>new Activation(ActivationKind.ELU, 0.5f)</c> sets it. The parameter of kinds without one is ignored.
/// </summary>
/// <param name="Kind">the function</param>
/// <param name="Parameter">its parameter: LeakyReLU's negative slope, PReLU's a, ELU's alpha, Swish's and Softplus' beta</param>
public readonly record struct Activation(ActivationKind Kind, float Parameter)
{
    /// <summary>The activation <paramref name="kind"/> with torch's default parameter (<see cref="DefaultParameter"/>).</summary>
    public Activation(ActivationKind kind) : this(kind, DefaultParameter(kind)) { }

    /// <summary>Softplus only: where beta x switches to the identity (torch's default 20).</summary>
    public float Threshold { get; init; } = 20f;

    /// <summary>torch's default parameter of <paramref name="kind"/>: 0.01 for LeakyReLU, 0.25 for PReLU, 1 for ELU, Swish and Softplus, 0 for kinds without one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">kind is not a defined <see cref="ActivationKind"/></exception>
    public static float DefaultParameter(ActivationKind kind) => kind switch
    {
        ActivationKind.LeakyReLU => 0.01f,
        ActivationKind.PReLU => 0.25f,
        ActivationKind.ELU or ActivationKind.Swish or ActivationKind.Softplus => 1f,
        ActivationKind.Linear or ActivationKind.Sigmoid or ActivationKind.Tanh or ActivationKind.ReLU
            or ActivationKind.ReLU6 or ActivationKind.SiLU or ActivationKind.Mish => 0f,
        _ => throw UndefinedKind(kind),
    };

    /// <summary>y = f(x); see the function of <see cref="Kind"/> in <see cref="Activations"/>.</summary>
    /// <param name="x">the input</param>
    /// <param name="y">the output, x's length; may be x itself</param>
    /// <exception cref="ArgumentException">lengths, overlap, an undefined kind or a bad parameter</exception>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckParameters();
        switch (Kind)
        {
            case ActivationKind.Linear: Activations.Linear(x, y); break;
            case ActivationKind.Sigmoid: Activations.Sigmoid(x, y); break;
            case ActivationKind.Tanh: Activations.Tanh(x, y); break;
            case ActivationKind.ReLU: Activations.ReLU(x, y); break;
            case ActivationKind.ReLU6: Activations.ReLU6(x, y); break;
            case ActivationKind.LeakyReLU: Activations.LeakyReLU(x, y, Parameter); break;
            case ActivationKind.PReLU: Activations.PReLU(x, y, Parameter); break;
            case ActivationKind.ELU: Activations.ELU(x, y, Parameter); break;
            case ActivationKind.Swish: Activations.Swish(x, y, Parameter); break;
            case ActivationKind.SiLU: Activations.SiLU(x, y); break;
            case ActivationKind.Mish: Activations.Mish(x, y); break;
            case ActivationKind.Softplus: Activations.Softplus(x, y, Parameter, Threshold); break;
            default: throw UndefinedKind(Kind);
        }
    }

    /// <summary>gradInput = gradOutput * f'(x), from the forward's input x. For PReLU this is the input gradient only;
    /// <see cref="Activations.PReLUBackward"/> also returns the gradient w.r.t. a.</summary>
    /// <param name="x">the forward's input</param>
    /// <param name="gradOutput">d loss / d y, x's length</param>
    /// <param name="gradInput">d loss / d x, x's length; may be gradOutput itself</param>
    /// <exception cref="ArgumentException">lengths, overlap, an undefined kind or a bad parameter</exception>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        CheckParameters();
        switch (Kind)
        {
            case ActivationKind.Linear: Activations.LinearBackward(x, gradOutput, gradInput); break;
            case ActivationKind.Sigmoid: Activations.SigmoidBackward(x, gradOutput, gradInput); break;
            case ActivationKind.Tanh: Activations.TanhBackward(x, gradOutput, gradInput); break;
            case ActivationKind.ReLU: Activations.ReLUBackward(x, gradOutput, gradInput); break;
            case ActivationKind.ReLU6: Activations.ReLU6Backward(x, gradOutput, gradInput); break;
            case ActivationKind.LeakyReLU: Activations.LeakyReLUBackward(x, gradOutput, gradInput, Parameter); break;
            case ActivationKind.PReLU: Activations.LeakyReLUBackward(x, gradOutput, gradInput, Parameter); break;
            case ActivationKind.ELU: Activations.ELUBackward(x, gradOutput, gradInput, Parameter); break;
            case ActivationKind.Swish: Activations.SwishBackward(x, gradOutput, gradInput, Parameter); break;
            case ActivationKind.SiLU: Activations.SiLUBackward(x, gradOutput, gradInput); break;
            case ActivationKind.Mish: Activations.MishBackward(x, gradOutput, gradInput); break;
            case ActivationKind.Softplus: Activations.SoftplusBackward(x, gradOutput, gradInput, Parameter, Threshold); break;
            default: throw UndefinedKind(Kind);
        }
    }

    /// <summary>Names this record's properties in errors (the functions would name their own parameters).</summary>
    private void CheckParameters()
    {
        if (DefaultParameter(Kind) != 0f && !float.IsFinite(Parameter))
            throw new NonFiniteInputException($"Parameter = {Guard.Format(Parameter)} of {Kind} must be finite", nameof(Parameter));
        if (Kind == ActivationKind.Softplus)
        {
            if (!(Parameter > 0f))
                throw new ArgumentOutOfRangeException(nameof(Parameter), Parameter, $"Parameter = {Guard.Format(Parameter)} (Softplus' beta) must be > 0");
            if (!float.IsFinite(Threshold))
                throw new NonFiniteInputException($"Threshold = {Guard.Format(Threshold)} must be finite", nameof(Threshold));
        }
    }

    private static ArgumentOutOfRangeException UndefinedKind(ActivationKind kind) =>
        new(nameof(Kind), kind, $"Kind = {(int)kind} is not a defined ActivationKind");
}
