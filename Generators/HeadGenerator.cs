using EdgeLoss.Generators.Emit;
using EdgeLoss.Generators.Model;
using EdgeLoss.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EdgeLoss.Generators
{
    /// <summary>
    /// The head generator: <c>[SoftmaxHead(N)]</c> and <c>[MarginHead(kind, C, D, ...)]</c> on a <c>static partial
    /// class</c> become fixed-size, unrolled, allocation-free members of that class.
    /// </summary>
    /// <remarks>
    /// Two pipelines of two steps each. The first step (Parsing/) turns the attributed symbol into an equatable model
    /// plus diagnostics as data; nothing from the compilation (symbols, syntax) survives it, so an unrelated edit
    /// leaves the step Cached and nothing is re-emitted. The second step (Emit/) reports the diagnostics and turns
    /// the model into source text.
    /// </remarks>
    [Generator(LanguageNames.CSharp)]
    public sealed class HeadGenerator : IIncrementalGenerator
    {
        /// <summary>Step names for incremental-caching tests (GeneratorDriver with step tracking).</summary>
        public static class TrackingNames
        {
            /// <summary>The parsed model of each [SoftmaxHead].</summary>
            public const string SoftmaxHead = nameof(SoftmaxHead);

            /// <summary>The parsed model of each [MarginHead].</summary>
            public const string MarginHead = nameof(MarginHead);
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<HeadResult<SoftmaxHeadModel>> softmax = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    SoftmaxHeadParser.AttributeName,
                    static (node, _) => node is ClassDeclarationSyntax,
                    SoftmaxHeadParser.Parse)
                .WithTrackingName(TrackingNames.SoftmaxHead);

            IncrementalValuesProvider<HeadResult<MarginHeadModel>> margin = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    MarginHeadParser.AttributeName,
                    static (node, _) => node is ClassDeclarationSyntax,
                    MarginHeadParser.Parse)
                .WithTrackingName(TrackingNames.MarginHead);

            context.RegisterSourceOutput(softmax, static (spc, result) =>
            {
                foreach (DiagnosticInfo diagnostic in result.Diagnostics)
                    spc.ReportDiagnostic(diagnostic.ToDiagnostic());
                if (result.Model is { } model)
                    spc.AddSource(model.Target.HintName, SoftmaxHeadEmitter.Emit(model));
            });

            context.RegisterSourceOutput(margin, static (spc, result) =>
            {
                foreach (DiagnosticInfo diagnostic in result.Diagnostics)
                    spc.ReportDiagnostic(diagnostic.ToDiagnostic());
                if (result.Model is { } model)
                    spc.AddSource(model.Target.HintName, MarginHeadEmitter.Emit(model));
            });
        }
    }
}
