using System.Text.Json;

namespace EdgeLoss.Tests.Common;

/// <summary>
/// Golden fixtures: JSON files under Tests/Fixtures written by the committed reference scripts in tools/golden/
/// (PyTorch, float64). A fixture file is an object <c>{"generator": ..., "cases": [ {...}, ... ]}</c>; each case
/// holds named arrays and scalars. Non-finite numbers are written as the strings "inf", "-inf" and "nan".
/// </summary>
public static class Fixture
{
    /// <summary>Loads <c>Tests/Fixtures/{relativePath}</c> (copied next to the test assembly) and returns its cases.</summary>
    public static IReadOnlyList<JsonElement> Cases(string relativePath)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", relativePath);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>Cases as xunit theory data: one row per case, its "name" (or index) first for readable output.</summary>
    public static TheoryData<string, int> Names(string relativePath)
    {
        var data = new TheoryData<string, int>();
        var cases = Cases(relativePath);
        for (int i = 0; i < cases.Count; i++)
            data.Add(cases[i].TryGetProperty("name", out var n) ? n.GetString()! : $"case{i}", i);
        return data;
    }

    public static double Number(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => e.GetString() switch
        {
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            "nan" => double.NaN,
            var s => throw new FormatException($"not a number: {s}"),
        },
        _ => throw new FormatException($"not a number: {e}"),
    };

    /// <summary>A (possibly nested) numeric array, flattened row-major, as float.</summary>
    public static float[] Floats(this JsonElement e, string name) => Flatten(e.GetProperty(name)).Select(d => (float)d).ToArray();

    /// <summary>A (possibly nested) numeric array, flattened row-major, as double.</summary>
    public static double[] Doubles(this JsonElement e, string name) => Flatten(e.GetProperty(name)).ToArray();

    /// <summary>A (possibly nested) integer array, flattened.</summary>
    public static int[] Ints(this JsonElement e, string name) => Flatten(e.GetProperty(name)).Select(d => checked((int)d)).ToArray();

    public static double Scalar(this JsonElement e, string name) => Number(e.GetProperty(name));

    public static int Int(this JsonElement e, string name) => e.GetProperty(name).GetInt32();

    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static bool Has(this JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    private static IEnumerable<double> Flatten(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
                foreach (var d in Flatten(item))
                    yield return d;
        }
        else
        {
            yield return Number(e);
        }
    }
}
