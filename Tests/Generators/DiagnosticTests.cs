using Microsoft.CodeAnalysis;

namespace EdgeLoss.Tests.Generators;

/// <summary>Every compile-time diagnostic of the generator: its id, severity, the exact span it points at, and its message.</summary>
public class DiagnosticTests
{
    /// <summary>
    /// Runs the generator on <paramref name="declaration"/> and expects exactly one diagnostic, located on the first
    /// occurrence of <paramref name="span"/> in the source (the attribute, or its offending argument).
    /// </summary>
    private static GeneratorRunResult Expect(string declaration, string id, string span, string message, DiagnosticSeverity severity = DiagnosticSeverity.Error)
    {
        string source = "using EdgeLoss;\nnamespace Demo;\n" + declaration + "\n";
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(severity, d.Severity);
        Assert.Equal(message, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        int start = source.IndexOf(span, StringComparison.Ordinal);
        Assert.True(start >= 0, $"'{span}' is not in the source");
        Assert.Equal(start, d.Location.SourceSpan.Start);
        Assert.Equal(span.Length, d.Location.SourceSpan.Length);
        FileLinePositionSpan lines = d.Location.GetLineSpan();
        Assert.Equal("Source0.cs", lines.Path);
        Assert.Equal(2, lines.StartLinePosition.Line); // the declaration's line (0-based)
        return result;
    }

    [Fact]
    public void EL0001_class_not_static_partial()
    {
        Expect("[SoftmaxHead(10)] public partial class Digits { }", "EL0001", "SoftmaxHead(10)",
            "The class 'Digits' marked with [SoftmaxHead] must be declared 'static partial' so that the generated members can be added to it");
        Expect("[SoftmaxHead(10)] public static class Digits { }", "EL0001", "SoftmaxHead(10)",
            "The class 'Digits' marked with [SoftmaxHead] must be declared 'static partial' so that the generated members can be added to it");
        var result = Expect("[MarginHead(MarginKind.ArcFace, 10, 3)] public class Face { }", "EL0001", "MarginHead(MarginKind.ArcFace, 10, 3)",
            "The class 'Face' marked with [MarginHead] must be declared 'static partial' so that the generated members can be added to it");
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void EL0002_nested_in_a_non_partial_type()
    {
        var result = Expect("public class Outer { [SoftmaxHead(10)] public static partial class Digits { } }", "EL0002", "SoftmaxHead(10)",
            "The type 'Outer' contains the head class 'Digits' and must be declared 'partial' so that the generated members can be nested in it");
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void EL0003_fewer_than_two_classes()
    {
        Expect("[SoftmaxHead(1)] public static partial class H { }", "EL0003", "1",
            "classes = 1 is less than 2: a softmax over fewer than 2 classes is constant");
        Expect("[MarginHead(MarginKind.CosFace, classes: -4, dim: 3)] public static partial class H { }", "EL0003", "classes: -4",
            "classes = -4 is less than 2: a softmax over fewer than 2 classes is constant");
    }

    [Fact]
    public void EL0004_dim_below_one()
    {
        var result = Expect("[MarginHead(MarginKind.NormFace, 10, dim: 0)] public static partial class H { }", "EL0004", "dim: 0",
            "dim = 0 is less than 1: the embedding must have at least one element");
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void EL0005_absurd_sizes()
    {
        Expect("[SoftmaxHead(20000000)] public static partial class H { }", "EL0005", "20000000",
            "classes = 20000000 exceeds 16777216: code specialized for a head this large would be absurd; use the Runtime's run-time sized functions (EdgeLoss.Functional, EdgeLoss.MarginHeads) instead");
        Expect("[MarginHead(MarginKind.ArcFace, 100000, 512)] public static partial class H { }", "EL0005", "MarginHead(MarginKind.ArcFace, 100000, 512)",
            "classes * dim = 51200000 exceeds 16777216: code specialized for a head this large would be absurd; use the Runtime's run-time sized functions (EdgeLoss.Functional, EdgeLoss.MarginHeads) instead");
    }

    [Theory]
    [InlineData("SphereFace", 9)]
    [InlineData("LSoftmax", 0)]
    public void EL0006_m_outside_1_to_8(string kind, int m)
    {
        Expect($"[MarginHead(MarginKind.{kind}, 10, 3, M = {m})] public static partial class H {{ }}", "EL0006", $"M = {m}",
            $"M = {m} is outside 1..8: the angular margin m of {kind} is the degree of the Chebyshev polynomial T_m, supported up to 8");
    }

    [Theory]
    [InlineData("0f", "0")]
    [InlineData("-1f", "-1")]
    [InlineData("float.NaN", "NaN")]
    [InlineData("float.PositiveInfinity", "Infinity")]
    public void EL0007_scale_not_finite_and_positive(string scale, string shown)
    {
        Expect($"[MarginHead(MarginKind.ArcFace, 10, 3, Scale = {scale})] public static partial class H {{ }}", "EL0007", $"Scale = {scale}",
            $"Scale = {shown} must be finite and > 0 (insightface uses 64, AM-Softmax 30)");
    }

    [Theory]
    [InlineData("1.6f", "1.6")]
    [InlineData("-0.1f", "-0.1")]
    [InlineData("1.5707964f", "1.5707964")] // (float)(pi / 2) itself is out: [0, pi/2)
    public void EL0008_arcface_margin_outside_0_to_half_pi(string margin, string shown)
    {
        Expect($"[MarginHead(MarginKind.ArcFace, 10, 3, Margin = {margin})] public static partial class H {{ }}", "EL0008", $"Margin = {margin}",
            $"ArcFace Margin = {shown} is outside [0, pi/2): the angular margin is in radians (insightface uses 0.5)");
    }

    [Theory]
    [InlineData("1.5f", "1.5")]
    [InlineData("-0.01f", "-0.01")]
    public void EL0009_cosface_margin_outside_0_to_1(string margin, string shown)
    {
        Expect($"[MarginHead(MarginKind.CosFace, 10, 3, Margin = {margin})] public static partial class H {{ }}", "EL0009", $"Margin = {margin}",
            $"CosFace Margin = {shown} is outside [0, 1]: the margin is subtracted from a cosine (AM-Softmax uses 0.35)");
    }

    [Theory]
    [InlineData("ArcFace", "M = 2", "M", "LSoftmax and SphereFace")]
    [InlineData("SphereFace", "Scale = 30f", "Scale", "NormFace, CosFace, ArcFace and Combined")]
    [InlineData("NormFace", "Margin = 0.2f", "Margin", "CosFace and ArcFace")]
    [InlineData("CosFace", "M3 = 0.2f", "M3", "Combined")]
    [InlineData("Combined", "EasyMargin = true", "EasyMargin", "ArcFace")]
    public void EL0010_property_that_does_not_apply_is_a_warning_and_the_head_is_still_generated(string kind, string argument, string property, string usedBy)
    {
        var result = Expect($"[MarginHead(MarginKind.{kind}, 10, 3, {argument})] public static partial class H {{ }}", "EL0010", argument,
            $"{property} does not apply to MarginKind.{kind} and is ignored; it is used by {usedBy}", DiagnosticSeverity.Warning);
        Assert.Single(result.GeneratedSources);
    }

    [Fact]
    public void EL0010_an_ignored_property_does_not_change_the_generated_code()
    {
        string Generated(string extra) => GeneratorHarness.Run($"using EdgeLoss;\nnamespace Demo;\n[MarginHead(MarginKind.ArcFace, 10, 3{extra})] public static partial class H {{ }}\n")
            .Result.GeneratedSources.Single().SourceText.ToString();
        Assert.Equal(Generated(""), Generated(", M = 3"));
        Assert.NotEqual(Generated(""), Generated(", Margin = 0.4f"));
    }

    [Theory]
    [InlineData("M2 = float.NaN", "M2 = NaN must be finite")]
    [InlineData("M3 = float.NegativeInfinity", "M3 = -Infinity must be finite")]
    [InlineData("M1 = 0f", "M1 = 0 must be finite and > 0")]
    [InlineData("M1 = -1f", "M1 = -1 must be finite and > 0")]
    public void EL0011_combined_margin_out_of_range(string argument, string message)
    {
        Expect($"[MarginHead(MarginKind.Combined, 10, 3, {argument})] public static partial class H {{ }}", "EL0011", argument, message);
    }

    [Fact]
    public void EL0012_undefined_kind()
    {
        Expect("[MarginHead((MarginKind)42, 10, 3)] public static partial class H { }", "EL0012", "(MarginKind)42",
            "(42)MarginKind is not one of Softmax, LSoftmax, SphereFace, NormFace, CosFace, ArcFace, Combined");
    }

    [Fact]
    public void EL0013_two_heads_on_one_class()
    {
        var result = Expect("[SoftmaxHead(10)] [MarginHead(MarginKind.NormFace, 10, 3)] public static partial class H { }", "EL0013",
            "MarginHead(MarginKind.NormFace, 10, 3)",
            "The class 'H' carries both [SoftmaxHead] and [MarginHead]; their members would collide: put each head on its own class");
        Assert.Single(result.GeneratedSources); // the softmax head
    }

    [Fact]
    public void A_head_in_the_global_namespace_compiles()
    {
        var (result, compiled) = GeneratorHarness.Run("using EdgeLoss;\n[SoftmaxHead(2)] public static partial class Pair { }\n[MarginHead(MarginKind.NormFace, 2, 1)] static partial class Tiny { }\n");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(compiled);
        Assert.Equal(new[] { "Pair.SoftmaxHead.g.cs", "Tiny.MarginHead.g.cs" }, result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Valid_heads_have_no_diagnostics_and_compile_cleanly()
    {
        var (result, compiled) = GeneratorHarness.Run("""
            using System;
            using EdgeLoss;
            namespace Demo;
            [SoftmaxHead(10)] public static partial class Digits { }
            [MarginHead(MarginKind.ArcFace, classes: 100, dim: 128, Scale = 64f, Margin = 0.5f)] public static partial class FaceHead { }
            [MarginHead(MarginKind.SphereFace, classes: 10, dim: 3, M = 4)] public static partial class SphereHead { }
            public partial class Outer<T> { public static partial class Inner<U> { [SoftmaxHead(3)] public static partial class Head { } } }
            public static class Use
            {
                public static float Run(float[] x, float[] w, float[] g, float[] gw, float[] p)
                {
                    Digits.Softmax(p.AsSpan(0, Digits.Classes), p.AsSpan(0, Digits.Classes));
                    SphereHead.Loss(x.AsSpan(0, 3), w.AsSpan(0, 30), 1, g.AsSpan(0, 3), gw.AsSpan(0, 30), 5f);
                    return FaceHead.Loss(x, w, 3, g, gw) + Outer<int>.Inner<string>.Head.LogSumExp(p.AsSpan(0, 3));
                }
            }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(compiled);
        Assert.Equal(
            new[] { "Demo.Digits.SoftmaxHead.g.cs", "Demo.FaceHead.MarginHead.g.cs", "Demo.Outer_1.Inner_1.Head.SoftmaxHead.g.cs", "Demo.SphereHead.MarginHead.g.cs" },
            result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
    }
}
