using EdgeLoss.Generators.Model;

namespace EdgeLoss.Generators.Emit
{
    /// <summary>Emits the members of a <c>[MarginHead(kind, C, D, ...)]</c> class.</summary>
    internal static class MarginHeadEmitter
    {
        public static string Emit(MarginHeadModel model) =>
            HeadFile.Write(model.Target, "MarginHead", w => w.Line($"public const int Classes = {model.Classes}, Dim = {model.Dim};"));
    }
}
