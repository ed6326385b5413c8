using System;
using System.Collections.Generic;
using System.Linq;

namespace EdgeLoss.Generators.Emit
{
    /// <summary>
    /// Emits the kernels over the embedding dimension D of a margin head, each a dispatcher plus one method per vector
    /// path: the dot products of x with every row of W (one pass over W, norms in the same pass) and the backward pass (one pass over W that writes gradX and accumulates gradW). Up to 8 blocks of D are
    /// unrolled with x held in registers; longer rows loop. Repeated lanes of an overlapping last block are masked out
    /// of sums and of accumulations into memory; register sums keep them, as the block before computes the same values.
    /// </summary>
    internal static class MarginKernels
    {
        private static string Plus(string offset, int delta) => delta == 0 ? offset : $"{offset} + {Literals.Int(delta)}";

        /// <summary>a0 * b0 + a1 * b1 + ... with fused pairs summed as a balanced tree.</summary>
        private static string DotTree(VectorPath p, IReadOnlyList<string> a, IReadOnlyList<string> b)
        {
            var pairs = new List<string>();
            for (int i = 0; i < a.Count; i += 2)
                pairs.Add(i + 1 < a.Count ? p.MulAdd(a[i + 1], b[i + 1], $"{a[i]} * {b[i]}") : $"{a[i]} * {b[i]}");
            return SoftmaxKernels.SumTree(pairs);
        }

        private static void Dispatcher(CodeWriter w, string summary, string returns, string name, string parameters, string arguments, int length)
        {
            w.Line("/// <summary>" + summary + "</summary>");
            w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
            w.Open($"private static {returns} {name}({parameters})");
            string ret = returns == "void" ? "" : "return ";
            foreach (VectorPath p in VectorPath.For(length).Where(p => !p.IsScalar))
            {
                if (returns == "void")
                    w.Line($"if ({p.Api}.IsHardwareAccelerated) {{ {name}_{p.Suffix}({arguments}); return; }}");
                else
                    w.Line($"if ({p.Api}.IsHardwareAccelerated) return {name}_{p.Suffix}({arguments});");
            }
            w.Line($"{ret}{name}_Scalar({arguments});");
            w.Close();
        }

        private static void PathHeader(CodeWriter w, VectorPath p, string returns, string name, string parameters)
        {
            w.Line();
            w.Open($"private static {returns} {name}_{p.Suffix}({parameters})");
        }

        // ---------------------------------------------------------------------------------------------------------
        // Dots: d_j = x . w_j for every row (and n_j = w_j . w_j, returning x . x, when norms are wanted).

        public static void EmitDotsAndNorms(CodeWriter w, int classes, int dim)
        {
            const string name = "DotsAndNorms", parameters = "ref float x, ref float w, ref float dots, ref float norms";
            Dispatcher(w, $"dots[j] = x . w_j and norms[j] = w_j . w_j for the {classes} rows of w, in one pass over w; returns x . x.",
                "float", name, parameters, "ref x, ref w, ref dots, ref norms", dim);
            foreach (VectorPath p in VectorPath.For(dim))
            {
                PathHeader(w, p, "float", name, parameters);
                var plan = new BlockPlan(dim, p.Width);
                if (p.IsScalar) DotsScalar(w, classes, dim);
                else if (plan.Unrolled) DotsUnrolled(w, classes, plan, p);
                else DotsLooped(w, classes, plan, p);
                w.Close();
            }
        }

        private static void DotsUnrolled(CodeWriter w, int classes, BlockPlan plan, VectorPath p)
        {
            string T = p.Type;
            var offsets = plan.Offsets().ToList();
            int last = offsets.Count - 1;
            w.Line($"// {plan.Describe("a row")}; x stays in registers");
            if (plan.HasTail) w.Line($"{T} fresh = {p.TailMask(plan.Tail)};");
            for (int k = 0; k <= last; k++)
            {
                string mask = plan.HasTail && k == last ? " & fresh" : "";
                w.Line($"{T} x{k} = {p.Load("x", offsets[k])}{mask};");
            }
            var xs = Names("x", offsets.Count);
            var ws = Names("w", offsets.Count);
            w.Open($"for (int j = 0; j < {classes}; j++)");
            w.Line($"ref float wj = ref Unsafe.Add(ref w, j * {plan.Length});");
            for (int k = 0; k <= last; k++)
            {
                string mask = plan.HasTail && k == last ? " & fresh" : "";
                w.Line($"{T} w{k} = {p.Load("wj", offsets[k])}{mask};");
            }
            w.Line($"Unsafe.Add(ref dots, j) = {p.Api}.Sum({DotTree(p, ws, xs)});");
            w.Line($"Unsafe.Add(ref norms, j) = {p.Api}.Sum({DotTree(p, ws, ws)});");
            w.Close();
            w.Line($"return {p.Api}.Sum({DotTree(p, xs, xs)});");
        }

        private static void DotsLooped(CodeWriter w, int classes, BlockPlan plan, VectorPath p)
        {
            string T = p.Type;
            int W = plan.Width, step = BlockPlan.Group * W, tailAcc = plan.Rest % BlockPlan.Group;
            w.Line($"// {plan.Describe("a row")}");
            if (plan.HasTail) w.Line($"{T} fresh = {p.TailMask(plan.Tail)};");
            EmitSumOfProducts(w, plan, p, "x", "x", "xx", "q");
            w.Open($"for (int j = 0; j < {classes}; j++)");
            w.Line($"ref float wj = ref Unsafe.Add(ref w, j * {plan.Length});");
            w.Line($"{T} d0 = {p.Zero}, d1 = {p.Zero}, d2 = {p.Zero}, d3 = {p.Zero};");
            w.Line($"{T} n0 = {p.Zero}, n1 = {p.Zero}, n2 = {p.Zero}, n3 = {p.Zero};");
            void Block(string wName, string offset, int acc, bool fresh)
            {
                w.Line($"{T} {wName} = {p.Load("wj", offset)}{(fresh ? " & fresh" : "")};");
                w.Line($"d{acc} = {p.MulAdd(wName, p.Load("x", offset), $"d{acc}")};");
                w.Line($"n{acc} = {p.MulAdd(wName, wName, $"n{acc}")};");
            }
            w.Open($"for (nuint i = 0; i < {plan.LoopEnd}; i += {step})");
            for (int g = 0; g < BlockPlan.Group; g++) Block($"w{g}", Plus("i", g * W), g, false);
            w.Close();
            for (int r = 0; r < plan.Rest; r++)
            {
                int offset = plan.LoopEnd + r * W;
                Block("w" + Literals.Int(offset / W), Literals.Int(offset), r, false);
            }
            if (plan.HasTail) Block("wLast", Literals.Int(plan.TailOffset), tailAcc, true);
            w.Line($"Unsafe.Add(ref dots, j) = {p.Api}.Sum((d0 + d1) + (d2 + d3));");
            w.Line($"Unsafe.Add(ref norms, j) = {p.Api}.Sum((n0 + n1) + (n2 + n3));");
            w.Close();
            w.Line("return xx;");
        }

        /// <summary>Emits <c>float {result} = a . b</c> over a looped plan (four accumulators named {acc}0..3).</summary>
        private static void EmitSumOfProducts(CodeWriter w, BlockPlan plan, VectorPath p, string a, string b, string result, string acc)
        {
            string T = p.Type;
            int W = plan.Width, step = BlockPlan.Group * W, tailAcc = plan.Rest % BlockPlan.Group;
            w.Line($"{T} {acc}0 = {p.Zero}, {acc}1 = {p.Zero}, {acc}2 = {p.Zero}, {acc}3 = {p.Zero};");
            w.Open($"for (nuint i = 0; i < {plan.LoopEnd}; i += {step})");
            for (int g = 0; g < BlockPlan.Group; g++)
                w.Line($"{acc}{g} = {p.MulAdd(p.Load(a, Plus("i", g * W)), p.Load(b, Plus("i", g * W)), $"{acc}{g}")};");
            w.Close();
            for (int r = 0; r < plan.Rest; r++)
            {
                int offset = plan.LoopEnd + r * W;
                w.Line($"{acc}{r} = {p.MulAdd(p.Load(a, offset), p.Load(b, offset), $"{acc}{r}")};");
            }
            if (plan.HasTail)
                w.Line($"{acc}{tailAcc} = {p.MulAdd($"({p.Load(a, plan.TailOffset)} & fresh)", p.Load(b, plan.TailOffset), $"{acc}{tailAcc}")};");
            w.Line($"float {result} = {p.Api}.Sum(({acc}0 + {acc}1) + ({acc}2 + {acc}3));");
        }

        private static void DotsScalar(CodeWriter w, int classes, int dim)
        {
            if (dim <= BlockPlan.MaxUnrolledBlocks)
            {
                w.Line($"// Scalar: the {dim} elements of x in locals, each row unrolled.");
                var xs = Names("x", dim);
                var ws = Names("w", dim);
                w.Line($"float x0 = x{string.Concat(Enumerable.Range(1, dim - 1).Select(i => $", x{i} = Unsafe.Add(ref x, {i})"))};");
                w.Open($"for (int j = 0; j < {classes}; j++)");
                w.Line($"ref float wj = ref Unsafe.Add(ref w, j * {dim});");
                w.Line($"float w0 = wj{string.Concat(Enumerable.Range(1, dim - 1).Select(i => $", w{i} = Unsafe.Add(ref wj, {i})"))};");
                w.Line($"Unsafe.Add(ref dots, j) = {ScalarDot(ws, xs)};");
                w.Line($"Unsafe.Add(ref norms, j) = {ScalarDot(ws, ws)};");
                w.Close();
                w.Line($"return {ScalarDot(xs, xs)};");
                return;
            }
            w.Line("// Scalar fallback (no SIMD): loops with a constant trip count, sums in double.");
            w.Line("double xx = 0;");
            w.Line($"for (int i = 0; i < {dim}; i++) xx += (double)Unsafe.Add(ref x, i) * Unsafe.Add(ref x, i);");
            w.Open($"for (int j = 0; j < {classes}; j++)");
            w.Line($"ref float wj = ref Unsafe.Add(ref w, j * {dim});");
            w.Line("double d = 0, n = 0;");
            w.Open($"for (int i = 0; i < {dim}; i++)");
            w.Line("float wi = Unsafe.Add(ref wj, i);");
            w.Line("d += (double)wi * Unsafe.Add(ref x, i);");
            w.Line("n += (double)wi * wi;");
            w.Close();
            w.Line("Unsafe.Add(ref dots, j) = (float)d;");
            w.Line("Unsafe.Add(ref norms, j) = (float)n;");
            w.Close();
            w.Line("return (float)xx;");
        }

        private static string ScalarDot(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
            string.Join(" + ", a.Select((v, i) => $"{v} * {b[i]}"));

        private static List<string> Names(string prefix, int count) =>
            Enumerable.Range(0, count).Select(i => prefix + Literals.Int(i)).ToList();

        // ---------------------------------------------------------------------------------------------------------
        // Backward: gx = alpha x + sum_j u_j w_j; gw_j += u_j x (+ v_j w_j).

        public static void EmitBackward(CodeWriter w, int classes, int dim, bool withV)
        {
            string parameters = withV
                ? "ref float x, ref float w, ref float u, ref float v, float alpha, ref float gx, ref float gw"
                : "ref float x, ref float w, ref float u, float alpha, ref float gx, ref float gw";
            string arguments = withV ? "ref x, ref w, ref u, ref v, alpha, ref gx, ref gw" : "ref x, ref w, ref u, alpha, ref gx, ref gw";
            string summary = withV
                ? $"gx = alpha x + sum_j u_j w_j (overwritten) and gw_j += u_j x + v_j w_j (accumulated), in one pass over the {classes} rows."
                : $"gx = alpha x + sum_j u_j w_j (overwritten) and gw_j += u_j x (accumulated), in one pass over the {classes} rows.";
            Dispatcher(w, summary, "void", "Backward", parameters, arguments, dim);
            foreach (VectorPath p in VectorPath.For(dim))
            {
                PathHeader(w, p, "void", "Backward", parameters);
                var plan = new BlockPlan(dim, p.Width);
                if (p.IsScalar) BackwardScalar(w, classes, dim, withV);
                else if (plan.Unrolled) BackwardUnrolled(w, classes, plan, p, withV);
                else BackwardLooped(w, classes, plan, p, withV);
                w.Close();
            }
        }

        private static string RowUpdate(VectorPath p, string xBlock, string wBlock, string gw, bool withV) =>
            p.MulAdd("uj", xBlock, withV ? p.MulAdd("vj", wBlock, gw) : gw);

        private static void RowStart(CodeWriter w, VectorPath p, int dim, bool withV)
        {
            w.Line($"{p.Type} uj = {p.Splat("Unsafe.Add(ref u, j)")};");
            if (withV) w.Line($"{p.Type} vj = {p.Splat("Unsafe.Add(ref v, j)")};");
            w.Line($"ref float wj = ref Unsafe.Add(ref w, j * {dim});");
            w.Line($"ref float gwj = ref Unsafe.Add(ref gw, j * {dim});");
        }

        private static void BackwardUnrolled(CodeWriter w, int classes, BlockPlan plan, VectorPath p, bool withV)
        {
            string T = p.Type;
            var offsets = plan.Offsets().ToList();
            int last = offsets.Count - 1;
            w.Line($"// {plan.Describe("a row")}; x and gx stay in registers");
            if (plan.HasTail) w.Line($"{T} fresh = {p.TailMask(plan.Tail)};");
            for (int k = 0; k <= last; k++)
                w.Line($"{T} x{k} = {p.Load("x", offsets[k])};");
            if (plan.HasTail) w.Line($"{T} xFresh = x{last} & fresh;");
            w.Line($"{T} a = {p.Splat("alpha")};");
            for (int k = 0; k <= last; k++)
                w.Line($"{T} g{k} = a * x{k};");
            w.Open($"for (int j = 0; j < {classes}; j++)");
            RowStart(w, p, plan.Length, withV);
            for (int k = 0; k <= last; k++)
            {
                bool tail = plan.HasTail && k == last;
                w.Line($"{T} w{k} = {p.Load("wj", offsets[k])};");
                w.Line($"g{k} = {p.MulAdd("uj", $"w{k}", $"g{k}")};{(tail ? " // all lanes: the repeated ones sum exactly as in the block before" : "")}");
                string update = tail
                    ? RowUpdate(p, "xFresh", $"(w{k} & fresh)", p.Load("gwj", offsets[k]), withV)
                    : RowUpdate(p, $"x{k}", $"w{k}", p.Load("gwj", offsets[k]), withV);
                w.Line(p.Store(update, "gwj", offsets[k]) + (tail ? " // fresh lanes only: the repeated ones were updated above" : ""));
            }
            w.Close();
            for (int k = 0; k <= last; k++)
                w.Line(p.Store($"g{k}", "gx", offsets[k]));
        }

        private static void BackwardLooped(CodeWriter w, int classes, BlockPlan plan, VectorPath p, bool withV)
        {
            string T = p.Type;
            int W = plan.Width, step = BlockPlan.Group * W;
            w.Line($"// {plan.Describe("a row")}; gx accumulates in memory");
            if (plan.HasTail) w.Line($"{T} fresh = {p.TailMask(plan.Tail)};");
            w.Line($"{T} a = {p.Splat("alpha")};");
            w.Line($"for (nuint i = 0; i < {plan.Full * W}; i += {W}) {p.Store($"(a * {p.Load("x", "i")})", "gx", "i")}");
            if (plan.HasTail) w.Line(p.Store($"(a * {p.Load("x", plan.TailOffset)})", "gx", plan.TailOffset));
            w.Open($"for (int j = 0; j < {classes}; j++)");
            RowStart(w, p, plan.Length, withV);
            void Block(string wName, string offset, bool tail)
            {
                string mask = tail ? " & fresh" : "";
                w.Line($"{T} {wName} = {p.Load("wj", offset)}{mask};");
                w.Line(p.Store(p.MulAdd("uj", wName, p.Load("gx", offset)), "gx", offset));
                w.Line(p.Store(RowUpdate(p, $"{p.Load("x", offset)}{mask}", wName, p.Load("gwj", offset), withV), "gwj", offset));
            }
            w.Open($"for (nuint i = 0; i < {plan.LoopEnd}; i += {step})");
            for (int g = 0; g < BlockPlan.Group; g++) Block($"w{g}", Plus("i", g * W), false);
            w.Close();
            for (int r = 0; r < plan.Rest; r++)
            {
                int offset = plan.LoopEnd + r * W;
                Block("w" + Literals.Int(offset / W), Literals.Int(offset), false);
            }
            if (plan.HasTail)
            {
                w.Line("// the last block adds to its fresh lanes only: the repeated ones were updated above");
                Block("wLast", Literals.Int(plan.TailOffset), true);
            }
            w.Close();
        }

        private static void BackwardScalar(CodeWriter w, int classes, int dim, bool withV)
        {
            string vTerm(string wi) => withV ? $" + vj * {wi}" : "";
            if (dim <= BlockPlan.MaxUnrolledBlocks)
            {
                w.Line($"// Scalar: x and gx in locals, each row unrolled.");
                w.Line($"float x0 = x{string.Concat(Enumerable.Range(1, dim - 1).Select(i => $", x{i} = Unsafe.Add(ref x, {i})"))};");
                w.Line($"float {string.Join(", ", Enumerable.Range(0, dim).Select(i => $"g{i} = alpha * x{i}"))};");
                w.Open($"for (int j = 0; j < {classes}; j++)");
                w.Line(withV ? "float uj = Unsafe.Add(ref u, j), vj = Unsafe.Add(ref v, j);" : "float uj = Unsafe.Add(ref u, j);");
                w.Line($"ref float wj = ref Unsafe.Add(ref w, j * {dim});");
                w.Line($"ref float gwj = ref Unsafe.Add(ref gw, j * {dim});");
                for (int i = 0; i < dim; i++)
                {
                    string wi = i == 0 ? "wj" : $"Unsafe.Add(ref wj, {i})";
                    string gwi = i == 0 ? "gwj" : $"Unsafe.Add(ref gwj, {i})";
                    w.Line($"float w{i} = {wi};");
                    w.Line($"g{i} += uj * w{i};");
                    w.Line($"{gwi} += uj * x{i}{vTerm($"w{i}")};");
                }
                w.Close();
                for (int i = 0; i < dim; i++)
                    w.Line($"{(i == 0 ? "gx" : $"Unsafe.Add(ref gx, {i})")} = g{i};");
                return;
            }
            w.Line("// Scalar fallback (no SIMD): loops with a constant trip count.");
            w.Line($"for (int i = 0; i < {dim}; i++) Unsafe.Add(ref gx, i) = alpha * Unsafe.Add(ref x, i);");
            w.Open($"for (int j = 0; j < {classes}; j++)");
            w.Line(withV ? "float uj = Unsafe.Add(ref u, j), vj = Unsafe.Add(ref v, j);" : "float uj = Unsafe.Add(ref u, j);");
            w.Line($"ref float wj = ref Unsafe.Add(ref w, j * {dim});");
            w.Line($"ref float gwj = ref Unsafe.Add(ref gw, j * {dim});");
            w.Open($"for (int i = 0; i < {dim}; i++)");
            w.Line("float wi = Unsafe.Add(ref wj, i);");
            w.Line("Unsafe.Add(ref gx, i) += uj * wi;");
            w.Line($"Unsafe.Add(ref gwj, i) += uj * Unsafe.Add(ref x, i){vTerm("wi")};");
            w.Close();
            w.Close();
        }

        // ---------------------------------------------------------------------------------------------------------
        // AddScaled: g += s * a over D (the extra target-row term of L-Softmax).

        public static void EmitAddScaled(CodeWriter w, int dim)
        {
            Dispatcher(w, $"g += s * a over {dim} elements.", "void", "AddScaled", "ref float a, float s, ref float g", "ref a, s, ref g", dim);
            foreach (VectorPath p in VectorPath.For(dim))
            {
                PathHeader(w, p, "void", "AddScaled", "ref float a, float s, ref float g");
                var plan = new BlockPlan(dim, p.Width);
                if (p.IsScalar)
                {
                    w.Line($"for (int i = 0; i < {dim}; i++) Unsafe.Add(ref g, i) += s * Unsafe.Add(ref a, i);");
                }
                else
                {
                    w.Line($"{p.Type} sv = {p.Splat("s")};");
                    w.Line($"for (nuint i = 0; i < {plan.Full * p.Width}; i += {p.Width}) {p.Store(p.MulAdd("sv", p.Load("a", "i"), p.Load("g", "i")), "g", "i")}");
                    if (plan.HasTail)
                    {
                        string masked = $"({p.Load("a", plan.TailOffset)} & {p.TailMask(plan.Tail)})";
                        w.Line(p.Store(p.MulAdd("sv", masked, p.Load("g", plan.TailOffset)), "g", plan.TailOffset) + " // fresh lanes only");
                    }
                }
                w.Close();
            }
        }
    }
}
