using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Generators;

/// <summary>The code generated for [SoftmaxHead(N)] against the float64 reference and the worked values of semantics.md.</summary>
public class SoftmaxHeadTests
{
    // semantics.md section 1: softmax relative error <= 1e-5 for outputs >= 1e-30; log_softmax absolute error <= 1e-5 (1 + |ref|).
    internal static void AssertSoftmax(double[] expected, ReadOnlySpan<float> actual, string what, double factor = 1)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i] * factor;
            if (expected[i] == 0) Assert.True(actual[i] == 0, $"{what}[{i}]: expected exactly 0 (masked), got {actual[i]:R}");
            else if (expected[i] >= 1e-30) Approx.Equal(e, actual[i], 1e-5, 0, $"{what}[{i}]");
            else Assert.True(actual[i] >= 0 && actual[i] < 1e-29, $"{what}[{i}]: expected {e:E3}, got {actual[i]:R}");
        }
    }

    internal static void AssertLog(double[] expected, ReadOnlySpan<float> actual, string what) =>
        Approx.Equal(expected, actual, 1e-5, 1e-5, what);

    [Fact]
    public void Worked_values_of_the_spec()
    {
        var p = new float[4];
        Softmax4.Softmax([1f, 2f, 3f, 4f], p);
        double[] printed = { 0.0321, 0.0871, 0.2369, 0.6439 };
        for (int i = 0; i < 4; i++) Approx.Printed(printed[i], p[i], 4, $"softmax([1,2,3,4])[{i}]");

        Softmax4.LogSoftmax([1f, 2f, 3f, 4f], p);
        double[] logPrinted = { -3.4402, -2.4402, -1.4402, -0.4402 };
        for (int i = 0; i < 4; i++) Approx.Printed(logPrinted[i], p[i], 4, $"log_softmax([1,2,3,4])[{i}]");

        Softmax4.Softmax([1.1f, 2.2f, 5.0f, 10.1f], p);
        double[] small = { 1.2260e-04, 3.6832e-04, 6.0568e-03, 9.9345e-01 };
        for (int i = 0; i < 4; i++) Approx.Equal(small[i], p[i], 5e-5, 0, $"softmax([1.1,2.2,5,10.1])[{i}]");

        var q = new float[3];
        Softmax3.Softmax([1000f, 1001f, 1002f], q);
        double[] big = { 0.0900, 0.2447, 0.6652 };
        for (int i = 0; i < 3; i++) Approx.Printed(big[i], q[i], 4, $"softmax([1000,1001,1002])[{i}]");

        Approx.Equal(0.0091745, Softmax3.CrossEntropy([1f, 2f, 7f], 2), 1e-4, 0, "CE([[1,2,7]], [2])");

        float[] rows = { 1, 2, 7, 4, 7, 9, 8, 3, 4 };
        double[] none = { 0.0092, 0.1328, 0.0247 };
        int[] targets = { 2, 2, 0 };
        for (int r = 0; r < 3; r++)
            Approx.Printed(none[r], Softmax3.CrossEntropy(rows.AsSpan(r * 3, 3), targets[r]), 4, $"CE row {r}");
        var grad = new float[9];
        float mean = Softmax3.CrossEntropy(rows, targets, grad);
        Approx.Printed(0.0556, mean, 4, "CE mean");
        Approx.Printed(0.1668, mean * 3, 4, "CE sum");

        float[] same = { 1, 2, 3, 1, 2, 3, 1, 2, 3 };
        Approx.Printed(1.2228, Softmax3.CrossEntropy(same, [2, 2, 2], grad) * 3, 4, "sum of CE over 3 rows of [1,2,3]");
    }

    [Theory]
    [MemberData(nameof(SoftmaxHeadUnderTest.SizeData), MemberType = typeof(SoftmaxHeadUnderTest))]
    public void Every_member_matches_the_float64_reference(int n)
    {
        SoftmaxHeadUnderTest head = SoftmaxHeadUnderTest.Get(n);
        var y = new float[n];
        foreach (var (name, x) in LogitSamples.For(n, seed: n))
        {
            head.Softmax(x, y);
            AssertSoftmax(ReferenceSoftmax.Softmax(x), y, $"{name}: softmax");

            foreach (float t in new[] { 0.5f, 1f, 2.5f, 20f })
            {
                head.TemperedSoftmax(x, y, t);
                AssertSoftmax(ReferenceSoftmax.Softmax(x, t), y, $"{name}: softmax(x / {t})");
            }

            head.LogSoftmax(x, y);
            AssertLog(ReferenceSoftmax.LogSoftmax(x), y, $"{name}: log_softmax");

            Approx.Equal(ReferenceSoftmax.LogSumExp(x), head.LogSumExp(x), 1e-6, 1e-6, $"{name}: logsumexp");
            Assert.Equal(ReferenceSoftmax.ArgMax(x), head.ArgMax(x));

            int target = Array.FindIndex(x, float.IsFinite);
            double ce = ReferenceSoftmax.CrossEntropy(x, target, out double[] grad);
            Approx.Equal(ce, head.CrossEntropy(x, target), 1e-5, 1e-5, $"{name}: CE");
            Approx.Equal(ce, head.CrossEntropyGrad(x, target, y), 1e-5, 1e-5, $"{name}: CE with gradient");
            Approx.Equal(grad, y, 1e-5, 1e-6, $"{name}: CE gradient");
        }
    }

    [Theory]
    [MemberData(nameof(SoftmaxHeadUnderTest.SizeData), MemberType = typeof(SoftmaxHeadUnderTest))]
    public void Batch_cross_entropy_is_the_mean_and_its_gradient(int n)
    {
        SoftmaxHeadUnderTest head = SoftmaxHeadUnderTest.Get(n);
        var samples = LogitSamples.For(n, seed: 7 * n).Select(s => s.Logits).ToArray();
        float[] logits = samples.SelectMany(s => s).ToArray();
        int[] targets = samples.Select((s, r) => Enumerable.Range(0, n).Where(i => float.IsFinite(s[i])).ElementAt(r % 2)).ToArray();
        var grad = new float[logits.Length];
        float mean = head.CrossEntropyBatch(logits, targets, grad);

        double expected = 0;
        for (int r = 0; r < samples.Length; r++)
        {
            expected += ReferenceSoftmax.CrossEntropy(samples[r], targets[r], out double[] g);
            Approx.Equal(g.Select(v => v / samples.Length).ToArray(), grad.AsSpan(r * n, n), 1e-5, 1e-7, $"row {r} gradient");
        }
        Approx.Equal(expected / samples.Length, mean, 1e-5, 1e-6, "mean CE");
    }

    [Theory]
    [MemberData(nameof(SoftmaxHeadUnderTest.SizeData), MemberType = typeof(SoftmaxHeadUnderTest))]
    public void Members_work_in_place(int n)
    {
        SoftmaxHeadUnderTest head = SoftmaxHeadUnderTest.Get(n);
        foreach (var (name, x) in LogitSamples.For(n, seed: 3 * n))
        {
            float[] buffer = (float[])x.Clone();
            head.Softmax(buffer, buffer);
            AssertSoftmax(ReferenceSoftmax.Softmax(x), buffer, $"{name}: softmax in place");

            buffer = (float[])x.Clone();
            head.TemperedSoftmax(buffer, buffer, 3f);
            AssertSoftmax(ReferenceSoftmax.Softmax(x, 3), buffer, $"{name}: softmax(x / 3) in place");

            buffer = (float[])x.Clone();
            head.LogSoftmax(buffer, buffer);
            AssertLog(ReferenceSoftmax.LogSoftmax(x), buffer, $"{name}: log_softmax in place");

            buffer = (float[])x.Clone();
            int target = Array.FindIndex(x, float.IsFinite);
            double ce = ReferenceSoftmax.CrossEntropy(x, target, out double[] grad);
            Approx.Equal(ce, head.CrossEntropyGrad(buffer, target, buffer), 1e-5, 1e-5, $"{name}: CE in place");
            Approx.Equal(grad, buffer, 1e-5, 1e-6, $"{name}: CE gradient in place");

            buffer = (float[])x.Clone();
            Approx.Equal(ce, head.CrossEntropyBatch(buffer, [target], buffer), 1e-5, 1e-5, $"{name}: batch CE in place");
            Approx.Equal(grad, buffer, 1e-5, 1e-6, $"{name}: batch CE gradient in place");
        }
    }

    [Fact]
    public void Each_head_has_the_vector_paths_its_size_allows()
    {
        Assert.Equal(new[] { "Scalar" }, SoftmaxHeadUnderTest.Get(3).Paths);
        Assert.Equal(new[] { "V128", "Scalar" }, SoftmaxHeadUnderTest.Get(4).Paths);
        Assert.Equal(new[] { "V256", "V128", "Scalar" }, SoftmaxHeadUnderTest.Get(10).Paths);
        Assert.Equal(new[] { "V512", "V256", "V128", "Scalar" }, SoftmaxHeadUnderTest.Get(16).Paths);
        Assert.Equal(new[] { "V512", "V256", "V128", "Scalar" }, SoftmaxHeadUnderTest.Get(1000).Paths);
    }

    /// <summary>
    /// Every vector path, called directly: the dispatcher picks one per machine (Vector512 here, Vector128 on a
    /// Raspberry Pi), so the others would go untested. Vector APIs run (emulated if need be) on any hardware.
    /// </summary>
    [Theory]
    [MemberData(nameof(SoftmaxHeadUnderTest.SizeData), MemberType = typeof(SoftmaxHeadUnderTest))]
    public void Every_vector_path_matches_the_reference(int n)
    {
        SoftmaxHeadUnderTest head = SoftmaxHeadUnderTest.Get(n);
        foreach (string path in head.Paths)
        {
            var softmax = head.KernelDelegate<SoftmaxKernelFn>("SoftmaxKernel", path);
            var tempered = head.KernelDelegate<TemperedKernelFn>("TemperedSoftmaxKernel", path);
            var logSoftmax = head.KernelDelegate<LogSoftmaxKernelFn>("LogSoftmaxKernel", path);
            var logSumExp = head.KernelDelegate<LogSumExpKernelFn>("LogSumExpKernel", path);
            var argMax = head.KernelDelegate<ArgMaxKernelFn>("ArgMaxKernel", path);
            var y = new float[n];
            foreach (var (name, x) in LogitSamples.For(n, seed: 11 * n))
            {
                string what = $"{path} {name}";
                double max = ReferenceSoftmax.Max(x);
                double[] p = ReferenceSoftmax.Softmax(x);

                Assert.Equal(max, softmax(ref x[0], ref y[0], 0.25f, out float sum));
                AssertSoftmax(p, y, what + " softmax * 0.25", 0.25);
                Approx.Equal(x.Sum(v => Math.Exp(v - max)), sum, 1e-5, 0, what + " sum");

                Assert.Equal(max, tempered(ref x[0], ref y[0], 4f));
                AssertSoftmax(ReferenceSoftmax.Softmax(x, 4), y, what + " softmax(x / 4)");

                Assert.Equal(max, logSoftmax(ref x[0], ref y[0]));
                AssertLog(ReferenceSoftmax.LogSoftmax(x), y, what + " log_softmax");

                Assert.Equal(max, logSumExp(ref x[0], out float logSum));
                Approx.Equal(ReferenceSoftmax.LogSumExp(x) - max, logSum, 1e-6, 1e-6, what + " logSum");

                Assert.Equal(ReferenceSoftmax.ArgMax(x), argMax(ref x[0]));
            }

            // Bad rows: the kernels return a non-finite max (ArgMax -1) early and leave the output alone.
            foreach (float bad in new[] { float.NaN, float.PositiveInfinity })
            {
                for (int at = 0; at < n; at += Math.Max(1, n / 7))
                {
                    var x = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
                    x[at] = bad;
                    Array.Fill(y, 42f);
                    Assert.False(float.IsFinite(softmax(ref x[0], ref y[0], 1f, out _)), $"{path}: {bad} at {at}");
                    Assert.All(y, v => Assert.Equal(42f, v));
                    Assert.False(float.IsFinite(logSumExp(ref x[0], out _)));
                    Assert.Equal(float.IsNaN(bad) ? -1 : at, argMax(ref x[0])); // +inf is a largest element
                }
            }
            var allMasked = Enumerable.Repeat(float.NegativeInfinity, n).ToArray();
            Assert.Equal(float.NegativeInfinity, logSoftmax(ref allMasked[0], ref y[0]));
            Assert.Equal(0, argMax(ref allMasked[0]));
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(1000)]
    public void Wrong_lengths_name_the_parameter_and_both_lengths(int n)
    {
        SoftmaxHeadUnderTest head = SoftmaxHeadUnderTest.Get(n);
        var ok = new float[n];
        var shortOne = new float[n - 1];
        void Check(Action call, string name, int actual)
        {
            var e = Assert.Throws<ArgumentException>(call);
            Assert.Equal(name, e.ParamName);
            Assert.StartsWith($"{name} has length {actual}, expected {n}", e.Message);
        }
        Check(() => head.Softmax(shortOne, ok), "logits", n - 1);
        Check(() => head.Softmax(ok, new float[n + 1]), "probabilities", n + 1);
        Check(() => head.TemperedSoftmax(ok, shortOne, 2f), "probabilities", n - 1);
        Check(() => head.LogSoftmax(ok, shortOne), "logProbabilities", n - 1);
        Check(() => head.LogSumExp(shortOne), "logits", n - 1);
        Check(() => head.ArgMax(Array.Empty<float>()), "logits", 0);
        Check(() => head.CrossEntropy(shortOne, 0), "logits", n - 1);
        Check(() => head.CrossEntropyGrad(ok, 0, shortOne), "gradient", n - 1);

        var batch = Assert.Throws<ArgumentException>(() => head.CrossEntropyBatch(new float[2 * n + 1], [0, 1], new float[2 * n + 1]));
        Assert.Equal("logits", batch.ParamName);
        Assert.StartsWith($"logits has length {2 * n + 1}, expected targets.Length * {n} = {2 * n}", batch.Message);
        var grad = Assert.Throws<ArgumentException>(() => head.CrossEntropyBatch(new float[2 * n], [0, 1], new float[n]));
        Assert.Equal("gradient", grad.ParamName);
        Assert.StartsWith($"gradient has length {n}, expected {2 * n}", grad.Message);
        // An empty batch is not an error: its mean is 0 / 0, NaN, as in PyTorch and the Runtime's Losses.CrossEntropy.
        Assert.True(float.IsNaN(head.CrossEntropyBatch([], [], [])));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(37)]
    [InlineData(1000)]
    public void NaN_and_plus_inf_are_named_by_index_and_all_minus_inf_is_rejected(int n)
    {
        SoftmaxHeadUnderTest head = SoftmaxHeadUnderTest.Get(n);
        var y = new float[n];
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity })
        {
            int at = n - 2;
            var x = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
            x[at] = bad;
            string message = $"logits[{at}] = {bad.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} is not finite";
            foreach (Action call in new Action[]
            {
                () => head.Softmax(x, y), () => head.TemperedSoftmax(x, y, 2f), () => head.LogSoftmax(x, y),
                () => head.LogSumExp(x), () => head.CrossEntropy(x, 0), () => head.CrossEntropyGrad(x, 0, y),
            })
            {
                var e = Assert.Throws<NonFiniteInputException>(call);
                Assert.Equal("logits", e.ParamName);
                Assert.StartsWith(message, e.Message);
            }
            // In a batch the index is the flat index of the bad element.
            float[] rows = Enumerable.Repeat(0f, n).Concat(x).ToArray();
            var batch = Assert.Throws<NonFiniteInputException>(() => head.CrossEntropyBatch(rows, [0, 0], new float[2 * n]));
            Assert.StartsWith($"logits[{n + at}] = ", batch.Message);
        }

        var masked = Enumerable.Repeat(float.NegativeInfinity, n).ToArray();
        var all = Assert.Throws<NonFiniteInputException>(() => head.Softmax(masked, y));
        Assert.StartsWith($"logits[0..{n}) are all -inf", all.Message);
        Assert.Throws<NonFiniteInputException>(() => head.LogSumExp(masked));
        Assert.Equal(0, head.ArgMax(masked)); // as the Runtime's ArgMax: only NaN has no largest element
        float[] secondRowMasked = Enumerable.Repeat(1f, n).Concat(masked).ToArray();
        var row = Assert.Throws<NonFiniteInputException>(() => head.CrossEntropyBatch(secondRowMasked, [0, 0], new float[2 * n]));
        Assert.StartsWith($"logits[{n}..{2 * n}) are all -inf", row.Message);
    }

    [Theory]
    [MemberData(nameof(SoftmaxHeadUnderTest.SizeData), MemberType = typeof(SoftmaxHeadUnderTest))]
    public void ArgMax_rejects_NaN_only(int n)
    {
        SoftmaxHeadUnderTest head = SoftmaxHeadUnderTest.Get(n);
        var x = Enumerable.Range(0, n).Select(i => (float)(i % 3)).ToArray();
        x[n - 1] = float.PositiveInfinity;
        Assert.Equal(n - 1, head.ArgMax(x));
        x[n / 2] = float.PositiveInfinity;
        Assert.Equal(n / 2, head.ArgMax(x)); // the first on ties
        x[n - 2] = float.NaN;
        var e = Assert.Throws<NonFiniteInputException>(() => head.ArgMax(x));
        Assert.Equal("logits", e.ParamName);
        Assert.StartsWith($"logits[{n - 2}] = NaN is not finite: there is no largest element", e.Message);
    }

    [Fact]
    public void Bad_temperature_and_targets_are_rejected_with_their_value()
    {
        var x = new float[10];
        var y = new float[10];
        foreach (float t in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Softmax10.Softmax(x, y, t));
            Assert.Equal("temperature", e.ParamName);
            Assert.StartsWith($"temperature = {t.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} must be finite and > 0", e.Message);
        }
        foreach (int t in new[] { -1, 10, int.MinValue })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Softmax10.CrossEntropy(x, t));
            Assert.Equal("target", e.ParamName);
            Assert.StartsWith($"target = {t} is outside [0, 10)", e.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => Softmax10.CrossEntropy(x, t, y));
        }
        Array.Fill(y, 42f);
        var batch = Assert.Throws<ArgumentOutOfRangeException>(() => Softmax10.CrossEntropy(new float[30], [1, 2, 12], new float[30]));
        Assert.Equal("targets", batch.ParamName);
        Assert.StartsWith("targets[2] = 12 is outside [0, 10)", batch.Message);
    }

    [Fact]
    public void Members_do_not_allocate()
    {
        foreach (int n in SoftmaxHeadUnderTest.Sizes)
        {
            SoftmaxHeadUnderTest head = SoftmaxHeadUnderTest.Get(n);
            float[] x = LogitSamples.For(n, 5).First().Logits;
            var y = new float[n];
            float[] batch = x.Concat(x).ToArray();
            int[] targets = { 1, 2 };
            var batchGrad = new float[2 * n];
            void All()
            {
                head.Softmax(x, y);
                head.TemperedSoftmax(x, y, 2f);
                head.LogSoftmax(x, y);
                head.LogSumExp(x);
                head.ArgMax(x);
                head.CrossEntropy(x, 1);
                head.CrossEntropyGrad(x, 1, y);
                head.CrossEntropyBatch(batch, targets, batchGrad);
            }
            All(); // JIT and type initialization first
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 2000; i++) All();
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
