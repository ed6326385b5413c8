using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using EdgeLoss.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EdgeLoss.Generators.Parsing
{
    /// <summary>
    /// The first pipeline step for <c>[MarginHead(kind, classes, dim, ...)]</c>: checks every value against its kind and
    /// produces a model with the kind's defaults applied and the parameters that do not apply neutralized (so that
    /// setting an ignored property does not change the model).
    /// </summary>
    internal static class MarginHeadParser
    {
        public const string AttributeName = "EdgeLoss.MarginHeadAttribute";

        /// <summary>Default margins of the kinds that have one: ArcFace's is insightface's, CosFace's AM-Softmax's.</summary>
        public const float DefaultArcFaceMargin = 0.5f, DefaultCosFaceMargin = 0.35f;

        private const int DefaultM = 4;
        private const float DefaultScale = 64f;

        public static HeadResult<MarginHeadModel> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var type = (INamedTypeSymbol)context.TargetSymbol;
            AttributeData attribute = context.Attributes[0];
            Location? at = TargetParser.AttributeLocation(attribute, cancellationToken);

            HeadTarget? target = TargetParser.Parse(type, (ClassDeclarationSyntax)context.TargetNode, "MarginHead", at, "MarginHead", diagnostics, cancellationToken);
            bool ok = target is not null;

            if (type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == SoftmaxHeadParser.AttributeName))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TwoHeads, at, type.Name));
                ok = false;
            }

            var args = attribute.ConstructorArguments;
            if (args.Length != 3 || args[0].Value is not int kindValue || args[1].Value is not int classes || args[2].Value is not int dim)
                return new HeadResult<MarginHeadModel>(null, diagnostics.ToImmutableEquatableArray());

            Location? Arg(string name, int position = -1) => TargetParser.ArgumentLocation(attribute, name, position, cancellationToken);

            if (!Enum.IsDefined(typeof(MarginKind), kindValue))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnknownKind, Arg("kind", 0), Text(kindValue)));
                return new HeadResult<MarginHeadModel>(null, diagnostics.ToImmutableEquatableArray());
            }
            var kind = (MarginKind)kindValue;

            if (classes < 2)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooFewClasses, Arg("classes", 1), Text(classes)));
                ok = false;
            }
            if (dim < 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DimTooSmall, Arg("dim", 2), Text(dim)));
                ok = false;
            }
            if (classes >= 2 && dim >= 1 && (long)classes * dim > SoftmaxHeadParser.MaxElements)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooLarge, at, "classes * dim", Text((long)classes * dim)));
                ok = false;
            }

            // Named properties: what was set, where, and whether it applies to this kind.
            int m = DefaultM;
            float scale = DefaultScale, m1 = 1f, m2 = 0f, m3 = 0f;
            float? margin = null;
            bool easy = false;
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                string name = named.Key;
                object? value = named.Value.Value;
                string? usedBy = UsedBy(name);
                if (usedBy is null) continue;
                if (!Applies(name, kind))
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.PropertyDoesNotApply, Arg(name), name, kind.ToString(), usedBy));
                    continue;
                }
                switch (name)
                {
                    case "M" when value is int v: m = v; break;
                    case "Scale" when value is float v: scale = v; break;
                    case "Margin" when value is float v: margin = v; break;
                    case "M1" when value is float v: m1 = v; break;
                    case "M2" when value is float v: m2 = v; break;
                    case "M3" when value is float v: m3 = v; break;
                    case "EasyMargin" when value is bool v: easy = v; break;
                }
            }

            if (Applies("M", kind) && (m < Chebyshev.MinM || m > Chebyshev.MaxM))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MOutOfRange, Arg("M"), Text(m), kind.ToString()));
                ok = false;
            }
            if (Applies("Scale", kind) && !(scale > 0f && !float.IsInfinity(scale)))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ScaleInvalid, Arg("Scale"), Text(scale)));
                ok = false;
            }
            float marginValue = 0f;
            if (kind == MarginKind.ArcFace)
            {
                marginValue = margin ?? DefaultArcFaceMargin;
                if (!(marginValue >= 0f && marginValue < Math.PI / 2))
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ArcFaceMarginOutOfRange, Arg("Margin"), Text(marginValue)));
                    ok = false;
                }
            }
            else if (kind == MarginKind.CosFace)
            {
                marginValue = margin ?? DefaultCosFaceMargin;
                if (!(marginValue >= 0f && marginValue <= 1f))
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.CosFaceMarginOutOfRange, Arg("Margin"), Text(marginValue)));
                    ok = false;
                }
            }
            if (kind == MarginKind.Combined)
            {
                // The same limits as the Runtime's MarginHeadOptions: m1 multiplies the angle and must be > 0.
                foreach (var (name, v, positive) in new[] { ("M1", m1, true), ("M2", m2, false), ("M3", m3, false) })
                {
                    if (float.IsNaN(v) || float.IsInfinity(v) || (positive && !(v > 0f)))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ParameterNotFinite, Arg(name), name, Text(v), positive ? "finite and > 0" : "finite"));
                        ok = false;
                    }
                }
            }

            if (!ok)
                return new HeadResult<MarginHeadModel>(null, diagnostics.ToImmutableEquatableArray());

            var model = new MarginHeadModel(
                target!, kind, classes, dim,
                M: Applies("M", kind) ? m : 0,
                Scale: Applies("Scale", kind) ? scale : 0f,
                Margin: marginValue,
                M1: kind == MarginKind.Combined ? m1 : 0f,
                M2: kind == MarginKind.Combined ? m2 : 0f,
                M3: kind == MarginKind.Combined ? m3 : 0f,
                EasyMargin: kind == MarginKind.ArcFace && easy);
            return new HeadResult<MarginHeadModel>(model, diagnostics.ToImmutableEquatableArray());
        }

        /// <summary>Which kinds use a property, for the EL0010 message; null for a name that is not a head parameter.</summary>
        private static string? UsedBy(string property) => property switch
        {
            "M" => "LSoftmax and SphereFace",
            "Scale" => "NormFace, CosFace, ArcFace and Combined",
            "Margin" => "CosFace and ArcFace",
            "M1" or "M2" or "M3" => "Combined",
            "EasyMargin" => "ArcFace",
            _ => null,
        };

        private static bool Applies(string property, MarginKind kind) => property switch
        {
            "M" => kind is MarginKind.LSoftmax or MarginKind.SphereFace,
            "Scale" => kind is MarginKind.NormFace or MarginKind.CosFace or MarginKind.ArcFace or MarginKind.Combined,
            "Margin" => kind is MarginKind.CosFace or MarginKind.ArcFace,
            "M1" or "M2" or "M3" => kind == MarginKind.Combined,
            "EasyMargin" => kind == MarginKind.ArcFace,
            _ => false,
        };

        private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

        private static string Text(float value) => Emit.Literals.Number(value);
    }
}
