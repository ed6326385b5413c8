using System;
using System.Collections.Generic;
using System.Linq;
using EdgeLoss.Generators.Model;

namespace EdgeLoss.Generators.Emit
{
    /// <summary>
    /// Emits the members of a <c>[MarginHead(kind, C, D, ...)]</c> class (semantics.md section 3): c_j = cos theta_j =
    /// x . w_j / (||x|| ||w_j||) clamped to [-1, 1], the kind's logits (plain for j != y, with the margin for the
    /// target), cross-entropy over them, and the exact gradients through the normalizations. Every constant of the
    /// kind (s, m, cos m, sin m, m sin m, cos(pi - m), T_m's coefficients and thresholds) is a literal.
    /// </summary>
    internal static class MarginHeadEmitter
    {
        /// <summary>Scratch buffers up to this many floats live on the stack; larger ones are rented from ArrayPool.</summary>
        public const int MaxStackFloats = 4096;

        /// <summary>The derivatives clamp c to [-1 + 1e-7, 1 - 1e-7] so that 1 / sin(theta) stays finite at c = +-1.</summary>
        public const float DerivativeClamp = 1f - 1e-7f;

        public static string Emit(MarginHeadModel model) =>
            HeadFile.Write(model.Target, Attribute(model), w => new Writer(w, model).Members());

        private static string Attribute(MarginHeadModel m)
        {
            var parts = new List<string> { "MarginKind." + m.Kind, Literals.Int(m.Classes), Literals.Int(m.Dim) };
            switch (m.Kind)
            {
                case MarginKind.LSoftmax:
                case MarginKind.SphereFace:
                    parts.Add("M = " + Literals.Int(m.M));
                    break;
                case MarginKind.NormFace:
                    parts.Add("Scale = " + Literals.Float(m.Scale));
                    break;
                case MarginKind.CosFace:
                case MarginKind.ArcFace:
                    parts.Add("Scale = " + Literals.Float(m.Scale));
                    parts.Add("Margin = " + Literals.Float(m.Margin));
                    if (m.EasyMargin) parts.Add("EasyMargin = true");
                    break;
                case MarginKind.Combined:
                    parts.Add("Scale = " + Literals.Float(m.Scale));
                    parts.Add("M1 = " + Literals.Float(m.M1));
                    parts.Add("M2 = " + Literals.Float(m.M2));
                    parts.Add("M3 = " + Literals.Float(m.M3));
                    break;
            }
            return "MarginHead(" + string.Join(", ", parts) + ")";
        }

        private static string F(float value) => Literals.Float(value);

        private static string F(double value) => Literals.Float((float)value);

        private static string N(float value) => Literals.Number(value);

        /// <summary>The emission of one head; holds the model and the writer.</summary>
        private sealed class Writer
        {
            private readonly CodeWriter w;
            private readonly MarginHeadModel m;
            private readonly int C, D;
            private readonly string Cs, Ds, CDs;

            public Writer(CodeWriter writer, MarginHeadModel model)
            {
                w = writer;
                m = model;
                C = model.Classes;
                D = model.Dim;
                Cs = Literals.Int(C);
                Ds = Literals.Int(D);
                CDs = Literals.Int((long)C * D);
            }

            private MarginKind Kind => m.Kind;

            /// <summary>Softmax and L-Softmax: plain logits are inner products, no norms of non-target rows.</summary>
            private bool InnerProduct => Kind is MarginKind.Softmax or MarginKind.LSoftmax;

            private bool HasPsi => Kind is MarginKind.LSoftmax or MarginKind.SphereFace;

            private bool Scaled => Kind is MarginKind.NormFace or MarginKind.CosFace or MarginKind.ArcFace or MarginKind.Combined;

            private string S => F(m.Scale);

            public void Members()
            {
                Header();
                Constants();
                Cosines();
                Logits(withLambda: false);
                if (HasPsi) Logits(withLambda: true);
                Predict();
                Loss(withLambda: false);
                if (HasPsi) Loss(withLambda: true);

                // Private parts: the cosine helper, the target's margin, the kernels and the cold paths.
                CosinesCore();
                if (HasPsi) { w.Line(); Psi(); }
                if (Scaled) { w.Line(); TargetLogit(); }
                if (InnerProduct) { w.Line(); CheckedDots(); }
                w.Line();
                MarginKernels.EmitDotsAndNorms(w, C, D);
                if (Kind == MarginKind.LSoftmax)
                {
                    w.Line();
                    MarginKernels.EmitAddScaled(w, D);
                }
                w.Line();
                MarginKernels.EmitBackward(w, C, D, withV: !InnerProduct);
                w.Line();
                SoftmaxKernels.Emit(w, C, SoftmaxKernel.Softmax);
                SoftmaxHeadEmitter.EmitVectorHelpers(w, VectorPath.For(C));
                w.Line();
                ThrowHelpers.Length(w);
                w.Line();
                ThrowHelpers.Target(w, C);
                w.Line();
                ThrowHelpers.BadVector(w);
                w.Line();
                ThrowHelpers.BadRow(w, D);
                if (InnerProduct) { w.Line(); ThrowHelpers.BadLogits(w); }
                if (HasPsi) { w.Line(); ThrowHelpers.Lambda(w); }
                w.Line();
                ThrowHelpers.Format(w);
            }

            // -----------------------------------------------------------------------------------------------------
            // The header comment: the formula with its constants, then the vector layouts.

            private void Header()
            {
                w.Line($"// {Kind} head over {Cs} classes and {Ds}-element embeddings (semantics.md section 3). W is {Cs} x {Ds}, row-major.");
                w.Line("//   c_j = cos theta_j = x . w_j / (||x|| ||w_j||), clamped to [-1, 1]; loss = cross-entropy of the logits z (max-shifted).");
                foreach (string line in Formula())
                    w.Line("//   " + line);
                w.Line("//   Gradients are the derivatives of the loss w.r.t. the raw x and W, through the normalizations.");
                foreach (VectorPath p in VectorPath.For(D).Where(p => !p.IsScalar))
                    w.Line($"// {p.Api}: {new BlockPlan(D, p.Width).Describe("a row")}.");
                if (D < 4) w.Line($"// Rows of {Ds} elements are unrolled scalar code; the softmax over the {Cs} logits is vectorized.");
                w.Line();
            }

            private IEnumerable<string> Formula()
            {
                switch (Kind)
                {
                    case MarginKind.Softmax:
                        yield return "z_j = x . w_j for every class (no margin).";
                        break;
                    case MarginKind.LSoftmax:
                        yield return "z_j = x . w_j; target z_y = (||x|| ||w_y|| psi(theta_y) + lambda x . w_y) / (1 + lambda), lambda = 0 unless given.";
                        foreach (string line in PsiFormula()) yield return line;
                        break;
                    case MarginKind.SphereFace:
                        yield return "W rows normalized: z_j = ||x|| c_j; target z_y = ||x|| (psi(theta_y) + lambda c_y) / (1 + lambda), lambda = 0 unless given.";
                        foreach (string line in PsiFormula()) yield return line;
                        break;
                    case MarginKind.NormFace:
                        yield return $"z_j = s c_j with s = {N(m.Scale)}, the target included.";
                        break;
                    case MarginKind.CosFace:
                        yield return $"z_j = s c_j; target z_y = s (c_y - m) with s = {N(m.Scale)}, m = {N(m.Margin)}.";
                        break;
                    case MarginKind.ArcFace:
                        double mm = m.Margin;
                        yield return $"z_j = s c_j; target z_y = s cos(theta_y + m) = s (c cos m - sin theta sin m) with s = {N(m.Scale)}, m = {N(m.Margin)},";
                        yield return $"cos m = {N((float)Math.Cos(mm))}, sin m = {N((float)Math.Sin(mm))},";
                        if (m.EasyMargin)
                            yield return "where c_y > 0, else s c_y (easy margin).";
                        else
                            yield return $"where c_y > cos(pi - m) = {N((float)Math.Cos(Math.PI - mm))}, else s (c_y - m sin m) with m sin m = {N((float)(mm * Math.Sin(mm)))}.";
                        break;
                    case MarginKind.Combined:
                        yield return $"z_j = s c_j; target z_y = s (cos(m1 theta_y + m2) - m3) with s = {N(m.Scale)}, m1 = {N(m.M1)}, m2 = {N(m.M2)}, m3 = {N(m.M3)}" +
                            (m.M1 == 1f ? $" (m1 = 1: s (c cos m2 - sin theta sin m2 - m3), cos m2 = {N((float)Math.Cos(m.M2))}, sin m2 = {N((float)Math.Sin(m.M2))})." : ".");
                        break;
                }
            }

            private IEnumerable<string> PsiFormula()
            {
                float[] thresholds = Chebyshev.Thresholds(m.M);
                if (m.M == 1)
                {
                    yield return "m = 1: psi(theta) = T_1(c) = c, no margin (k = 0).";
                    yield break;
                }
                yield return $"m = {m.M}: psi(theta) = (-1)^k * ({Chebyshev.Describe(m.M)}) - 2k, k from c < {{{string.Join(", ", thresholds.Select(N))}}}";
                yield return $"(T_{m.M}(cos theta) = cos({m.M} theta); k = floor({m.M} theta / pi) counts the thresholds cos(j pi / {m.M}) above c).";
            }

            private void Constants()
            {
                w.Line($"/// <summary>The number of classes C: {Cs}.</summary>");
                w.Line($"public const int Classes = {Cs};");
                w.Line();
                w.Line($"/// <summary>The embedding dimension D: {Ds}. The class weights w are C x D = {CDs} floats, row-major.</summary>");
                w.Line($"public const int Dim = {Ds};");
                if (HasPsi)
                {
                    w.Line();
                    w.Line($"/// <summary>The angular margin m of psi_m: {m.M}.</summary>");
                    w.Line($"public const int M = {m.M};");
                }
                if (Scaled)
                {
                    w.Line();
                    w.Line($"/// <summary>The scale s of the logits: {N(m.Scale)}.</summary>");
                    w.Line($"public const float Scale = {S};");
                }
                if (Kind is MarginKind.CosFace or MarginKind.ArcFace)
                {
                    w.Line();
                    w.Line($"/// <summary>The margin m: {N(m.Margin)}{(Kind == MarginKind.ArcFace ? " radians" : "")}.</summary>");
                    w.Line($"public const float Margin = {F(m.Margin)};");
                }
                if (Kind == MarginKind.ArcFace)
                {
                    w.Line();
                    w.Line($"/// <summary>Whether the margin applies only where cos theta_y &gt; 0: {(m.EasyMargin ? "true" : "false")}.</summary>");
                    w.Line($"public const bool EasyMargin = {(m.EasyMargin ? "true" : "false")};");
                }
                if (Kind == MarginKind.Combined)
                {
                    w.Line();
                    w.Line("/// <summary>The margins of s (cos(m1 theta + m2) - m3).</summary>");
                    w.Line($"public const float M1 = {F(m.M1)}, M2 = {F(m.M2)}, M3 = {F(m.M3)};");
                }
                w.Line();
            }

            // -----------------------------------------------------------------------------------------------------
            // Public members.

            private void Doc(string summary, params string[] parameters)
            {
                w.Line("/// <summary>");
                foreach (string line in summary.Split('\n')) w.Line("/// " + line);
                w.Line("/// </summary>");
                foreach (string p in parameters)
                {
                    switch (p)
                    {
                        case "x": w.Line($"/// <param name=\"x\">The embedding, {Elements(D)}, finite and not all zero.</param>"); break;
                        case "w": w.Line($"/// <param name=\"w\">The class weights, {Cs} rows of {Elements(D)}, row-major; finite, no zero row.</param>"); break;
                        case "target": w.Line($"/// <param name=\"target\">The true class, in [0, {Cs}).</param>"); break;
                        case "lambda": w.Line("/// <param name=\"lambda\">The blend weight with the plain logit (annealed from large to small in training), finite and &gt;= 0.</param>"); break;
                        case "gradX": w.Line($"/// <param name=\"gradX\">Receives d loss / d x ({Ds} values, overwritten).</param>"); break;
                        case "gradW": w.Line($"/// <param name=\"gradW\">d loss / d w is ADDED to it ({CDs} values), so that a batch can accumulate.</param>"); break;
                    }
                }
            }

            /// <summary>Text for a doc comment: the formulas' comparison signs escaped.</summary>
            private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

            private static string Elements(int n) => Literals.Int(n) + (n == 1 ? " element" : " elements");

            private void Exceptions(bool target, bool lambda, bool logits = true)
            {
                w.Line("/// <exception cref=\"ArgumentException\">A span has the wrong length.</exception>");
                if (target) w.Line($"/// <exception cref=\"ArgumentOutOfRangeException\">target is outside [0, {Cs}){(lambda ? ", or lambda is negative or not finite" : "")}.</exception>");
                string overflow = logits && InnerProduct ? ", or a logit x . w_j overflows" : "";
                w.Line($"/// <exception cref=\"global::EdgeLoss.NonFiniteInputException\">x or w holds NaN or infinity, or x or a row of w is zero{overflow}.</exception>");
            }

            private void CheckXW()
            {
                SoftmaxHeadEmitter.CheckLength(w, "x", Ds);
                SoftmaxHeadEmitter.CheckLength(w, "w", CDs);
            }

            private void CheckTarget() => w.Line($"if ((uint)target >= {Cs}u) ThrowTarget(nameof(target), target);");

            private void CheckLambda() => w.Line("if (!(lambda >= 0f) || float.IsPositiveInfinity(lambda)) ThrowLambda(lambda);");

            /// <summary>Declares <c>Span&lt;float&gt; scratch</c> of <paramref name="floats"/> floats around <paramref name="body"/>: on the stack, or rented when large.</summary>
            private void WithScratch(int floats, Action body)
            {
                string n = Literals.Int(floats);
                if (floats <= MaxStackFloats)
                {
                    w.Line($"Span<float> scratch = stackalloc float[{n}];");
                    body();
                    return;
                }
                w.Line($"float[] rented = ArrayPool<float>.Shared.Rent({n}); // too large for the stack");
                w.Open("try");
                w.Line($"Span<float> scratch = rented.AsSpan(0, {n});");
                body();
                w.Close();
                w.Line("finally { ArrayPool<float>.Shared.Return(rented); }");
            }

            private void Cosines()
            {
                Doc("cosines[j] = cos theta_j = x . w_j / (||x|| ||w_j||), clamped to [-1, 1].", "x", "w");
                w.Line($"/// <param name=\"cosines\">Receives the {Cs} cosines.</param>");
                Exceptions(target: false, lambda: false, logits: false);
                w.Open("public static void Cosines(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> cosines)");
                CheckXW();
                SoftmaxHeadEmitter.CheckLength(w, "cosines", Cs);
                WithScratch(C, () =>
                    w.Line("CosinesCore(x, w, ref MemoryMarshal.GetReference(cosines), ref MemoryMarshal.GetReference(scratch), out _);"));
                w.Close();
                w.Line();
            }

            private void Logits(bool withLambda)
            {
                string lambdaParam = withLambda ? ", float lambda" : "";
                Doc($"The logits z with the margin on the target class (see the formula at the top of this class).{(HasPsi && !withLambda ? "\nlambda = 0: the pure margin psi." : "")}",
                    withLambda ? new[] { "x", "w", "target", "lambda" } : new[] { "x", "w", "target" });
                w.Line($"/// <param name=\"logits\">Receives the {Cs} logits.</param>");
                Exceptions(target: true, lambda: withLambda);
                w.Open($"public static void Logits(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int target, Span<float> logits{lambdaParam})");
                if (HasPsi && !withLambda)
                {
                    w.Line("Logits(x, w, target, logits, 0f);");
                    w.Close();
                    w.Line();
                    return;
                }
                CheckXW();
                SoftmaxHeadEmitter.CheckLength(w, "logits", Cs);
                CheckTarget();
                if (withLambda) CheckLambda();
                w.Line("ref float z = ref MemoryMarshal.GetReference(logits);");
                switch (Kind)
                {
                    case MarginKind.Softmax:
                        WithScratch(C, () =>
                        {
                            w.Line("CheckedDots(x, w, ref z, ref MemoryMarshal.GetReference(scratch));");
                            CheckLogitsFinite();
                        });
                        break;
                    case MarginKind.LSoftmax:
                        WithScratch(C, () =>
                        {
                            w.Line("ref float norms = ref MemoryMarshal.GetReference(scratch);");
                            w.Line("float xx = CheckedDots(x, w, ref z, ref norms);");
                            LSoftmaxTarget();
                            w.Line("Unsafe.Add(ref z, target) = zy;");
                            CheckLogitsFinite();
                        });
                        break;
                    default:
                        WithScratch(C, () =>
                        {
                            w.Line($"CosinesCore(x, w, ref z, ref MemoryMarshal.GetReference(scratch), out {(Kind == MarginKind.SphereFace ? "float norm" : "_")});");
                            w.Line("float cy = Unsafe.Add(ref z, target);");
                            PlainFromCosines("z");
                            if (Kind == MarginKind.SphereFace) SphereFaceTarget();
                            else w.Line("float zy = TargetLogit(cy, out _);");
                            w.Line("Unsafe.Add(ref z, target) = zy;");
                        });
                        break;
                }
                w.Close();
                w.Line();
            }

            /// <summary>
            /// x and w are finite and bounded (CheckedDots), but x . w_j can still overflow; a -inf logit must not pass for a
            /// masked class here.
            /// </summary>
            private void CheckLogitsFinite()
            {
                w.Line($"for (int j = 0; j < {Cs}; j++)");
                w.Line("    if (!float.IsFinite(Unsafe.Add(ref z, j))) ThrowBadLogits(x, w);");
            }

            /// <summary>z_j = plain logit from the cosine, in place over the C values at <paramref name="z"/>.</summary>
            private void PlainFromCosines(string z)
            {
                string factor = Kind == MarginKind.SphereFace ? "norm" : S;
                w.Line($"for (int j = 0; j < {Cs}; j++) Unsafe.Add(ref {z}, j) *= {factor};");
            }

            private void Predict()
            {
                Doc("probabilities = softmax of the plain logits (no margin): the prediction at inference time.", "x", "w");
                w.Line($"/// <param name=\"probabilities\">Receives the {Cs} class probabilities.</param>");
                Exceptions(target: false, lambda: false);
                w.Open("public static void Predict(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> probabilities)");
                CheckXW();
                SoftmaxHeadEmitter.CheckLength(w, "probabilities", Cs);
                w.Line("ref float z = ref MemoryMarshal.GetReference(probabilities);");
                if (InnerProduct)
                {
                    WithScratch(C, () =>
                    {
                        w.Line("CheckedDots(x, w, ref z, ref MemoryMarshal.GetReference(scratch));");
                        CheckLogitsFinite();
                    });
                    w.Line("SoftmaxKernel(ref z, ref z, 1f, out _);");
                }
                else
                {
                    WithScratch(C, () =>
                    {
                        w.Line($"CosinesCore(x, w, ref z, ref MemoryMarshal.GetReference(scratch), out {(Kind == MarginKind.SphereFace ? "float norm" : "_")});");
                        PlainFromCosines("z");
                    });
                    w.Line("SoftmaxKernel(ref z, ref z, 1f, out _); // finite: every cosine is in [-1, 1]");
                }
                w.Close();
                w.Line();
            }

            private void Loss(bool withLambda)
            {
                string lambdaParam = withLambda ? ", float lambda" : "";
                Doc("Forward and backward for one sample: returns the cross-entropy of the margin logits, writes d loss / d x\n" +
                    "into gradX and adds d loss / d w to gradW." + (HasPsi && !withLambda ? "\nlambda = 0: the pure margin psi." : ""),
                    withLambda ? new[] { "x", "w", "target", "gradX", "gradW", "lambda" } : new[] { "x", "w", "target", "gradX", "gradW" });
                w.Line("/// <returns>The cross-entropy loss of this sample.</returns>");
                Exceptions(target: true, lambda: withLambda);
                w.Open($"public static float Loss(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int target, Span<float> gradX, Span<float> gradW{lambdaParam})");
                if (HasPsi && !withLambda)
                {
                    w.Line("return Loss(x, w, target, gradX, gradW, 0f);");
                    w.Close();
                    w.Line();
                    return;
                }
                CheckXW();
                SoftmaxHeadEmitter.CheckLength(w, "gradX", Ds);
                SoftmaxHeadEmitter.CheckLength(w, "gradW", CDs);
                CheckTarget();
                if (withLambda) CheckLambda();
                w.Line("ref float xr = ref MemoryMarshal.GetReference(x);");
                w.Line("ref float wr = ref MemoryMarshal.GetReference(w);");
                if (InnerProduct) WithScratch(2 * C, InnerProductLoss);
                else WithScratch(3 * C, AngularLoss);
                w.Close();
                w.Line();
            }

            private void InnerProductLoss()
            {
                w.Line("ref float z = ref MemoryMarshal.GetReference(scratch); // logits, then probabilities, then u_j = dL/dz_j");
                w.Line($"ref float norms = ref Unsafe.Add(ref z, {Cs});");
                w.Line("float xx = CheckedDots(x, w, ref z, ref norms);");
                CheckLogitsFinite();
                if (Kind == MarginKind.Softmax)
                    w.Line("float zy = Unsafe.Add(ref z, target);");
                else
                {
                    LSoftmaxTarget();
                    w.Line("Unsafe.Add(ref z, target) = zy;");
                }
                w.Line("float max = SoftmaxKernel(ref z, ref z, 1f, out float sum);");
                w.Line("float loss = (max - zy) + MathF.Log(sum);");
                if (Kind == MarginKind.Softmax)
                {
                    w.Line("// dL/dz_j = p_j - [j == y]; gradX = sum_j (dL/dz_j) w_j, gradW_j += (dL/dz_j) x");
                    w.Line("Unsafe.Add(ref z, target) -= 1f;");
                    w.Line("Backward(ref xr, ref wr, ref z, 0f, ref MemoryMarshal.GetReference(gradX), ref MemoryMarshal.GetReference(gradW));");
                }
                else
                {
                    w.Line("// dL/dz_j = p_j - [j == y] =: g_j. Plain logits pass g_j to x and w_j as in softmax; the target logit");
                    w.Line("// z_y = a b F(c) / (1 + lambda), F = psi + lambda c, a = ||x||, b = ||w_y||, also moves along x and w_y:");
                    w.Line("// dz_y/dx = F'(c) w_y / (1 + lambda) + (b / a) t x, dz_y/dw_y = F'(c) x / (1 + lambda) + (a / b) t w_y, t = (psi - psi' c) / (1 + lambda).");
                    w.Line("float gy = Unsafe.Add(ref z, target) - 1f;");
                    w.Line("float t = gy * (psi - dpsi * cy) * k;");
                    w.Line("Unsafe.Add(ref z, target) = gy * (dpsi + lambda) * k;");
                    w.Line("ref float gw = ref MemoryMarshal.GetReference(gradW);");
                    w.Line("Backward(ref xr, ref wr, ref z, t * b / a, ref MemoryMarshal.GetReference(gradX), ref gw);");
                    w.Line($"AddScaled(ref wy, t * a / b, ref Unsafe.Add(ref gw, target * {Ds}));");
                }
                w.Line("return loss;");
            }

            /// <summary>L-Softmax's target logit from the dot products at z, xx and norms: declares a, b, cy, psi, dpsi, k, zy and ref wy.</summary>
            private void LSoftmaxTarget()
            {
                w.Line($"ref float wy = ref Unsafe.Add(ref MemoryMarshal.GetReference(w), target * {Ds});");
                w.Line("float a = MathF.Sqrt(xx), b = MathF.Sqrt(Unsafe.Add(ref norms, target));");
                w.Line("float dy = Unsafe.Add(ref z, target);");
                w.Line("float cy = Math.Clamp(dy / (a * b), -1f, 1f);");
                w.Line("float psi = Psi(cy, out float dpsi);");
                w.Line("float k = 1f / (1f + lambda);");
                w.Line("float zy = (a * b * psi + lambda * dy) * k;");
            }

            /// <summary>SphereFace's target logit from cy and norm: declares psi, dpsi, k, zy.</summary>
            private void SphereFaceTarget()
            {
                w.Line("float psi = Psi(cy, out float dpsi);");
                w.Line("float k = 1f / (1f + lambda);");
                w.Line("float zy = norm * (psi + lambda * cy) * k;");
            }

            private void AngularLoss()
            {
                w.Line("ref float c = ref MemoryMarshal.GetReference(scratch);   // c_j = cos theta_j, then v_j");
                w.Line($"ref float ib = ref Unsafe.Add(ref c, {Cs});                // 1 / ||w_j||");
                w.Line($"ref float z = ref Unsafe.Add(ref c, {Literals.Int(2 * C)});                // logits, then probabilities, then u_j");
                w.Line($"float invNorm = CosinesCore(x, w, ref c, ref ib, out {(Kind == MarginKind.SphereFace ? "float norm" : "_")});");
                w.Line("float cy = Unsafe.Add(ref c, target);");
                string factor = Kind == MarginKind.SphereFace ? "norm" : S;
                w.Line($"for (int j = 0; j < {Cs}; j++) Unsafe.Add(ref z, j) = {factor} * Unsafe.Add(ref c, j);");
                if (Kind == MarginKind.SphereFace)
                {
                    SphereFaceTarget();
                    w.Line("float dzy = norm * (dpsi + lambda) * k; // dz_y / dc_y");
                }
                else
                {
                    w.Line("float zy = TargetLogit(cy, out float dzy);");
                }
                w.Line("Unsafe.Add(ref z, target) = zy;");
                w.Line("float max = SoftmaxKernel(ref z, ref z, 1f, out float sum); // finite: every cosine is in [-1, 1]");
                w.Line("float loss = (max - zy) + MathF.Log(sum);");
                w.Line("// Backward. With G_j = dL/dc_j = (p_j - [j == y]) dz_j/dc_j and dc_j/dx = w_j / (||x|| ||w_j||) - c_j x / ||x||^2,");
                w.Line("// dc_j/dw_j = x / (||x|| ||w_j||) - c_j w_j / ||w_j||^2:");
                w.Line("//   gradX = sum_j u_j w_j + alpha x, gradW_j += u_j x + v_j w_j, u_j = G_j / (||x|| ||w_j||), v_j = -G_j c_j / ||w_j||^2,");
                if (Kind == MarginKind.SphereFace)
                {
                    w.Line("//   and the factor ||x|| of the logits adds along x: alpha = (p_y - 1) (psi - psi' c_y) / ((1 + lambda) ||x||)");
                    w.Line("//   (for j != y the two terms along x cancel).");
                    w.Line("float alpha = (Unsafe.Add(ref z, target) - 1f) * (psi - dpsi * cy) * k * invNorm;");
                }
                else
                {
                    w.Line("//   alpha = -sum_j G_j c_j / ||x||^2.");
                    w.Line("float alphaSum = 0f;");
                }
                w.Open($"for (int j = 0; j < {Cs}; j++)");
                w.Line("float p = Unsafe.Add(ref z, j);");
                w.Line($"float g = j == target ? dzy * (p - 1f) : {factor} * p;");
                w.Line("float cj = Unsafe.Add(ref c, j), ibj = Unsafe.Add(ref ib, j);");
                w.Line("Unsafe.Add(ref z, j) = g * invNorm * ibj;");
                w.Line("Unsafe.Add(ref c, j) = -g * cj * ibj * ibj;");
                if (Kind != MarginKind.SphereFace) w.Line("alphaSum += g * cj;");
                w.Close();
                string alpha = Kind == MarginKind.SphereFace ? "alpha" : "-alphaSum * invNorm * invNorm";
                w.Line($"Backward(ref xr, ref wr, ref z, ref c, {alpha}, ref MemoryMarshal.GetReference(gradX), ref MemoryMarshal.GetReference(gradW));");
                w.Line("return loss;");
            }

            // -----------------------------------------------------------------------------------------------------
            // Private helpers.

            private void CheckedDots()
            {
                w.Line("/// <summary>");
                w.Line($"/// dots[j] = x . w_j and norms[j] = ||w_j||^2 for the {Cs} rows, after checking that x and every row are finite");
                w.Line("/// and not zero (as every kind of the Runtime's heads does); returns ||x||^2.");
                w.Line("/// </summary>");
                w.Open("private static float CheckedDots(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ref float dots, ref float norms)");
                w.Line("float xx = DotsAndNorms(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(w), ref dots, ref norms);");
                w.Line("if (!(xx > 0f) || !float.IsFinite(xx)) ThrowBadVector(x);");
                w.Line($"for (int j = 0; j < {Cs}; j++)");
                w.Line("    if (!(Unsafe.Add(ref norms, j) > 0f) || !float.IsFinite(Unsafe.Add(ref norms, j))) ThrowBadRow(w, j);");
                w.Line("return xx;");
                w.Close();
            }

            private void CosinesCore()
            {
                w.Line("/// <summary>");
                w.Line($"/// c[j] = clamp(x . w_j / (||x|| ||w_j||), -1, 1) and invNorms[j] = 1 / ||w_j|| for the {Cs} rows; returns 1 / ||x||");
                w.Line("/// and outputs ||x||. A zero or non-finite x or row throws, naming it.");
                w.Line("/// </summary>");
                w.Open("private static float CosinesCore(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ref float c, ref float invNorms, out float norm)");
                w.Line("float xx = DotsAndNorms(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(w), ref c, ref invNorms);");
                w.Line("if (!(xx > 0f) || !float.IsFinite(xx)) ThrowBadVector(x);");
                w.Line("norm = MathF.Sqrt(xx);");
                w.Line("float invNorm = 1f / norm;");
                w.Open($"for (int j = 0; j < {Cs}; j++)");
                w.Line("float ww = Unsafe.Add(ref invNorms, j);");
                w.Line("if (!(ww > 0f) || !float.IsFinite(ww)) ThrowBadRow(w, j);");
                w.Line("float ib = 1f / MathF.Sqrt(ww);");
                w.Line("Unsafe.Add(ref invNorms, j) = ib;");
                w.Line("Unsafe.Add(ref c, j) = Math.Clamp(Unsafe.Add(ref c, j) * invNorm * ib, -1f, 1f);");
                w.Close();
                w.Line("return invNorm;");
                w.Close();
            }

            private void Psi()
            {
                long[] t = Chebyshev.Coefficients(m.M);
                float[] thresholds = Chebyshev.Thresholds(m.M);
                var dt = new long[t.Length - 1];
                for (int p = 1; p < t.Length; p++) dt[p - 1] = p * t[p];
                w.Line("/// <summary>");
                foreach (string line in PsiFormula()) w.Line("/// " + Xml(line));
                w.Line($"/// Returns psi(c) and its derivative (-1)^k T_{m.M}'(c), with T_{m.M}'(c) = {Describe(dt)}.");
                w.Line("/// </summary>");
                w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
                w.Open("private static float Psi(float c, out float derivative)");
                if (thresholds.Length == 0)
                {
                    w.Line("derivative = 1f;");
                    w.Line("return c;");
                    w.Close();
                    return;
                }
                w.Line($"int k = {string.Join(" + ", thresholds.Select(th => $"(c < {F(th)} ? 1 : 0)"))};");
                w.Line("float c2 = c * c;");
                w.Line($"float t = {Horner(t)};");
                w.Line($"float dt = {Horner(dt)};");
                w.Line("float sign = (k & 1) == 0 ? 1f : -1f;");
                w.Line("derivative = sign * dt;");
                w.Line("return sign * t - 2f * k;");
                w.Close();
            }

            /// <summary>A polynomial in c with the given coefficients (index = power), evaluated in c2 = c * c by parity.</summary>
            private static string Horner(long[] a)
            {
                int degree = a.Length - 1;
                // Chebyshev polynomials (and their derivatives) have only powers of the degree's parity.
                static string Wrap(string e) => e.IndexOf(' ') >= 0 ? "(" + e + ")" : e;
                string inner = Literals.Float(a[degree]);
                for (int p = degree - 2; p >= 0; p -= 2)
                {
                    long v = a[p];
                    inner = v == 0 ? $"{Wrap(inner)} * c2" : $"{Wrap(inner)} * c2 {(v < 0 ? "-" : "+")} {Literals.Float(Math.Abs(v))}";
                }
                if (degree % 2 == 1) inner = degree == 1 ? (a[1] == 1 ? "c" : $"{Literals.Float(a[1])} * c") : $"{Wrap(inner)} * c";
                return inner;
            }

            private static string Describe(long[] a)
            {
                var terms = new List<string>();
                for (int p = a.Length - 1; p >= 0; p--)
                {
                    long v = a[p];
                    if (v == 0) continue;
                    string coeff = Math.Abs(v) == 1 && p > 0 ? "" : Literals.Int(Math.Abs(v));
                    string power = p == 0 ? "" : p == 1 ? "c" : "c^" + Literals.Int(p);
                    terms.Add((v < 0 ? "-" : "+") + coeff + power);
                }
                string text = string.Join(" ", terms).Replace("+", "+ ").Replace("-", "- ");
                return text.StartsWith("+ ", StringComparison.Ordinal) ? text.Substring(2) : "-" + text.Substring(2);
            }

            private void TargetLogit()
            {
                w.Line("/// <summary>The target logit z_y from c = cos theta_y (the formula at the top of this class), and dz_y / dc.</summary>");
                w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
                w.Open("private static float TargetLogit(float c, out float derivative)");
                string clamp = F(DerivativeClamp);
                switch (Kind)
                {
                    case MarginKind.NormFace:
                        w.Line($"derivative = {S};");
                        w.Line($"return {S} * c;");
                        break;
                    case MarginKind.CosFace:
                        w.Line($"derivative = {S};");
                        w.Line($"return {S} * (c - {F(m.Margin)});");
                        break;
                    case MarginKind.ArcFace:
                    {
                        double mm = m.Margin;
                        string cosM = F(Math.Cos(mm)), sinM = F(Math.Sin(mm));
                        string threshold = m.EasyMargin ? "0f" : F(Math.Cos(Math.PI - mm));
                        w.Open($"if (c > {threshold}){(m.EasyMargin ? "" : " // cos(pi - m): theta + m stays below pi")}");
                        w.Line("float sinTheta = MathF.Sqrt((1f - c) * (1f + c));");
                        w.Line($"float cc = Math.Clamp(c, -{clamp}, {clamp}); // keeps 1 / sin theta finite at c = +-1");
                        w.Line($"derivative = {S} * ({cosM} + cc * {sinM} / MathF.Sqrt((1f - cc) * (1f + cc)));");
                        w.Line($"return {S} * (c * {cosM} - sinTheta * {sinM}); // s cos(theta + m)");
                        w.Close();
                        w.Line($"derivative = {S};");
                        w.Line(m.EasyMargin ? $"return {S} * c;" : $"return {S} * (c - {F(mm * Math.Sin(mm))}); // s (c - m sin m)");
                        break;
                    }
                    case MarginKind.Combined:
                        w.Line("float sinTheta = MathF.Sqrt((1f - c) * (1f + c));");
                        w.Line($"float cc = Math.Clamp(c, -{clamp}, {clamp}); // keeps 1 / sin theta finite at c = +-1");
                        w.Line("float invSin = 1f / MathF.Sqrt((1f - cc) * (1f + cc));");
                        if (m.M1 == 1f)
                        {
                            string cos2 = F(Math.Cos(m.M2)), sin2 = F(Math.Sin(m.M2));
                            w.Line($"derivative = {S} * ({cos2} + cc * {sin2} * invSin);");
                            w.Line($"return {S} * (c * {cos2} - sinTheta * {sin2} - {F(m.M3)}); // s (cos(theta + m2) - m3)");
                        }
                        else
                        {
                            w.Line($"float angle = {F(m.M1)} * MathF.Acos(c) + {F(m.M2)};");
                            w.Line($"derivative = {F((float)m.Scale * m.M1)} * MathF.Sin(angle) * invSin; // s m1 sin(m1 theta + m2) / sin theta");
                            w.Line($"return {S} * (MathF.Cos(angle) - {F(m.M3)});");
                        }
                        break;
                }
                w.Close();
            }
        }
    }
}
