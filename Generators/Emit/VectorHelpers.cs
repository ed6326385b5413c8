using System;
using System.Linq;

namespace EdgeLoss.Generators.Emit
{
    /// <summary>
    /// The small vector helpers the kernels call, emitted once per vector width a head uses: a fast exp for
    /// non-positive arguments and a horizontal max that leaves the maximum in every lane.
    /// </summary>
    internal static class VectorHelpers
    {
        /// <summary>exp(t) = 0 below ln(2^-126): 2^n stays a normal float for every n the reduction produces.</summary>
        public static readonly float ExpLowerBound = (float)Math.Log(Math.Pow(2, -126));

        /// <summary>1.5 * 2^23: adding it rounds to an integer and leaves the integer in the low mantissa bits.</summary>
        public const float RoundingShift = 12582912f;

        /// <summary>ln 2 split so that n * Ln2High is exact for |n| &lt;= 127 (9 significant bits).</summary>
        public const float Ln2High = 0.693359375f;

        public static readonly float Ln2Low = (float)(Math.Log(2) - Ln2High);

        public static readonly float Log2E = (float)(1 / Math.Log(2));

        /// <summary>1/k! for k = 0..7, the Taylor coefficients of exp: on |r| &lt;= ln2/2 the truncation error is below 6e-9.</summary>
        public static float Taylor(int k)
        {
            double factorial = 1;
            for (int i = 2; i <= k; i++) factorial *= i;
            return (float)(1 / factorial);
        }

        public static void EmitExp(CodeWriter w, VectorPath p)
        {
            string F(float v) => p.Splat(Literals.Float(v));
            string T(int k) => F(Taylor(k));
            w.Line("/// <summary>");
            w.Line($"/// exp(t) for t &lt;= 0 (shifted logits), {p.Width} lanes: t = n ln2 + r with |r| &lt;= ln2/2 and exp(t) = 2^n p(r), p the");
            w.Line("/// degree-7 Taylor polynomial of exp (coefficients 1/k!, Estrin's scheme; relative error about 1e-7). t below");
            w.Line($"/// ln(2^-126) = {Literals.Number(ExpLowerBound)}, -inf (a masked class) included, gives exactly 0.");
            w.Line("/// </summary>");
            w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
            w.Open($"private static {p.Type} Exp({p.Type} t)");
            w.Line($"{p.Type} keep = {p.Api}.GreaterThanOrEqual(t, {F(ExpLowerBound)});");
            w.Line($"{p.Type} x = {p.Api}.MaxNative(t, {F(ExpLowerBound)}); // NaN cannot come here: the kernels return before");
            w.Line("// n = round(x / ln2) sits in the low mantissa bits of k = x / ln2 + 1.5 * 2^23");
            w.Line($"{p.Type} k = {p.MulAdd("x", F(Log2E), F(RoundingShift))};");
            w.Line($"{p.Type} n = k - {F(RoundingShift)};");
            w.Line("// r = x - n ln2, ln2 in two parts so that the first product is exact");
            w.Line($"{p.Type} r = {p.MulAdd("n", F(-Ln2High), "x")};");
            w.Line($"r = {p.MulAdd("n", F(-Ln2Low), "r")};");
            w.Line($"{p.Type} r2 = r * r;");
            w.Line($"{p.Type} p01 = {p.MulAdd("r", T(1), T(0))};");
            w.Line($"{p.Type} p23 = {p.MulAdd("r", T(3), T(2))};");
            w.Line($"{p.Type} p45 = {p.MulAdd("r", T(5), T(4))};");
            w.Line($"{p.Type} p67 = {p.MulAdd("r", T(7), T(6))};");
            w.Line($"{p.Type} poly = {p.MulAdd("r2 * r2", p.MulAdd("r2", "p67", "p45"), p.MulAdd("r2", "p23", "p01"))};");
            w.Line("// 2^n: the exponent field n + 127, shifted in from the low bits of k");
            w.Line($"{p.Type} pow2n = ((k.AsInt32() << 23) + {p.Api}.Create(0x3F800000)).AsSingle();");
            w.Line("return (poly * pow2n) & keep;");
            w.Close();
        }

        public static void EmitHorizontalMax(CodeWriter w, VectorPath p) =>
            EmitButterfly(w, p, "HorizontalMax", "maximum", "; MaxNative: a NaN may be dropped, the kernels test for it apart", (a, b) => $"{p.Api}.MaxNative({a}, {b})");

        public static void EmitHorizontalSum(CodeWriter w, VectorPath p) =>
            EmitButterfly(w, p, "HorizontalSum", "sum", "", (a, b) => $"{a} + {b}");

        /// <summary>A reduction that leaves its result in every lane, so that it feeds vector code without a scalar round trip.</summary>
        private static void EmitButterfly(CodeWriter w, VectorPath p, string name, string what, string note, Func<string, string, string> combine)
        {
            w.Line($"/// <summary>The {what} of the {p.Width} lanes of <paramref name=\"v\"/> in every lane (a butterfly of lane swaps{note}).</summary>");
            w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
            w.Open($"private static {p.Type} {name}({p.Type} v)");
            for (int span = p.Width / 2; span >= 1; span /= 2)
            {
                int s = span;
                var indices = Enumerable.Range(0, p.Width).Select(i => ((i / s) % 2 == 0 ? i + s : i - s).ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.Line($"v = {combine("v", $"{p.Api}.Shuffle(v, {p.Api}.Create({string.Join(", ", indices)}))")};");
            }
            w.Line("return v;");
            w.Close();
        }
    }
}
