namespace EdgeLoss.Generators.Emit
{
    /// <summary>
    /// The cold paths of the emitted code: kept out of line (NoInlining) so the hot members stay small. Messages follow
    /// the Runtime's Guard: they name the argument and the value, e.g. <c>targets[3] = 12 is outside [0, 10)</c>.
    /// </summary>
    internal static class ThrowHelpers
    {
        private const string Cold = "[MethodImpl(MethodImplOptions.NoInlining)]";
        private const string NonFinite = "global::EdgeLoss.NonFiniteInputException";

        public static void Format(CodeWriter w)
        {
            w.Line("private static string Format(float value) => value.ToString(\"R\", CultureInfo.InvariantCulture);");
        }

        public static void Length(CodeWriter w)
        {
            w.Line(Cold);
            w.Line("private static void ThrowLength(string name, int expected, int actual) =>");
            w.Line("    throw new ArgumentException($\"{name} has length {actual}, expected {expected}\", name);");
        }

        public static void Target(CodeWriter w, int classes)
        {
            w.Line(Cold);
            w.Line("private static void ThrowTarget(string name, int value) =>");
            w.Line($"    throw new ArgumentOutOfRangeException(name, value, $\"{{name}} = {{value}} is outside [0, {classes})\");");
        }

        /// <summary>Names the first NaN or +inf among <c>classes</c> logits from <c>start</c>, else says they are all -inf.</summary>
        public static void NonFiniteLogits(CodeWriter w, int classes)
        {
            w.Line(Cold);
            w.Open("private static void ThrowNonFinite(ReadOnlySpan<float> values, string name, int start)");
            w.Line($"for (int i = start; i < start + {classes}; i++)");
            w.Line("    if (float.IsNaN(values[i]) || float.IsPositiveInfinity(values[i]))");
            w.Line($"        throw new {NonFinite}($\"{{name}}[{{i}}] = {{Format(values[i])}} is not finite\", name);");
            w.Line($"throw new {NonFinite}($\"{{name}}[{{start}}..{{start + {classes}}}) are all -inf: every class is masked, at least one logit must be finite\", name);");
            w.Close();
        }

        /// <summary>Names the first NaN of <c>values</c>.</summary>
        public static void NaN(CodeWriter w)
        {
            w.Line(Cold);
            w.Open("private static void ThrowNaN(ReadOnlySpan<float> values, string name)");
            w.Line("int i = 0;");
            w.Line("while (i < values.Length - 1 && !float.IsNaN(values[i])) i++;");
            w.Line($"throw new {NonFinite}($\"{{name}}[{{i}}] = NaN is not finite: there is no largest element\", name);");
            w.Close();
        }

        public static void Temperature(CodeWriter w)
        {
            w.Line(Cold);
            w.Line("private static void ThrowTemperature(float temperature) =>");
            w.Line("    throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $\"temperature = {Format(temperature)} must be finite and > 0\");");
        }

        public static void Batch(CodeWriter w, int classes)
        {
            w.Line(Cold);
            w.Line("private static void ThrowBatchLength(int rows, int actual) =>");
            w.Line($"    throw new ArgumentException($\"logits has length {{actual}}, expected targets.Length * {classes} = {{(long)rows * {classes}}}\", \"logits\");");
            w.Line();
            w.Line(Cold);
            w.Line("private static void ThrowTargetAt(int row, int value) =>");
            w.Line($"    throw new ArgumentOutOfRangeException(\"targets\", value, $\"targets[{{row}}] = {{value}} is outside [0, {classes})\");");
        }

        /// <summary>x did not normalize: names a non-finite element, or says it is zero, or that its norm overflows.</summary>
        public static void BadVector(CodeWriter w)
        {
            w.Line(Cold);
            w.Open("private static void ThrowBadVector(ReadOnlySpan<float> x)");
            w.Line("for (int i = 0; i < x.Length; i++)");
            w.Line("    if (!float.IsFinite(x[i]))");
            w.Line($"        throw new {NonFinite}($\"x[{{i}}] = {{Format(x[i])}} is not finite\", nameof(x));");
            w.Line("if (x.IndexOfAnyExcept(0f) < 0)");
            w.Line($"    throw new {NonFinite}(\"x is a zero vector: its angle to the class weights is undefined\", nameof(x));");
            w.Line($"throw new {NonFinite}(\"x . x overflows float: x is too large to normalize\", nameof(x));");
            w.Close();
        }

        /// <summary>Row <c>row</c> of w did not normalize.</summary>
        public static void BadRow(CodeWriter w, int dim)
        {
            w.Line(Cold);
            w.Open("private static void ThrowBadRow(ReadOnlySpan<float> w, int row)");
            w.Line($"ReadOnlySpan<float> r = w.Slice(row * {dim}, {dim});");
            w.Line("for (int i = 0; i < r.Length; i++)");
            w.Line("    if (!float.IsFinite(r[i]))");
            w.Line($"        throw new {NonFinite}($\"w[{{row * {dim} + i}}] = {{Format(r[i])}} is not finite (row {{row}})\", nameof(w));");
            w.Line("if (r.IndexOfAnyExcept(0f) < 0)");
            w.Line($"    throw new {NonFinite}($\"row {{row}} of w (w[{{row * {dim}}}..{{row * {dim} + {dim}}})) is a zero vector: its angle to x is undefined\", nameof(w));");
            w.Line($"throw new {NonFinite}($\"row {{row}} of w overflows float: it is too large to normalize\", nameof(w));");
            w.Close();
        }

        /// <summary>A logit x . w_j was not finite: names the first non-finite input, or says the product overflowed.</summary>
        public static void BadLogits(CodeWriter w)
        {
            w.Line(Cold);
            w.Open("private static void ThrowBadLogits(ReadOnlySpan<float> x, ReadOnlySpan<float> w)");
            w.Line("for (int i = 0; i < x.Length; i++)");
            w.Line("    if (!float.IsFinite(x[i]))");
            w.Line($"        throw new {NonFinite}($\"x[{{i}}] = {{Format(x[i])}} is not finite\", nameof(x));");
            w.Line("for (int i = 0; i < w.Length; i++)");
            w.Line("    if (!float.IsFinite(w[i]))");
            w.Line($"        throw new {NonFinite}($\"w[{{i}}] = {{Format(w[i])}} is not finite\", nameof(w));");
            w.Line($"throw new {NonFinite}(\"a logit x . w_j overflows float although x and w are finite\", nameof(x));");
            w.Close();
        }

        public static void Lambda(CodeWriter w)
        {
            w.Line(Cold);
            w.Line("private static void ThrowLambda(float lambda) =>");
            w.Line("    throw new ArgumentOutOfRangeException(nameof(lambda), lambda, $\"lambda = {Format(lambda)} must be finite and >= 0\");");
        }
    }
}
