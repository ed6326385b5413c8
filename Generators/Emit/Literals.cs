using System.Globalization;

namespace EdgeLoss.Generators.Emit
{
    /// <summary>
    /// C# literals for the constants baked into the emitted code. The shortest text that round-trips is chosen by
    /// trying increasing precision, so the output does not depend on the host's default float formatting.
    /// </summary>
    internal static class Literals
    {
        /// <summary>A float literal, e.g. <c>0.87758255f</c>, <c>64f</c>, <c>-8f</c>.</summary>
        public static string Float(float value) => Number(value) + "f";

        /// <summary>The float as a plain number for comments, e.g. <c>0.87758255</c>.</summary>
        public static string Number(float value)
        {
            if (float.IsNaN(value)) return "NaN";
            if (float.IsInfinity(value)) return value > 0 ? "Infinity" : "-Infinity";
            string text = value.ToString("G9", CultureInfo.InvariantCulture);
            for (int digits = 1; digits <= 9; digits++)
            {
                string candidate = value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
                if (float.Parse(candidate, NumberStyles.Float, CultureInfo.InvariantCulture) == value)
                {
                    text = candidate;
                    break;
                }
            }
            if (value == 0 && 1f / value < 0) text = "-0";
            return text;
        }

        /// <summary>An int literal.</summary>
        public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
