namespace EdgeLoss.Tests.Margins;

/// <summary>
/// A small deterministic training run that shows what the margin papers claim. A 2-layer network (12 -> 24 tanh -> 2,
/// no output bias) maps synthetic 10-class inputs to 2-D features and is trained with plain full-batch SGD through
/// <see cref="MarginHeads.Forward"/>, once per head from the same seed and data. The margin heads pull each class into a
/// clearly narrower angular sector than plain softmax, whose loss can also fall by growing the feature norms.
/// Used by the test (<see cref="MarginFeatureTests"/>) and, linked, by tools/margin-demo, which draws
/// docs/margin-features.svg. Only the public API is used.
/// </summary>
public static class MarginFeatureDemo
{
    public const int Classes = 10, PerClass = 20, TestPerClass = 40, InputDim = 12, Hidden = 24, FeatureDim = 2;
    public const int Samples = Classes * PerClass;
    public const int Iterations = 400;
    public const float LearningRate = 0.25f;

    /// <summary>The standard deviation of the inputs around their class means (whose elements are standard normal).</summary>
    public const double Noise = 0.5;

    /// <summary>What one run learned.</summary>
    /// <param name="Name">the head's label</param>
    /// <param name="Features">the training samples' learned features, Samples x 2, row-major</param>
    /// <param name="Labels">the class of each training sample</param>
    /// <param name="Weights">the learned class weights, Classes x 2</param>
    /// <param name="Train">angles of the training features</param>
    /// <param name="Test">angles of held-out samples (TestPerClass per class) through the trained network</param>
    /// <param name="TestAccuracy">fraction of held-out samples whose plain (no margin) prediction is their class</param>
    public sealed record Result(string Name, float[] Features, int[] Labels, float[] Weights, Angles Train, Angles Test, double TestAccuracy);

    /// <param name="Intra">mean angle (radians) between a feature and its class's mean direction</param>
    /// <param name="Inter">mean over classes of the angle to the nearest other class's mean direction</param>
    public readonly record struct Angles(double Intra, double Inter)
    {
        /// <summary>Intra-class angle relative to the inter-class angle: smaller is more discriminative.</summary>
        public double Ratio => Intra / Inter;
    }

    /// <summary>
    /// SphereFace's schedule shape (base 1000, power 1) compressed to this short run and annealed towards pure psi_4:
    /// lambda = 1000 / (1 + 10 iter), 1 at iteration 100, 0.25 at the end. (The published floor of 5, which keeps 5/6
    /// of the plain cosine in the target logit, gives a weaker margin; docs/margins.md lists both.)
    /// </summary>
    public static LambdaSchedule Schedule { get; } = new(1000f, 10f, 1f, 0f);

    /// <summary>The three heads of the picture: label and head per iteration.</summary>
    public static IReadOnlyList<(string Name, Func<int, MarginHeadOptions> Head)> Heads { get; } =
    [
        ("Softmax", _ => MarginHeadOptions.Softmax()),
        ("SphereFace (m = 4, lambda annealed)", i => MarginHeadOptions.SphereFace(4, Schedule.At(i))),
        ("ArcFace (s = 16, m = 0.5)", _ => MarginHeadOptions.ArcFace(16f, 0.5f)),
    ];

    /// <summary>Trains one head from the fixed seed and data and measures the learned features.</summary>
    public static Result Train(string name, Func<int, MarginHeadOptions> head, float learningRate = LearningRate,
                               int iterations = Iterations, int seed = 7)
    {
        var rng = new Random(seed);
        float[] means = Init(rng, Classes * InputDim, 1.0);
        var (inputs, labels) = Data(rng, means, PerClass);
        var (testInputs, testLabels) = Data(rng, means, TestPerClass);
        var net = new Network(rng);
        float[] w = Init(rng, Classes * FeatureDim, 1.0);

        var hidden = new float[Samples * Hidden];
        var features = new float[Samples * FeatureDim];
        var gradF = new float[Samples * FeatureDim];
        var gradW = new float[Classes * FeatureDim];
        for (int it = 0; it < iterations; it++)
        {
            net.Forward(inputs, hidden, features);
            // the head: mean loss, its gradients w.r.t. the features and the class weights
            MarginHeads.Forward(head(it), features, w, labels, FeatureDim, default, gradF, gradW);
            net.Backward(inputs, hidden, gradF, learningRate);
            for (int i = 0; i < w.Length; i++) w[i] -= learningRate * gradW[i];
        }
        net.Forward(inputs, hidden, features);

        var testHidden = new float[testLabels.Length * Hidden];
        var testFeatures = new float[testLabels.Length * FeatureDim];
        net.Forward(testInputs, testHidden, testFeatures);
        var probabilities = new float[testLabels.Length * Classes];
        MarginHeads.Predict(head(iterations), testFeatures, w, FeatureDim, probabilities);
        int correct = 0;
        for (int n = 0; n < testLabels.Length; n++)
        {
            ReadOnlySpan<float> row = probabilities.AsSpan(n * Classes, Classes);
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row) == testLabels[n]) correct++;
        }
        return new Result(name, features, labels, w, Measure(features, labels), Measure(testFeatures, testLabels), (double)correct / testLabels.Length);
    }

    /// <summary>Mean intra-class angle to the class's mean direction, and mean angle from each class to its nearest neighbour class.</summary>
    public static Angles Measure(float[] features, int[] labels)
    {
        var centers = new double[Classes * FeatureDim];
        for (int n = 0; n < labels.Length; n++)
        {
            double norm = Math.Sqrt(Dot(features.AsSpan(n * FeatureDim, FeatureDim), features.AsSpan(n * FeatureDim, FeatureDim)));
            for (int f = 0; f < FeatureDim; f++) centers[labels[n] * FeatureDim + f] += features[n * FeatureDim + f] / norm;
        }
        double intra = 0, inter = 0;
        for (int n = 0; n < labels.Length; n++)
            intra += Angle(features.AsSpan(n * FeatureDim, FeatureDim), centers.AsSpan(labels[n] * FeatureDim, FeatureDim));
        for (int c = 0; c < Classes; c++)
        {
            double nearest = Math.PI;
            for (int d = 0; d < Classes; d++)
                if (d != c) nearest = Math.Min(nearest, Angle(centers.AsSpan(c * FeatureDim, FeatureDim), centers.AsSpan(d * FeatureDim, FeatureDim)));
            inter += nearest;
        }
        return new Angles(intra / labels.Length, inter / Classes);
    }

    /// <summary>hidden = tanh(A u + b), feature = B hidden; plain SGD.</summary>
    private sealed class Network(Random rng)
    {
        private readonly float[] _a = Init(rng, Hidden * InputDim, 1.0 / Math.Sqrt(InputDim));
        private readonly float[] _b = new float[Hidden];
        private readonly float[] _out = Init(rng, FeatureDim * Hidden, 1.0 / Math.Sqrt(Hidden));
        private readonly float[] _gradA = new float[Hidden * InputDim];
        private readonly float[] _gradB = new float[Hidden];
        private readonly float[] _gradOut = new float[FeatureDim * Hidden];

        public void Forward(float[] inputs, float[] hidden, float[] features)
        {
            for (int n = 0; n < inputs.Length / InputDim; n++)
            {
                for (int h = 0; h < Hidden; h++)
                {
                    float s = _b[h];
                    for (int k = 0; k < InputDim; k++) s += _a[h * InputDim + k] * inputs[n * InputDim + k];
                    hidden[n * Hidden + h] = MathF.Tanh(s);
                }
                for (int f = 0; f < FeatureDim; f++)
                {
                    float s = 0;
                    for (int h = 0; h < Hidden; h++) s += _out[f * Hidden + h] * hidden[n * Hidden + h];
                    features[n * FeatureDim + f] = s;
                }
            }
        }

        public void Backward(float[] inputs, float[] hidden, float[] gradFeatures, float learningRate)
        {
            Array.Clear(_gradA);
            Array.Clear(_gradB);
            Array.Clear(_gradOut);
            for (int n = 0; n < inputs.Length / InputDim; n++)
            {
                for (int h = 0; h < Hidden; h++)
                {
                    float g = 0, t = hidden[n * Hidden + h];
                    for (int f = 0; f < FeatureDim; f++)
                    {
                        g += _out[f * Hidden + h] * gradFeatures[n * FeatureDim + f];
                        _gradOut[f * Hidden + h] += gradFeatures[n * FeatureDim + f] * t;
                    }
                    g *= 1 - t * t;                                   // tanh'
                    _gradB[h] += g;
                    for (int k = 0; k < InputDim; k++) _gradA[h * InputDim + k] += g * inputs[n * InputDim + k];
                }
            }
            Step(_a, _gradA, learningRate);
            Step(_b, _gradB, learningRate);
            Step(_out, _gradOut, learningRate);
        }
    }

    /// <summary>Gaussian clusters, <see cref="Noise"/> around the class means; labels cycle through the classes.</summary>
    private static (float[] Inputs, int[] Labels) Data(Random rng, float[] means, int perClass)
    {
        int samples = Classes * perClass;
        var inputs = new float[samples * InputDim];
        var labels = new int[samples];
        for (int n = 0; n < samples; n++)
        {
            int c = n % Classes;
            labels[n] = c;
            for (int k = 0; k < InputDim; k++)
                inputs[n * InputDim + k] = means[c * InputDim + k] + (float)(Noise * Gaussian(rng));
        }
        return (inputs, labels);
    }

    private static void Step(float[] p, float[] g, float lr)
    {
        for (int i = 0; i < p.Length; i++) p[i] -= lr * g[i];
    }

    private static float[] Init(Random rng, int n, double sigma)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(sigma * Gaussian(rng));
        return v;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    private static double Angle(ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        Span<double> wide = stackalloc double[FeatureDim];
        for (int i = 0; i < FeatureDim; i++) wide[i] = a[i];
        return Angle(wide, b);
    }

    private static double Angle(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return Math.Acos(Math.Clamp(dot / Math.Sqrt(na * nb), -1, 1));
    }
}
