namespace EdgeLoss.Tests.Softmax;

/// <summary>Bad input to the softmax family: each kind gets its own exception, naming the argument and the value.</summary>
public class SoftmaxInputTests
{
    private static readonly float NaN = float.NaN, Inf = float.PositiveInfinity, NegInf = float.NegativeInfinity;

    public static TheoryData<string> Functions => new() { "softmax", "softmax_T", "log_softmax", "log_softmax_T", "logsumexp" };

    /// <summary>Calls one of the single-row functions on x.</summary>
    private static void Call(string function, float[] x)
    {
        var y = new float[x.Length];
        switch (function)
        {
            case "softmax": Functional.Softmax(x, y); break;
            case "softmax_T": Functional.Softmax(x, y, 2f); break;
            case "log_softmax": Functional.LogSoftmax(x, y); break;
            case "log_softmax_T": Functional.LogSoftmax(x, y, 0.5f); break;
            case "logsumexp": Functional.LogSumExp(x); break;
            default: throw new ArgumentException(function);
        }
    }

    [Theory, MemberData(nameof(Functions))]
    public void NaN_is_named_by_index(string function)
    {
        var e = Assert.Throws<NonFiniteInputException>(() => Call(function, [1f, 2f, NaN, 4f]));
        Assert.Equal("x", e.ParamName);
        Assert.StartsWith("x[2] = NaN is not finite", e.Message);
        // In a vector body and in a remainder lane too.
        float[] x = new float[37];
        x[30] = NaN;
        e = Assert.Throws<NonFiniteInputException>(() => Call(function, x));
        Assert.StartsWith("x[30] = NaN is not finite", e.Message);
        x[30] = 0f;
        x[36] = NaN;
        e = Assert.Throws<NonFiniteInputException>(() => Call(function, x));
        Assert.StartsWith("x[36] = NaN is not finite", e.Message);
    }

    [Theory, MemberData(nameof(Functions))]
    public void Positive_infinity_is_named_by_index(string function)
    {
        var e = Assert.Throws<NonFiniteInputException>(() => Call(function, [1f, Inf, 3f]));
        Assert.Equal("x", e.ParamName);
        Assert.StartsWith("x[1] = Infinity is not finite", e.Message);
        var x = new float[20];
        x[19] = Inf;
        x[4] = NegInf;
        e = Assert.Throws<NonFiniteInputException>(() => Call(function, x));
        Assert.StartsWith("x[19] = Infinity is not finite", e.Message);
    }

    [Theory, MemberData(nameof(Functions))]
    public void A_row_of_only_minus_inf_is_rejected(string function)
    {
        var e = Assert.Throws<NonFiniteInputException>(() => Call(function, [NegInf, NegInf, NegInf, NegInf]));
        Assert.Equal("x", e.ParamName);
        Assert.StartsWith("x[0..3] are all -inf", e.Message);
        e = Assert.Throws<NonFiniteInputException>(() => Call(function, [NegInf]));
        Assert.StartsWith("x[0] is -inf", e.Message);
    }

    [Theory, MemberData(nameof(Functions))]
    public void Empty_input_is_rejected(string function)
    {
        var e = Assert.Throws<ArgumentException>(() => Call(function, []));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("x is empty", e.Message);
    }

    [Fact]
    public void Batch_errors_name_the_element_in_the_whole_span()
    {
        var x = new float[3 * 5];
        x[12] = NaN;
        var y = new float[15];
        var e = Assert.Throws<NonFiniteInputException>(() => Functional.Softmax(x, 5, y));
        Assert.StartsWith("x[12] = NaN is not finite", e.Message);
        e = Assert.Throws<NonFiniteInputException>(() => Functional.LogSumExp(x, 5, new float[3]));
        Assert.StartsWith("x[12] = NaN is not finite", e.Message);
        x[12] = 0f;
        x.AsSpan(5, 5).Fill(NegInf);
        e = Assert.Throws<NonFiniteInputException>(() => Functional.LogSoftmax(x, 5, y, 2f));
        Assert.Equal("x", e.ParamName);
        Assert.StartsWith("x[5..9] are all -inf", e.Message);
    }

    [Fact]
    public void Output_of_the_wrong_length_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Functional.Softmax([1f, 2f, 3f, 4f], new float[3]));
        Assert.Equal("y", e.ParamName);
        Assert.Contains("y has length 3, expected 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.LogSoftmax([1f, 2f], new float[3], 2f));
        Assert.Equal("y", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Functional.Softmax(new float[6], 3, new float[5]));
        Assert.Equal("y", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Functional.LogSumExp(new float[6], 3, new float[3]));
        Assert.Equal("result", e.ParamName);
        Assert.Contains("result has length 3, expected 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.ArgMax(new float[6], 2, new int[2]));
        Assert.Equal("result", e.ParamName);
    }

    [Fact]
    public void Cols_must_divide_the_length()
    {
        var e = Assert.Throws<ArgumentException>(() => Functional.Softmax(new float[10], 3, new float[10]));
        Assert.Equal("cols", e.ParamName);
        Assert.Contains("cols = 3 does not divide x.Length = 10", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.LogSoftmax(new float[10], 4, new float[10]));
        Assert.Equal("cols", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Functional.LogSumExp(new float[10], 3, new float[3]));
        Assert.Equal("cols", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Functional.ArgMax(new float[10], 3, new int[3]));
        Assert.Equal("cols", e.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Cols_must_be_positive(int cols)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.Softmax(new float[6], cols, new float[6]));
        Assert.Equal("cols", e.ParamName);
        Assert.Contains($"cols = {cols} must be >= 1", e.Message);
    }

    [Theory]
    [InlineData(0f, "0")]
    [InlineData(-1f, "-1")]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    public void Temperature_must_be_finite_and_positive(float t, string printed)
    {
        var y = new float[3];
        foreach (Action call in new Action[]
                 {
                     () => Functional.Softmax([1f, 2f, 3f], y, t),
                     () => Functional.LogSoftmax([1f, 2f, 3f], y, t),
                     () => Functional.Softmax([1f, 2f, 3f], 3, y, t),
                     () => Functional.LogSoftmax([1f, 2f, 3f], 3, y, t),
                 })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(call);
            Assert.Equal("temperature", e.ParamName);
            Assert.Contains($"temperature = {printed} must be finite and > 0", e.Message);
        }
    }

    [Fact]
    public void ArgMax_rejects_NaN_and_empty_input()
    {
        var e = Assert.Throws<NonFiniteInputException>(() => Functional.ArgMax([1f, 9f, NaN, NaN]));
        Assert.Equal("x", e.ParamName);
        Assert.StartsWith("x[2] = NaN is not finite", e.Message);
        var x = new float[12];
        x[10] = NaN;
        e = Assert.Throws<NonFiniteInputException>(() => Functional.ArgMax(x, 4, new int[3]));
        Assert.StartsWith("x[10] = NaN is not finite", e.Message);
        var empty = Assert.Throws<ArgumentException>(() => Functional.ArgMax([]));
        Assert.Equal("x", empty.ParamName);
    }
}
