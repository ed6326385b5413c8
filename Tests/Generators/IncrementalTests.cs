extern alias Generators;

using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TrackingNames = Generators::EdgeLoss.Generators.HeadGenerator.TrackingNames;

namespace EdgeLoss.Tests.Generators;

/// <summary>The pipeline's caching: an unrelated edit re-emits nothing, and the models hold no compilation objects.</summary>
public class IncrementalTests
{
    private const string Heads = """
        using EdgeLoss;
        namespace Demo;
        [SoftmaxHead(10)] public static partial class Digits { }
        [MarginHead(MarginKind.ArcFace, classes: 100, dim: 128)] public static partial class FaceHead { }
        [MarginHead(MarginKind.Combined, 10, 3, M = 2)] public static partial class WithWarning { }
        """;

    private static readonly string[] Steps = { TrackingNames.SoftmaxHead, TrackingNames.MarginHead };

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached()
    {
        CSharpCompilation first = GeneratorHarness.Compilation(Heads);
        GeneratorDriver driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(first);
        GeneratorRunResult run1 = driver.GetRunResult().Results.Single();
        Assert.Equal(3, run1.GeneratedSources.Length);
        Assert.Single(run1.Diagnostics); // EL0010 on WithWarning, carried as data and reported again below

        // Another file, and an edit of the file with the heads that does not touch them.
        CSharpCompilation second = first
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Demo; public static class Unrelated { public static int Answer => 42; }", GeneratorHarness.ParseOptions, path: "Other.cs"));
        SyntaxTree headsTree = second.SyntaxTrees.First();
        second = second.ReplaceSyntaxTree(headsTree, headsTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Heads + "\n// a comment\n")));
        driver = driver.RunGenerators(second);
        GeneratorRunResult run2 = driver.GetRunResult().Results.Single();

        foreach (string step in Steps)
        {
            var outputs = run2.TrackedSteps[step].SelectMany(s => s.Outputs).ToArray();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"{step}: {o.Reason}"));
        }
        Assert.All(run2.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Equal(run1.GeneratedSources.Select(s => s.SourceText.ToString()), run2.GeneratedSources.Select(s => s.SourceText.ToString()));
        Assert.Single(run2.Diagnostics);
    }

    [Fact]
    public void Changing_an_attribute_re_emits_that_head_only()
    {
        CSharpCompilation first = GeneratorHarness.Compilation(Heads);
        GeneratorDriver driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(first);
        SyntaxTree tree = first.SyntaxTrees.Single();
        CSharpCompilation second = first.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Heads.Replace("SoftmaxHead(10)", "SoftmaxHead(11)"))));
        GeneratorRunResult run = driver.RunGenerators(second).GetRunResult().Results.Single();

        var softmax = run.TrackedSteps[TrackingNames.SoftmaxHead].SelectMany(s => s.Outputs).ToArray();
        Assert.Contains(softmax, o => o.Reason == IncrementalStepRunReason.Modified);
        var margin = run.TrackedSteps[TrackingNames.MarginHead].SelectMany(s => s.Outputs).ToArray();
        Assert.All(margin, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"margin: {o.Reason}"));
        Assert.Contains(run.GeneratedSources, s => s.SourceText.ToString().Contains("public const int Classes = 11;", StringComparison.Ordinal));
    }

    [Fact]
    public void Pipeline_models_hold_no_symbols_syntax_or_compilation()
    {
        GeneratorRunResult run = GeneratorHarness.Driver(trackSteps: true).RunGenerators(GeneratorHarness.Compilation(Heads)).GetRunResult().Results.Single();
        foreach (string step in Steps)
            foreach (var (value, _) in run.TrackedSteps[step].SelectMany(s => s.Outputs))
                AssertNoCompilationObjects(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private static void AssertNoCompilationObjects(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value)) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or SyntaxTree or Location && value is not Location { Kind: LocationKind.None },
            $"{path} holds a {value.GetType().Name}");
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (object? item in items) AssertNoCompilationObjects(item, $"{path}[{i++}]", seen);
            if (value is Array) return;
        }
        if (value.GetType().Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true) return; // descriptors, spans
        foreach (FieldInfo field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            AssertNoCompilationObjects(field.GetValue(value), $"{path}.{field.Name}", seen);
    }
}
