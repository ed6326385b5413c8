using System.Text.Json;
using EdgeLoss.Tests.Common;

namespace EdgeLoss.Tests.Margins;

/// <summary>The golden cases of tools/golden/margins.py (PyTorch float64 autograd), one JSON file per kind.</summary>
internal static class MarginFixtures
{
    public static readonly string[] Files = ["softmax", "lsoftmax", "sphereface", "normface", "cosface", "arcface", "combined"];

    /// <summary>Theory rows (file, case name, index) over every case of every file.</summary>
    public static TheoryData<string, string, int> All()
    {
        var data = new TheoryData<string, string, int>();
        foreach (string file in Files)
        {
            var cases = Fixture.Cases($"Margins/{file}.json");
            for (int i = 0; i < cases.Count; i++)
                data.Add(file, cases[i].Str("name"), i);
        }
        return data;
    }

    public static JsonElement Case(string file, int index) => Fixture.Cases($"Margins/{file}.json")[index];

    /// <summary>The head of a case, with its parameters exactly as the float32 code sees them.</summary>
    public static MarginHeadOptions Head(JsonElement c) => new()
    {
        Kind = Enum.Parse<MarginKind>(c.Str("kind")),
        M = c.Int("m"),
        Scale = (float)c.Scalar("scale"),
        Margin = (float)c.Scalar("margin"),
        M1 = (float)c.Scalar("m1"),
        M2 = (float)c.Scalar("m2"),
        M3 = (float)c.Scalar("m3"),
        Lambda = (float)c.Scalar("lambda"),
        EasyMargin = c.GetProperty("easy_margin").GetBoolean(),
    };
}
