extern alias Generators;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using HeadGenerator = Generators::EdgeLoss.Generators.HeadGenerator;

namespace EdgeLoss.Tests.Generators;

/// <summary>Runs the head generator in memory on source text, as the compiler would (CSharpGeneratorDriver).</summary>
public static class GeneratorHarness
{
    /// <summary>Latest C#, with documentation comments checked (CS1591, bad crefs) as in a project that generates XML docs.</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    /// <summary>The framework (the test host's trusted platform assemblies) and EdgeLoss.Runtime, for the attributes.</summary>
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(NonFiniteInputException).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray());

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create(
            "HeadsUnderTest",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            new[] { new HeadGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>The generator's result for <paramref name="source"/>, and the diagnostics of compiling source plus output.</summary>
    public static (GeneratorRunResult Result, ImmutableArray<Diagnostic> CompileDiagnostics) Run(string source)
    {
        CSharpCompilation input = Compilation(source);
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        // Warnings and errors, except the test sources' own missing doc comments (the generated code must have all of its own).
        ImmutableArray<Diagnostic> compiled = output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Where(d => !(d.Id == "CS1591" && d.Location.SourceTree?.FilePath.StartsWith("Source", StringComparison.Ordinal) == true))
            .ToImmutableArray();
        return (result, compiled);
    }
}
