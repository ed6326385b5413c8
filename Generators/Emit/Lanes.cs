using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace EdgeLoss.Generators.Emit
{
    /// <summary>
    /// One code path of an emitted kernel: Vector512, Vector256, Vector128 (16, 8, 4 float lanes) or scalar. The
    /// emitted dispatcher tests <c>VectorN.IsHardwareAccelerated</c>, which the JIT folds to a constant, so each
    /// machine runs exactly one path with no run-time test: Vector512 on AVX-512, Vector256 on AVX2, Vector128 on
    /// ARM64 (AdvSimd, the Raspberry Pi and Jetson) and SSE.
    /// </summary>
    internal sealed class VectorPath
    {
        public static readonly VectorPath V512 = new VectorPath(16, "Vector512", "ulong");
        public static readonly VectorPath V256 = new VectorPath(8, "Vector256", "uint");
        public static readonly VectorPath V128 = new VectorPath(4, "Vector128", "uint");
        public static readonly VectorPath Scalar = new VectorPath(1, "", "");

        private VectorPath(int width, string api, string bitsType)
        {
            Width = width;
            Api = api;
            BitsType = bitsType;
        }

        /// <summary>Float lanes per vector; 1 for the scalar path.</summary>
        public int Width { get; }

        /// <summary>The static class of the vector API, e.g. <c>Vector256</c>.</summary>
        public string Api { get; }

        /// <summary>The type ExtractMostSignificantBits returns.</summary>
        public string BitsType { get; }

        public bool IsScalar => Width == 1;

        /// <summary>The vector type, e.g. <c>Vector256&lt;float&gt;</c>.</summary>
        public string Type => Api + "<float>";

        /// <summary>The suffix of the path's method names: <c>V512</c>, <c>V256</c>, <c>V128</c>, <c>Scalar</c>.</summary>
        public string Suffix => IsScalar ? "Scalar" : "V" + (Width * 32).ToString(CultureInfo.InvariantCulture);

        /// <summary>The vector paths usable for <paramref name="length"/> elements (a vector must fit), widest first, then scalar.</summary>
        public static IReadOnlyList<VectorPath> For(int length) =>
            new[] { V512, V256, V128 }.Where(p => p.Width <= length).Concat(new[] { Scalar }).ToArray();

        public string Load(string reference, string offset) =>
            offset == "0" ? $"{Api}.LoadUnsafe(ref {reference})" : $"{Api}.LoadUnsafe(ref {reference}, {offset})";

        public string Load(string reference, int offset) => Load(reference, Offset(offset));

        public string Store(string value, string reference, string offset) =>
            offset == "0" ? $"{value}.StoreUnsafe(ref {reference});" : $"{value}.StoreUnsafe(ref {reference}, {offset});";

        public string Store(string value, string reference, int offset) => Store(value, reference, Offset(offset));

        public string Splat(string scalar) => $"{Api}.Create({scalar})";

        /// <summary>a * b + c, fused where the hardware has FMA.</summary>
        public string MulAdd(string a, string b, string c) => $"{Api}.MultiplyAddEstimate({a}, {b}, {c})";

        public string Zero => Type + ".Zero";

        /// <summary>An element offset; a non-negative int constant converts to the <c>nuint</c> the vector loads take.</summary>
        public static string Offset(int offset) => offset.ToString(CultureInfo.InvariantCulture);

        /// <summary>The mask of the overlapping last block: lanes before <paramref name="fresh"/> new ones are zero, the rest all ones.</summary>
        public string TailMask(int fresh)
        {
            var lanes = Enumerable.Range(0, Width).Select(i => i < Width - fresh ? "0" : "-1");
            return $"{Api}.Create({string.Join(", ", lanes)}).AsSingle()";
        }
    }

    /// <summary>
    /// How <see cref="Length"/> elements are covered by vectors of <see cref="Width"/> lanes, decided at generation
    /// time. Full blocks first; a remainder is covered by one last block that ends exactly at the end and overlaps the
    /// block before it (its repeated lanes are masked out of sums; stores of them write the same values). Up to
    /// <see cref="MaxUnrolledBlocks"/> blocks are fully unrolled into locals; more are walked by a loop of
    /// <see cref="Group"/> blocks per iteration with a constant trip count, then the leftover blocks, then the last.
    /// </summary>
    internal readonly struct BlockPlan
    {
        public const int MaxUnrolledBlocks = 8;
        public const int Group = 4;

        public BlockPlan(int length, int width)
        {
            Length = length;
            Width = width;
        }

        public int Length { get; }
        public int Width { get; }

        /// <summary>Whole blocks from the start.</summary>
        public int Full => Length / Width;

        /// <summary>Elements after the whole blocks (0 when the length is a multiple of the width).</summary>
        public int Tail => Length % Width;

        public bool HasTail => Tail != 0;

        /// <summary>Where the overlapping last block starts.</summary>
        public int TailOffset => Length - Width;

        public int Blocks => Full + (HasTail ? 1 : 0);

        public bool Unrolled => Blocks <= MaxUnrolledBlocks;

        /// <summary>Elements covered by the loop of groups (loop form).</summary>
        public int LoopEnd => Full / Group * Group * Width;

        /// <summary>Whole blocks after the loop (loop form).</summary>
        public int Rest => Full % Group;

        /// <summary>Offsets of all blocks in order, the overlapping last one included.</summary>
        public IEnumerable<int> Offsets()
        {
            for (int k = 0; k < Full; k++) yield return k * Width;
            if (HasTail) yield return TailOffset;
        }

        /// <summary>A comment line describing the layout, e.g. <c>10 = 1 x 8 + 2: ...</c>.</summary>
        public string Describe(string what)
        {
            string n = Literals.Int(Length), w = Literals.Int(Width);
            string head = $"{what}: {n} = {Full} x {w}" + (HasTail ? $" + {Tail}" : "");
            string layout = Unrolled
                ? $"{Blocks} block{(Blocks == 1 ? "" : "s")} unrolled"
                : $"a loop of {Full / Group} x {Group} blocks{(Rest > 0 ? $", {Rest} more block{(Rest == 1 ? "" : "s")}" : "")}";
            string tail = HasTail
                ? $", and a last block at {TailOffset} whose first {Width - Tail} lanes repeat the block before (masked out of sums)"
                : "";
            return head + "; " + layout + tail;
        }
    }
}
