using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using EdgeLoss.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EdgeLoss.Generators.Parsing
{
    /// <summary>Reads the class an attribute sits on into a <see cref="HeadTarget"/>, checking that it can be extended.</summary>
    internal static class TargetParser
    {
        /// <summary>
        /// Returns the target, or null (with diagnostics added) when the class is not <c>static partial</c> or an
        /// enclosing type is not <c>partial</c>.
        /// </summary>
        public static HeadTarget? Parse(INamedTypeSymbol type, ClassDeclarationSyntax syntax, string attributeName,
            Location? attributeLocation, string suffix, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            bool ok = true;
            if (!type.IsStatic || !syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NotStaticPartial, attributeLocation, type.Name, attributeName));
                ok = false;
            }

            var containing = new List<TypeDeclarationModel>();
            for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                bool partial = outer.DeclaringSyntaxReferences.All(r =>
                    r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ContainingTypeNotPartial, attributeLocation, outer.Name, type.Name));
                    ok = false;
                }
                containing.Insert(0, new TypeDeclarationModel(Keyword(outer), NameWithTypeParameters(outer)));
            }
            if (!ok) return null;

            string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
            string display = type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);
            return new HeadTarget(ns, containing.ToImmutableEquatableArray(), NameWithTypeParameters(type), display, HintName(type, suffix));
        }

        /// <summary>The location of the attribute, where every diagnostic of a head points.</summary>
        public static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
            attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();

        /// <summary>
        /// The location of one argument of the attribute: a named property (<c>M = 9</c>), or a constructor argument
        /// given by name (<c>classes: 1</c>) or by position. Falls back to the whole attribute.
        /// </summary>
        public static Location? ArgumentLocation(AttributeData attribute, string name, int position, CancellationToken cancellationToken)
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax)
                return null;
            if (syntax.ArgumentList is { } list)
            {
                int ordinal = 0;
                foreach (AttributeArgumentSyntax argument in list.Arguments)
                {
                    if (argument.NameEquals is { } equals)
                    {
                        if (equals.Name.Identifier.ValueText == name) return argument.GetLocation();
                        continue;
                    }
                    if (argument.NameColon is { } colon)
                    {
                        if (colon.Name.Identifier.ValueText == name) return argument.GetLocation();
                    }
                    else if (ordinal == position)
                    {
                        return argument.GetLocation();
                    }
                    ordinal++;
                }
            }
            return syntax.GetLocation();
        }

        private static string Keyword(INamedTypeSymbol type)
        {
            if (type.IsRecord) return type.TypeKind == TypeKind.Struct ? "partial record struct" : "partial record";
            return type.TypeKind switch
            {
                TypeKind.Struct => type.IsRefLikeType ? "ref partial struct" : "partial struct",
                TypeKind.Interface => "partial interface",
                _ => "partial class",
            };
        }

        private static string NameWithTypeParameters(INamedTypeSymbol type)
        {
            string name = Escape(type.Name);
            if (type.TypeParameters.Length == 0) return name;
            return name + "<" + string.Join(", ", type.TypeParameters.Select(p => Escape(p.Name))) + ">";
        }

        private static string Escape(string identifier) =>
            SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None ? "@" + identifier : identifier;

        private static string HintName(INamedTypeSymbol type, string suffix)
        {
            var parts = new List<string>();
            for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
                parts.Insert(0, t.MetadataName.Replace('`', '_'));
            if (type.ContainingNamespace is { IsGlobalNamespace: false } ns)
                parts.Insert(0, ns.ToDisplayString());
            var hint = new StringBuilder(string.Join(".", parts));
            return hint.Append('.').Append(suffix).Append(".g.cs").ToString();
        }
    }
}
