// This file is compiled twice: into the Runtime (net10.0) and, linked, into the source generator
// (netstandard2.0). It is the one definition of the constants of psi_m, so that the generator's literals and the
// Runtime's run-time tables cannot drift. Keep it to APIs that exist on netstandard2.0.
using System;
using System.Globalization;
using System.Text;

namespace EdgeLoss
{
    /// <summary>
    /// Constants of the angular margin function psi_m(c) = (-1)^k T_m(c) - 2k of L-Softmax and SphereFace, where
    /// T_m is the Chebyshev polynomial of the first kind (T_m(cos t) = cos(m t)) and k = floor(m theta / pi) is the
    /// number of thresholds cos(j pi / m), j = 1..m-1, that c lies below.
    /// </summary>
    internal static class Chebyshev
    {
        /// <summary>The smallest and largest supported m.</summary>
        public const int MinM = 1, MaxM = 8;

        /// <summary>
        /// The coefficients of T_m, index = power of c (length m + 1), from the recurrence
        /// T_0 = 1, T_1 = c, T_{n+1} = 2c T_n - T_{n-1}. Exact integers: T_8 = 128c^8 - 256c^6 + 160c^4 - 32c^2 + 1.
        /// </summary>
        public static long[] Coefficients(int m)
        {
            CheckM(m);
            long[] previous = { 1 };          // T_0
            long[] current = { 0, 1 };        // T_1
            for (int n = 1; n < m; n++)
            {
                var next = new long[n + 2];
                for (int p = 0; p < current.Length; p++)
                    next[p + 1] += 2 * current[p];
                for (int p = 0; p < previous.Length; p++)
                    next[p] -= previous[p];
                previous = current;
                current = next;
            }
            return current;
        }

        /// <summary>
        /// The thresholds cos(j pi / m) for j = 1..m-1 in descending order (length m - 1): psi's k is the number of
        /// them that c is strictly below. Rounded to float, as the float32 code compares against them.
        /// </summary>
        public static float[] Thresholds(int m)
        {
            CheckM(m);
            var t = new float[m - 1];
            for (int j = 1; j < m; j++)
                t[j - 1] = (float)Math.Cos(j * Math.PI / m);
            return t;
        }

        /// <summary>The polynomial as readable text, highest power first, e.g. <c>8c^4 - 8c^2 + 1</c>.</summary>
        public static string Describe(int m)
        {
            long[] a = Coefficients(m);
            var sb = new StringBuilder();
            for (int p = a.Length - 1; p >= 0; p--)
            {
                long v = a[p];
                if (v == 0) continue;
                if (sb.Length > 0) sb.Append(v < 0 ? " - " : " + ");
                else if (v < 0) sb.Append('-');
                long abs = Math.Abs(v);
                if (abs != 1 || p == 0) sb.Append(abs.ToString(CultureInfo.InvariantCulture));
                if (p >= 1) sb.Append('c');
                if (p >= 2) sb.Append('^').Append(p.ToString(CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }

        private static void CheckM(int m)
        {
            if (m < MinM || m > MaxM)
                throw new ArgumentOutOfRangeException(nameof(m), m, "m = " + m.ToString(CultureInfo.InvariantCulture) + " is outside [1, 8]");
        }
    }
}
