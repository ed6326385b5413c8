using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using EdgeLoss.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EdgeLoss.Generators.Parsing
{
    /// <summary>The first pipeline step for <c>[SoftmaxHead(N)]</c>: symbol and syntax in, equatable model out.</summary>
    internal static class SoftmaxHeadParser
    {
        public const string AttributeName = "EdgeLoss.SoftmaxHeadAttribute";

        /// <summary>The largest class count the generator specializes for (the same bound as classes * dim of a margin head).</summary>
        public const int MaxElements = 1 << 24;

        public static HeadResult<SoftmaxHeadModel> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var type = (INamedTypeSymbol)context.TargetSymbol;
            AttributeData attribute = context.Attributes[0];
            Location? at = TargetParser.AttributeLocation(attribute, cancellationToken);

            HeadTarget? target = TargetParser.Parse(type, (ClassDeclarationSyntax)context.TargetNode, "SoftmaxHead", at, "SoftmaxHead", diagnostics, cancellationToken);

            // A constructor argument the compiler already rejects (wrong type, missing) leaves nothing to check.
            if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not int classes)
                return new HeadResult<SoftmaxHeadModel>(null, diagnostics.ToImmutableEquatableArray());

            bool ok = target is not null;
            if (classes < 2)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooFewClasses,
                    TargetParser.ArgumentLocation(attribute, "classes", 0, cancellationToken), classes.ToString(CultureInfo.InvariantCulture)));
                ok = false;
            }
            else if (classes > MaxElements)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooLarge,
                    TargetParser.ArgumentLocation(attribute, "classes", 0, cancellationToken), "classes", classes.ToString(CultureInfo.InvariantCulture)));
                ok = false;
            }

            SoftmaxHeadModel? model = ok ? new SoftmaxHeadModel(target!, classes) : null;
            return new HeadResult<SoftmaxHeadModel>(model, diagnostics.ToImmutableEquatableArray());
        }
    }
}
