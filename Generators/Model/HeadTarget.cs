namespace EdgeLoss.Generators.Model
{
    /// <summary>One enclosing type declaration, e.g. <c>partial class Outer&lt;T&gt;</c>, as text.</summary>
    /// <param name="Declaration">The keywords: <c>partial class</c>, <c>partial struct</c>, <c>ref partial struct</c>, <c>partial record</c>, ...</param>
    /// <param name="Name">The name with its type parameter list, escaped if it is a keyword.</param>
    internal sealed record TypeDeclarationModel(string Declaration, string Name);

    /// <summary>The class a head attribute sits on: where to emit the other half of the partial class.</summary>
    /// <param name="Namespace">The containing namespace, or null for the global namespace.</param>
    /// <param name="ContainingTypes">Enclosing types, outermost first.</param>
    /// <param name="Name">The class name with its type parameter list.</param>
    /// <param name="DisplayName">The fully qualified name for comments and messages, e.g. <c>Demo.Digits</c>.</param>
    /// <param name="HintName">The generated file's name, unique in the compilation.</param>
    internal sealed record HeadTarget(
        string? Namespace,
        ImmutableEquatableArray<TypeDeclarationModel> ContainingTypes,
        string Name,
        string DisplayName,
        string HintName);
}
