using System.Collections.Generic;
using System.Linq;

namespace EdgeLoss.Generators.Emit
{
    /// <summary>The kernels of the softmax family; each is emitted as a dispatcher and one method per vector path.</summary>
    internal enum SoftmaxKernel
    {
        /// <summary>y = scale * exp(x - max) / sum; returns max, outputs sum.</summary>
        Softmax,
        /// <summary>y = exp((x - max) / T) / sum; returns max.</summary>
        TemperedSoftmax,
        /// <summary>y = (x - max) - log(sum); returns max.</summary>
        LogSoftmax,
        /// <summary>Returns max, outputs log(sum) (so that callers can subtract large values before adding).</summary>
        LogSumExp,
        /// <summary>Returns the first index of the max, or -1 when an element is NaN.</summary>
        ArgMax,
    }

    /// <summary>
    /// Emits the fixed-size softmax kernels over N elements, shared by the softmax head (N = classes) and the margin
    /// heads (N = classes, over their logits). Every kernel first takes the maximum (MaxNative, with a separate NaN
    /// test beside it), and returns early when it is not finite (a NaN or +inf logit, or all -inf): the public member
    /// then throws. With a
    /// finite max every exp argument is in [-inf, 0], so nothing overflows. Kernels may run in place (y = x): a
    /// pass that writes loads the overlapping last block before it writes anything.
    /// </summary>
    internal static class SoftmaxKernels
    {
        public static string Name(SoftmaxKernel kernel) => kernel + "Kernel";

        /// <summary>
        /// Unrolled kernels of at most this many blocks are inlined into the public member. Longer ones stay calls:
        /// inlined, a 7-block kernel made the 100-class softmax 1.6x slower (43 ns against 27 ns, measured), as the
        /// public member with its throw paths gets a worse register allocation and layout than the kernel alone.
        /// </summary>
        internal const int InlineBlocks = 2;

        public static void Emit(CodeWriter w, int n, SoftmaxKernel kernel)
        {
            string name = Name(kernel);
            string returns = kernel == SoftmaxKernel.ArgMax ? "int" : "float";
            IReadOnlyList<VectorPath> paths = VectorPath.For(n);

            w.Line("/// <summary>" + Summary(kernel, n) + "</summary>");
            w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
            w.Open($"private static {returns} {name}({Parameters(kernel)})");
            foreach (VectorPath p in paths.Where(p => !p.IsScalar))
                w.Line($"if ({p.Api}.IsHardwareAccelerated) return {name}_{p.Suffix}({Arguments(kernel)});");
            w.Line($"return {name}_Scalar({Arguments(kernel)});");
            w.Close();

            foreach (VectorPath p in paths)
            {
                w.Line();
                var plan = new BlockPlan(n, p.Width);
                if (!p.IsScalar && plan.Unrolled && plan.Blocks <= InlineBlocks)
                    w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
                w.Open($"private static {returns} {name}_{p.Suffix}({Parameters(kernel)})");
                if (p.IsScalar) EmitScalar(w, n, kernel);
                else if (plan.Unrolled) EmitUnrolled(w, plan, kernel, p);
                else EmitLooped(w, plan, kernel, p);
                w.Close();
            }
        }

        private static string Summary(SoftmaxKernel kernel, int n) => kernel switch
        {
            SoftmaxKernel.Softmax => $"y = scale * exp(x - max) / sum over {n} elements; returns max (early, y untouched, if it is not finite) and sum.",
            SoftmaxKernel.TemperedSoftmax => $"y = exp((x - max) / temperature) / sum over {n} elements; returns max (early, y untouched, if it is not finite).",
            SoftmaxKernel.LogSoftmax => $"y = (x - max) - log(sum exp(x - max)) over {n} elements; returns max (early, y untouched, if it is not finite).",
            SoftmaxKernel.LogSumExp => $"log(sum exp(x - max)) over {n} elements into logSum; returns max (early if it is not finite).",
            _ => $"The first index of the maximum of {n} elements, or -1 if an element is NaN.",
        };

        private static string Parameters(SoftmaxKernel kernel) => kernel switch
        {
            SoftmaxKernel.Softmax => "ref float x, ref float y, float scale, out float sum",
            SoftmaxKernel.TemperedSoftmax => "ref float x, ref float y, float temperature",
            SoftmaxKernel.LogSoftmax => "ref float x, ref float y",
            SoftmaxKernel.LogSumExp => "ref float x, out float logSum",
            _ => "ref float x",
        };

        private static string Arguments(SoftmaxKernel kernel) => kernel switch
        {
            SoftmaxKernel.Softmax => "ref x, ref y, scale, out sum",
            SoftmaxKernel.TemperedSoftmax => "ref x, ref y, temperature",
            SoftmaxKernel.LogSoftmax => "ref x, ref y",
            SoftmaxKernel.LogSumExp => "ref x, out logSum",
            _ => "ref x",
        };

        private static string EarlyExit(SoftmaxKernel kernel) => kernel switch
        {
            SoftmaxKernel.Softmax => "if (!float.IsFinite(m)) { sum = 0f; return m; }",
            SoftmaxKernel.LogSumExp => "if (!float.IsFinite(m)) { logSum = 0f; return m; }",
            SoftmaxKernel.ArgMax => "if (float.IsNaN(m)) return -1; // +inf is a largest element, and all -inf gives index 0",
            _ => "if (!float.IsFinite(m)) return m;",
        };

        private static bool StoresExp(SoftmaxKernel kernel) => kernel is SoftmaxKernel.Softmax or SoftmaxKernel.TemperedSoftmax;

        /// <summary>The exp argument for a loaded value: shifted by the max, divided by the temperature if any.</summary>
        private static string ExpArgument(SoftmaxKernel kernel, string value) =>
            kernel == SoftmaxKernel.TemperedSoftmax ? $"({value} - max) / temp" : $"{value} - max";

        private static string Plus(string offset, int delta) => delta == 0 ? offset : $"{offset} + {Literals.Int(delta)}";

        private static string At(int offset, string expression) => offset == 0 ? expression : $"{Literals.Int(offset)} + {expression}";

        /// <summary>
        /// The sum of <paramref name="terms"/> as a balanced tree, parenthesized so that the compiler keeps the tree:
        /// C# + is left-associative, so "a + b + c + d" would be one serial chain of dependent adds.
        /// </summary>
        internal static string SumTree(IReadOnlyList<string> terms)
        {
            string sum = Tree(terms, (a, b) => $"({a} + {b})");
            return terms.Count > 1 ? sum.Substring(1, sum.Length - 2) : sum;
        }

        /// <summary>
        /// The expression that is all zeros unless one of <paramref name="values"/> has a NaN lane. The max reductions
        /// use MaxNative (one instruction, where the IEEE Max is three on x86), which may drop a NaN; this test runs
        /// beside the max tree, off its dependency chain.
        /// </summary>
        private static string AnyNaN(VectorPath p, IReadOnlyList<string> values) =>
            Tree(values.Select(v => $"{p.Api}.IsNaN({v})").ToList(), (a, b) => $"({a} | {b})");

        private static string NaNCheck(VectorPath p, IReadOnlyList<string> values) =>
            $"if ({AnyNaN(p, values)} != {p.Zero}) m = float.NaN; // MaxNative may drop a NaN";

        /// <summary>Combines values pairwise (a balanced tree keeps the dependency chains short).</summary>
        internal static string Tree(IReadOnlyList<string> values, System.Func<string, string, string> combine)
        {
            var level = values.ToList();
            while (level.Count > 1)
            {
                var next = new List<string>();
                for (int i = 0; i + 1 < level.Count; i += 2)
                    next.Add(combine(level[i], level[i + 1]));
                if (level.Count % 2 == 1) next.Add(level[level.Count - 1]);
                level = next;
            }
            return level[0];
        }

        private static void EmitUnrolled(CodeWriter w, BlockPlan plan, SoftmaxKernel kernel, VectorPath p)
        {
            string T = p.Type;
            var offsets = plan.Offsets().ToList();
            int last = offsets.Count - 1;
            w.Line("// " + plan.Describe("x"));
            for (int i = 0; i <= last; i++)
                w.Line($"{T} v{i} = {p.Load("x", offsets[i])};");
            var vs = Enumerable.Range(0, offsets.Count).Select(i => "v" + Literals.Int(i)).ToList();
            w.Line($"{T} max = HorizontalMax({Tree(vs, (a, b) => $"{p.Api}.MaxNative({a}, {b})")});");
            w.Line("float m = max.ToScalar();");
            w.Line(NaNCheck(p, vs));
            w.Line(EarlyExit(kernel));

            if (kernel == SoftmaxKernel.ArgMax)
            {
                for (int i = 0; i < last; i++)
                {
                    w.Line($"{p.BitsType} bits{i} = {p.Api}.Equals(v{i}, max).ExtractMostSignificantBits();");
                    w.Line($"if (bits{i} != 0) return {At(offsets[i], $"BitOperations.TrailingZeroCount(bits{i})")};");
                }
                w.Line($"return {At(offsets[last], $"BitOperations.TrailingZeroCount({p.Api}.Equals(v{last}, max).ExtractMostSignificantBits())")};");
                return;
            }

            if (kernel == SoftmaxKernel.TemperedSoftmax)
                w.Line($"{T} temp = {p.Splat("temperature")};");
            for (int i = 0; i <= last; i++)
                w.Line($"{T} e{i} = Exp({ExpArgument(kernel, "v" + Literals.Int(i))});");
            var terms = Enumerable.Range(0, offsets.Count).Select(i => "e" + Literals.Int(i)).ToList();
            if (plan.HasTail)
            {
                w.Line($"{T} eFresh = e{last} & {p.TailMask(plan.Tail)}; // the {plan.Tail} lanes the block before did not cover");
                terms[last] = "eFresh";
            }
            string total = SumTree(terms);

            switch (kernel)
            {
                case SoftmaxKernel.Softmax:
                case SoftmaxKernel.TemperedSoftmax:
                    // The sum stays in every lane and the division is a vector one: no scalar round trip on the critical path.
                    w.Line($"{T} s = HorizontalSum({total});");
                    if (kernel == SoftmaxKernel.Softmax) w.Line("sum = s.ToScalar();");
                    w.Line($"{T} f = {p.Splat(kernel == SoftmaxKernel.Softmax ? "scale" : "1f")} / s;");
                    for (int i = 0; i <= last; i++)
                        w.Line(p.Store($"(e{i} * f)", "y", offsets[i]));
                    break;
                case SoftmaxKernel.LogSoftmax:
                    w.Line($"{T} logSum = {p.Splat($"MathF.Log({p.Api}.Sum({total}))")};");
                    for (int i = 0; i <= last; i++)
                        w.Line(p.Store($"((v{i} - max) - logSum)", "y", offsets[i]));
                    break;
                case SoftmaxKernel.LogSumExp:
                    w.Line($"logSum = MathF.Log({p.Api}.Sum({total}));");
                    break;
            }
            w.Line("return m;");
        }

        private static void EmitLooped(CodeWriter w, BlockPlan plan, SoftmaxKernel kernel, VectorPath p)
        {
            string T = p.Type;
            int W = plan.Width, step = BlockPlan.Group * W;
            int tailAccumulator = plan.Rest % BlockPlan.Group;
            w.Line("// " + plan.Describe("x"));

            // Pass 1: the maximum, in four accumulators seeded by the first group.
            for (int g = 0; g < BlockPlan.Group; g++)
                w.Line($"{T} m{g} = {p.Load("x", g * W)};");
            w.Open($"for (nuint i = {step}; i < {plan.LoopEnd}; i += {step})");
            for (int g = 0; g < BlockPlan.Group; g++)
                w.Line($"m{g} = {p.Api}.Max(m{g}, {p.Load("x", Plus("i", g * W))});");
            w.Close();
            for (int r = 0; r < plan.Rest; r++)
                w.Line($"m{r} = {p.Api}.Max(m{r}, {p.Load("x", plan.LoopEnd + r * W)});");
            if (plan.HasTail)
                w.Line($"m{tailAccumulator} = {p.Api}.Max(m{tailAccumulator}, {p.Load("x", plan.TailOffset)});");
            w.Line($"{T} max = HorizontalMax({p.Api}.MaxNative({p.Api}.MaxNative(m0, m1), {p.Api}.MaxNative(m2, m3)));");
            w.Line("float m = max.ToScalar();");
            w.Line(NaNCheck(p, new[] { "m0", "m1", "m2", "m3" }) + " (the accumulators keep it: IEEE Max)");
            w.Line(EarlyExit(kernel));

            if (kernel == SoftmaxKernel.ArgMax)
            {
                w.Open($"for (nuint i = 0; i < {plan.Full * W}; i += {W})");
                w.Line($"{p.BitsType} bits = {p.Api}.Equals({p.Load("x", "i")}, max).ExtractMostSignificantBits();");
                w.Line("if (bits != 0) return (int)i + BitOperations.TrailingZeroCount(bits);");
                w.Close();
                if (plan.HasTail)
                    w.Line($"return {At(plan.TailOffset, $"BitOperations.TrailingZeroCount({p.Api}.Equals({p.Load("x", plan.TailOffset)}, max).ExtractMostSignificantBits())")};");
                else
                    w.Line("return -1; // not reached: max is one of the elements");
                return;
            }

            // Pass 2: exp of the shifted values, summed in four accumulators (and stored, for softmax).
            bool stores = StoresExp(kernel);
            if (stores && plan.HasTail)
                w.Line($"{T} xLast = {p.Load("x", plan.TailOffset)}; // read before y is written: y may be x");
            if (kernel == SoftmaxKernel.TemperedSoftmax)
                w.Line($"{T} temp = {p.Splat("temperature")};");
            w.Line($"{T} s0 = {p.Zero}, s1 = {p.Zero}, s2 = {p.Zero}, s3 = {p.Zero};");
            w.Open($"for (nuint i = 0; i < {plan.LoopEnd}; i += {step})");
            for (int g = 0; g < BlockPlan.Group; g++)
            {
                string offset = Plus("i", g * W);
                w.Line($"{T} e{g} = Exp({ExpArgument(kernel, p.Load("x", offset))});");
                if (stores) w.Line(p.Store($"e{g}", "y", offset));
                w.Line($"s{g} += e{g};");
            }
            w.Close();
            for (int r = 0; r < plan.Rest; r++)
            {
                int offset = plan.LoopEnd + r * W;
                string e = "e" + Literals.Int(offset / W); // named by block index: e0..e3 are the loop's
                w.Line($"{T} {e} = Exp({ExpArgument(kernel, p.Load("x", offset))});");
                if (stores) w.Line(p.Store(e, "y", offset));
                w.Line($"s{r} += {e};");
            }
            if (plan.HasTail)
            {
                string source = stores ? "xLast" : p.Load("x", plan.TailOffset);
                w.Line($"{T} eLast = Exp({ExpArgument(kernel, source)});");
                if (stores) w.Line(p.Store("eLast", "y", plan.TailOffset));
                w.Line($"s{tailAccumulator} += eLast & {p.TailMask(plan.Tail)}; // the {plan.Tail} lanes the block before did not cover");
            }
            w.Line($"float s = {p.Api}.Sum((s0 + s1) + (s2 + s3));");

            // Pass 3: the outputs.
            switch (kernel)
            {
                case SoftmaxKernel.Softmax:
                case SoftmaxKernel.TemperedSoftmax:
                    if (kernel == SoftmaxKernel.Softmax) w.Line("sum = s;");
                    w.Line($"{T} f = {p.Splat(kernel == SoftmaxKernel.Softmax ? "scale / s" : "1f / s")};");
                    if (plan.HasTail)
                        w.Line($"{T} yLast = {p.Load("y", plan.TailOffset)}; // read before the loop rescales the lanes it repeats");
                    EmitMapLoop(w, plan, p, offset => p.Store($"({p.Load("y", offset)} * f)", "y", offset));
                    if (plan.HasTail) w.Line(p.Store("(yLast * f)", "y", plan.TailOffset));
                    break;
                case SoftmaxKernel.LogSoftmax:
                    w.Line($"{T} logSum = {p.Splat("MathF.Log(s)")};");
                    if (plan.HasTail)
                        w.Line($"{T} xLast = {p.Load("x", plan.TailOffset)}; // read before y is written: y may be x");
                    EmitMapLoop(w, plan, p, offset => p.Store($"(({p.Load("x", offset)} - max) - logSum)", "y", offset));
                    if (plan.HasTail) w.Line(p.Store("((xLast - max) - logSum)", "y", plan.TailOffset));
                    break;
                case SoftmaxKernel.LogSumExp:
                    w.Line("logSum = MathF.Log(s);");
                    break;
            }
            w.Line("return m;");
        }

        /// <summary>The whole blocks of an element-wise pass: the loop of groups, then the rest (the caller adds the last block).</summary>
        private static void EmitMapLoop(CodeWriter w, BlockPlan plan, VectorPath p, System.Func<string, string> statement)
        {
            int step = BlockPlan.Group * plan.Width;
            w.Open($"for (nuint i = 0; i < {plan.LoopEnd}; i += {step})");
            for (int g = 0; g < BlockPlan.Group; g++)
                w.Line(statement(Plus("i", g * plan.Width)));
            w.Close();
            for (int r = 0; r < plan.Rest; r++)
                w.Line(statement(Literals.Int(plan.LoopEnd + r * plan.Width)));
        }

        private static void EmitScalar(CodeWriter w, int n, SoftmaxKernel kernel)
        {
            w.Line("// Scalar fallback (no SIMD): loops with a constant trip count; the sum in double.");
            w.Line("float m = x;");
            w.Line($"for (int i = 1; i < {n}; i++) m = MathF.Max(m, Unsafe.Add(ref x, i));");
            w.Line(EarlyExit(kernel));
            if (kernel == SoftmaxKernel.ArgMax)
            {
                w.Line($"for (int i = 0; i < {n}; i++) if (Unsafe.Add(ref x, i) == m) return i;");
                w.Line("return -1; // not reached: m is one of the elements");
                return;
            }
            string arg = kernel == SoftmaxKernel.TemperedSoftmax ? "(Unsafe.Add(ref x, i) - m) / temperature" : "Unsafe.Add(ref x, i) - m";
            w.Line("double s = 0;");
            if (StoresExp(kernel))
            {
                w.Open($"for (int i = 0; i < {n}; i++)");
                w.Line($"float e = MathF.Exp({arg});");
                w.Line("Unsafe.Add(ref y, i) = e;");
                w.Line("s += e;");
                w.Close();
                if (kernel == SoftmaxKernel.Softmax) w.Line("sum = (float)s;");
                w.Line($"float f = (float)({(kernel == SoftmaxKernel.Softmax ? "scale" : "1")} / s);");
                w.Line($"for (int i = 0; i < {n}; i++) Unsafe.Add(ref y, i) *= f;");
            }
            else
            {
                w.Line($"for (int i = 0; i < {n}; i++) s += MathF.Exp({arg});");
                if (kernel == SoftmaxKernel.LogSoftmax)
                {
                    w.Line("float logSum = (float)Math.Log(s);");
                    w.Line($"for (int i = 0; i < {n}; i++) Unsafe.Add(ref y, i) = (Unsafe.Add(ref x, i) - m) - logSum;");
                }
                else
                {
                    w.Line("logSum = (float)Math.Log(s);");
                }
            }
            w.Line("return m;");
        }
    }
}
