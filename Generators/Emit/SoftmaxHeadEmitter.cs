using System.Collections.Generic;
using System.Linq;
using EdgeLoss.Generators.Model;

namespace EdgeLoss.Generators.Emit
{
    /// <summary>Emits the members of a <c>[SoftmaxHead(N)]</c> class.</summary>
    internal static class SoftmaxHeadEmitter
    {
        public static string Emit(SoftmaxHeadModel model) =>
            HeadFile.Write(model.Target, $"SoftmaxHead({model.Classes})", w => EmitMembers(w, model.Classes));

        private static void EmitMembers(CodeWriter w, int n)
        {
            string N = Literals.Int(n);
            IReadOnlyList<VectorPath> paths = VectorPath.For(n);

            w.Line("// The softmax family over " + N + " classes (semantics.md section 1):");
            w.Line("//   softmax(x)_i = exp(x_i - max) / sum_j exp(x_j - max), log_softmax(x)_i = x_i - max - log(sum_j exp(x_j - max)),");
            w.Line("//   logsumexp(x) = max + log(sum_j exp(x_j - max)), cross-entropy(x, t) = logsumexp(x) - x_t.");
            w.Line("// Always shifted by the max (no overflow for large logits); -inf masks a class; NaN, +inf or all -inf throw.");
            foreach (VectorPath p in paths.Where(p => !p.IsScalar))
                w.Line($"// {p.Api}: {new BlockPlan(n, p.Width).Describe("logits")}.");
            w.Line();

            w.Line($"/// <summary>The number of classes this head is specialized for: {N}.</summary>");
            w.Line($"public const int Classes = {N};");
            w.Line();

            // Softmax
            w.Line("/// <summary>");
            w.Line("/// probabilities = softmax(logits): exp(logits_i - max) / sum_j exp(logits_j - max), shifted by the max so that");
            w.Line("/// large logits do not overflow.");
            w.Line("/// </summary>");
            w.Line($"/// <param name=\"logits\">{N} logits; -inf masks a class (probability 0).</param>");
            w.Line($"/// <param name=\"probabilities\">Receives the {N} probabilities; may be the same memory as <paramref name=\"logits\"/>.</param>");
            LengthDoc(w, n);
            NonFiniteDoc(w);
            w.Open("public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)");
            CheckLength(w, "logits", N);
            CheckLength(w, "probabilities", N);
            w.Line("float max = SoftmaxKernel(ref MemoryMarshal.GetReference(logits), ref MemoryMarshal.GetReference(probabilities), 1f, out _);");
            w.Line("if (!float.IsFinite(max)) ThrowNonFinite(logits, nameof(logits), 0);");
            w.Close();
            w.Line();

            w.Line("/// <summary>");
            w.Line("/// probabilities = softmax(logits / temperature): exp((logits_i - max) / T) / sum_j exp((logits_j - max) / T).");
            w.Line("/// T &gt; 1 softens the distribution (knowledge distillation), T &lt; 1 sharpens it, T = 1 is <see cref=\"Softmax(ReadOnlySpan{float}, Span{float})\"/>.");
            w.Line("/// </summary>");
            w.Line($"/// <param name=\"logits\">{N} logits; -inf masks a class (probability 0).</param>");
            w.Line($"/// <param name=\"probabilities\">Receives the {N} probabilities; may be the same memory as <paramref name=\"logits\"/>.</param>");
            w.Line("/// <param name=\"temperature\">T, finite and &gt; 0.</param>");
            LengthDoc(w, n);
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\">The temperature is not finite and &gt; 0.</exception>");
            NonFiniteDoc(w);
            w.Open("public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities, float temperature)");
            CheckLength(w, "logits", N);
            CheckLength(w, "probabilities", N);
            w.Line("if (!(temperature > 0f) || float.IsPositiveInfinity(temperature)) ThrowTemperature(temperature);");
            w.Line("float max = TemperedSoftmaxKernel(ref MemoryMarshal.GetReference(logits), ref MemoryMarshal.GetReference(probabilities), temperature);");
            w.Line("if (!float.IsFinite(max)) ThrowNonFinite(logits, nameof(logits), 0);");
            w.Close();
            w.Line();

            w.Line("/// <summary>logProbabilities = log_softmax(logits): (logits_i - max) - log(sum_j exp(logits_j - max)).</summary>");
            w.Line($"/// <param name=\"logits\">{N} logits; -inf masks a class (log-probability -inf).</param>");
            w.Line($"/// <param name=\"logProbabilities\">Receives the {N} log-probabilities; may be the same memory as <paramref name=\"logits\"/>.</param>");
            LengthDoc(w, n);
            NonFiniteDoc(w);
            w.Open("public static void LogSoftmax(ReadOnlySpan<float> logits, Span<float> logProbabilities)");
            CheckLength(w, "logits", N);
            CheckLength(w, "logProbabilities", N);
            w.Line("float max = LogSoftmaxKernel(ref MemoryMarshal.GetReference(logits), ref MemoryMarshal.GetReference(logProbabilities));");
            w.Line("if (!float.IsFinite(max)) ThrowNonFinite(logits, nameof(logits), 0);");
            w.Close();
            w.Line();

            w.Line("/// <summary>log(sum_i exp(logits_i)), computed as max + log(sum_i exp(logits_i - max)).</summary>");
            w.Line($"/// <param name=\"logits\">{N} logits; -inf contributes nothing.</param>");
            LengthDoc(w, n);
            NonFiniteDoc(w);
            w.Open("public static float LogSumExp(ReadOnlySpan<float> logits)");
            CheckLength(w, "logits", N);
            w.Line("float max = LogSumExpKernel(ref MemoryMarshal.GetReference(logits), out float logSum);");
            w.Line("if (!float.IsFinite(max)) ThrowNonFinite(logits, nameof(logits), 0);");
            w.Line("return max + logSum;");
            w.Close();
            w.Line();

            w.Line("/// <summary>The index of the largest logit (the first one on ties), i.e. the predicted class. +inf is a largest logit; all -inf gives 0.</summary>");
            w.Line($"/// <param name=\"logits\">{N} logits.</param>");
            LengthDoc(w, n);
            w.Line("/// <exception cref=\"global::EdgeLoss.NonFiniteInputException\">A logit is NaN (there is no largest one).</exception>");
            w.Open("public static int ArgMax(ReadOnlySpan<float> logits)");
            CheckLength(w, "logits", N);
            w.Line("int index = ArgMaxKernel(ref MemoryMarshal.GetReference(logits));");
            w.Line("if (index < 0) ThrowNaN(logits, nameof(logits));");
            w.Line("return index;");
            w.Close();
            w.Line();

            w.Line("/// <summary>The cross-entropy of one row: -log_softmax(logits)[target] = (max - logits[target]) + log(sum_j exp(logits_j - max)).</summary>");
            w.Line($"/// <param name=\"logits\">{N} logits.</param>");
            w.Line($"/// <param name=\"target\">The true class, in [0, {N}).</param>");
            LengthDoc(w, n);
            TargetDoc(w, n);
            NonFiniteDoc(w);
            w.Open("public static float CrossEntropy(ReadOnlySpan<float> logits, int target)");
            CheckLength(w, "logits", N);
            w.Line($"if ((uint)target >= {N}u) ThrowTarget(nameof(target), target);");
            w.Line("float max = LogSumExpKernel(ref MemoryMarshal.GetReference(logits), out float logSum);");
            w.Line("if (!float.IsFinite(max)) ThrowNonFinite(logits, nameof(logits), 0);");
            w.Line("return (max - logits[target]) + logSum;");
            w.Close();
            w.Line();

            w.Line("/// <summary>");
            w.Line("/// The cross-entropy of one row and its gradient w.r.t. the logits: softmax(logits) - onehot(target).");
            w.Line("/// </summary>");
            w.Line($"/// <param name=\"logits\">{N} logits.</param>");
            w.Line($"/// <param name=\"target\">The true class, in [0, {N}).</param>");
            w.Line($"/// <param name=\"gradient\">Receives d loss / d logits ({N} values, overwritten); may be the same memory as <paramref name=\"logits\"/>.</param>");
            LengthDoc(w, n);
            TargetDoc(w, n);
            NonFiniteDoc(w);
            w.Open("public static float CrossEntropy(ReadOnlySpan<float> logits, int target, Span<float> gradient)");
            CheckLength(w, "logits", N);
            CheckLength(w, "gradient", N);
            w.Line($"if ((uint)target >= {N}u) ThrowTarget(nameof(target), target);");
            w.Line("float xt = logits[target]; // read first: gradient may overwrite logits");
            w.Line("float max = SoftmaxKernel(ref MemoryMarshal.GetReference(logits), ref MemoryMarshal.GetReference(gradient), 1f, out float sum);");
            w.Line("if (!float.IsFinite(max)) ThrowNonFinite(logits, nameof(logits), 0);");
            w.Line("gradient[target] -= 1f;");
            w.Line("return (max - xt) + MathF.Log(sum);");
            w.Close();
            w.Line();

            w.Line("/// <summary>");
            w.Line("/// The mean cross-entropy of a batch of rows and its gradient w.r.t. the logits:");
            w.Line("/// (softmax(row) - onehot(target)) / rows for each row.");
            w.Line("/// </summary>");
            w.Line($"/// <param name=\"logits\">rows x {N} logits, row-major: logits.Length == targets.Length * {N}.</param>");
            w.Line($"/// <param name=\"targets\">The true class of each row, in [0, {N}).</param>");
            w.Line("/// <param name=\"gradient\">Receives d mean loss / d logits (same length as logits, overwritten); may be the same memory as <paramref name=\"logits\"/>.</param>");
            w.Line("/// <returns>The mean over the rows; NaN for an empty batch, as PyTorch and the Runtime's Losses.CrossEntropy.</returns>");
            w.Line("/// <exception cref=\"ArgumentException\">A length does not match.</exception>");
            w.Line($"/// <exception cref=\"ArgumentOutOfRangeException\">A target is outside [0, {N}).</exception>");
            NonFiniteDoc(w);
            w.Open("public static float CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> gradient)");
            w.Line("int rows = targets.Length;");
            w.Line($"if (logits.Length != (long)rows * {N}) ThrowBatchLength(rows, logits.Length);");
            w.Line("if (gradient.Length != logits.Length) ThrowLength(nameof(gradient), logits.Length, gradient.Length);");
            w.Line("for (int r = 0; r < rows; r++)");
            w.Line($"    if ((uint)targets[r] >= {N}u) ThrowTargetAt(r, targets[r]);");
            w.Line("float scale = 1f / rows;");
            w.Line("double total = 0;");
            w.Line("ref float x = ref MemoryMarshal.GetReference(logits);");
            w.Line("ref float g = ref MemoryMarshal.GetReference(gradient);");
            w.Open("for (int r = 0; r < rows; r++)");
            w.Line("int t = targets[r];");
            w.Line($"ref float xr = ref Unsafe.Add(ref x, r * {N});");
            w.Line($"ref float gr = ref Unsafe.Add(ref g, r * {N});");
            w.Line("float xt = Unsafe.Add(ref xr, t); // read first: gradient may overwrite logits");
            w.Line("float max = SoftmaxKernel(ref xr, ref gr, scale, out float sum);");
            w.Line($"if (!float.IsFinite(max)) ThrowNonFinite(logits, nameof(logits), r * {N});");
            w.Line("Unsafe.Add(ref gr, t) -= scale;");
            w.Line("total += (max - xt) + MathF.Log(sum);");
            w.Close();
            w.Line("return (float)(total / rows); // 0 / 0 = NaN for an empty batch");
            w.Close();

            // Kernels and helpers.
            foreach (SoftmaxKernel kernel in new[] { SoftmaxKernel.Softmax, SoftmaxKernel.TemperedSoftmax, SoftmaxKernel.LogSoftmax, SoftmaxKernel.LogSumExp, SoftmaxKernel.ArgMax })
            {
                w.Line();
                SoftmaxKernels.Emit(w, n, kernel);
            }
            EmitVectorHelpers(w, paths);
            w.Line();
            ThrowHelpers.Length(w);
            w.Line();
            ThrowHelpers.Target(w, n);
            w.Line();
            ThrowHelpers.Batch(w, n);
            w.Line();
            ThrowHelpers.Temperature(w);
            w.Line();
            ThrowHelpers.NonFiniteLogits(w, n);
            w.Line();
            ThrowHelpers.NaN(w);
            w.Line();
            ThrowHelpers.Format(w);
        }

        internal static void EmitVectorHelpers(CodeWriter w, IEnumerable<VectorPath> paths)
        {
            foreach (VectorPath p in paths.Where(p => !p.IsScalar))
            {
                w.Line();
                VectorHelpers.EmitExp(w, p);
                w.Line();
                VectorHelpers.EmitHorizontalMax(w, p);
                w.Line();
                VectorHelpers.EmitHorizontalSum(w, p);
            }
        }

        internal static void CheckLength(CodeWriter w, string name, string expected) =>
            w.Line($"if ({name}.Length != {expected}) ThrowLength(nameof({name}), {expected}, {name}.Length);");

        private static void LengthDoc(CodeWriter w, int n) =>
            w.Line($"/// <exception cref=\"ArgumentException\">A span does not have {n} elements.</exception>");

        private static void TargetDoc(CodeWriter w, int n) =>
            w.Line($"/// <exception cref=\"ArgumentOutOfRangeException\">target is outside [0, {n}).</exception>");

        private static void NonFiniteDoc(CodeWriter w) =>
            w.Line("/// <exception cref=\"global::EdgeLoss.NonFiniteInputException\">A logit is NaN or +inf, or every logit is -inf.</exception>");
    }
}
