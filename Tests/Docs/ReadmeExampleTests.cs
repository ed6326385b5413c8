using EdgeLoss;
using EdgeLoss.Tests.Common;
using Xunit;

// Outside the EdgeLoss.Tests namespaces on purpose: this is a user's code, with `using EdgeLoss;` as in the README.
namespace ReadmeExamples;

[SoftmaxHead(10)] public static partial class Digits { }      // Digits.Softmax(logits, probabilities) ...

/// <summary>The C# sketch of README.md, line for line, so that it stays true as the code grows.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void The_readme_sketch_compiles_and_prints_what_it_says()
    {
        // --- as in README.md ---
        Span<float> p = stackalloc float[4];
        Functional.Softmax([1f, 2f, 3f, 4f], p);                     // 0.0321 0.0871 0.2369 0.6439
        float loss = Losses.CrossEntropy([1f, 2f, 7f], [2]);          // 0.0091745

        var arcFace = new MarginHeadOptions { Kind = MarginKind.ArcFace, Scale = 64f, Margin = 0.5f };
        // ---

        double[] printed = [0.0321, 0.0871, 0.2369, 0.6439];
        for (int i = 0; i < 4; i++) Approx.Printed(printed[i], p[i], 4, $"p[{i}]");
        Approx.Equal(0.0091745, loss, 1e-4, 1e-7, "loss");

        const int dim = 3;
        float[] x = [1, 2, 3, -1, 0.5f, 2], w = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1];
        int[] targets = [2, 0];
        float[] logits = new float[8], gradX = new float[6], gradW = new float[12];
        float meanLoss = MarginHeads.Forward(arcFace, x, w, targets, dim, logits, gradX, gradW);
        Assert.True(float.IsFinite(meanLoss) && meanLoss > 0f);
        Assert.Equal(MarginHeads.Forward(MarginHeadOptions.ArcFace(64f, 0.5f), x, w, targets, dim, default, default, default), meanLoss);

        Span<float> digits = stackalloc float[Digits.Classes];
        float[] ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Digits.Softmax(ten, digits);
        Span<float> expected = stackalloc float[10];
        Functional.Softmax(ten, expected);
        for (int i = 0; i < 10; i++) Approx.Equal(expected[i], digits[i], 1e-5, 1e-7, $"digits[{i}]");
    }
}
