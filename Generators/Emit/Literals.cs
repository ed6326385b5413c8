using System;
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
            // Integers as integers (160, not 1.6E+02), up to where float still holds every integer.
            if (value == Math.Floor(value) && Math.Abs(value) <= 16777216f)
                return value == 0 && 1f / value < 0 ? "-0" : ((long)value).ToString(CultureInfo.InvariantCulture);
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
            // Plain decimals for ordinary magnitudes (0.0001, not 1E-04); exponents only for the very small or large.
            if (text.IndexOf('E') >= 0 && Math.Abs(value) >= 1e-4f && Math.Abs(value) < 1e7f)
            {
                for (int decimals = 1; decimals <= 12; decimals++)
                {
                    string candidate = value.ToString("0." + new string('#', decimals), CultureInfo.InvariantCulture);
                    if (float.Parse(candidate, NumberStyles.Float, CultureInfo.InvariantCulture) == value)
                        return candidate;
                }
            }
            return text;
        }

        /// <summary>An int literal.</summary>
        public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
