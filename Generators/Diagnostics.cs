using Microsoft.CodeAnalysis;

namespace EdgeLoss.Generators
{
    /// <summary>
    /// The compile-time diagnostics of the head generator. Each points at the attribute (or at its offending
    /// argument) and says what to change. Ids are stable: EL0001..EL0013.
    /// </summary>
    internal static class Diagnostics
    {
        private const string Category = "EdgeLoss.Generators";

        public static readonly DiagnosticDescriptor NotStaticPartial = Error(
            "EL0001", "Head class must be static partial",
            "The class '{0}' marked with [{1}] must be declared 'static partial' so that the generated members can be added to it");

        public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error(
            "EL0002", "Type containing a head class must be partial",
            "The type '{0}' contains the head class '{1}' and must be declared 'partial' so that the generated members can be nested in it");

        public static readonly DiagnosticDescriptor TooFewClasses = Error(
            "EL0003", "A head needs at least 2 classes",
            "classes = {0} is less than 2: a softmax over fewer than 2 classes is constant");

        public static readonly DiagnosticDescriptor DimTooSmall = Error(
            "EL0004", "A margin head needs dim >= 1",
            "dim = {0} is less than 1: the embedding must have at least one element");

        public static readonly DiagnosticDescriptor TooLarge = Error(
            "EL0005", "Head too large to specialize",
            "{0} = {1} exceeds 16777216: code specialized for a head this large would be absurd; use the Runtime's run-time sized functions (EdgeLoss.Functional, EdgeLoss.MarginHeads) instead");

        public static readonly DiagnosticDescriptor MOutOfRange = Error(
            "EL0006", "M must be in 1..8",
            "M = {0} is outside 1..8: the angular margin m of {1} is the degree of the Chebyshev polynomial T_m, supported up to 8");

        public static readonly DiagnosticDescriptor ScaleInvalid = Error(
            "EL0007", "Scale must be finite and > 0",
            "Scale = {0} must be finite and > 0 (insightface uses 64, AM-Softmax 30)");

        public static readonly DiagnosticDescriptor ArcFaceMarginOutOfRange = Error(
            "EL0008", "ArcFace margin must be in [0, pi/2)",
            "ArcFace Margin = {0} is outside [0, pi/2): the angular margin is in radians (insightface uses 0.5)");

        public static readonly DiagnosticDescriptor CosFaceMarginOutOfRange = Error(
            "EL0009", "CosFace margin must be in [0, 1]",
            "CosFace Margin = {0} is outside [0, 1]: the margin is subtracted from a cosine (AM-Softmax uses 0.35)");

        public static readonly DiagnosticDescriptor PropertyDoesNotApply = new DiagnosticDescriptor(
            "EL0010", "Property does not apply to this margin kind",
            "{0} does not apply to MarginKind.{1} and is ignored; it is used by {2}",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor ParameterNotFinite = Error(
            "EL0011", "Combined margin parameter out of range",
            "{0} = {1} must be {2}");

        public static readonly DiagnosticDescriptor UnknownKind = Error(
            "EL0012", "Unknown margin kind",
            "({0})MarginKind is not one of Softmax, LSoftmax, SphereFace, NormFace, CosFace, ArcFace, Combined");

        public static readonly DiagnosticDescriptor TwoHeads = Error(
            "EL0013", "A class holds one head",
            "The class '{0}' carries both [SoftmaxHead] and [MarginHead]; their members would collide: put each head on its own class");

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
    }
}
