using System.Globalization;
using System.Text;
using EdgeLoss.Tests.Margins;

// Trains the three heads of Tests/Margins/MarginFeatureDemo.cs (the run the test suite checks), prints the measured
// angles and draws the learned 2-D features into docs/margin-features.svg.
// Run from anywhere inside the repository: dotnet run -c Release --project tools/margin-demo

var results = MarginFeatureDemo.Heads.Select(h => MarginFeatureDemo.Train(h.Name, h.Head)).ToList();
var inv = CultureInfo.InvariantCulture;
static double Deg(double radians) => radians * 180 / Math.PI;
foreach (var r in results)
    Console.WriteLine(string.Create(inv,
        $"{r.Name}: train intra {Deg(r.Train.Intra):F2} deg, inter {Deg(r.Train.Inter):F2} deg, ratio {r.Train.Ratio:F3}; " +
        $"held-out intra {Deg(r.Test.Intra):F2} deg, inter {Deg(r.Test.Inter):F2} deg, ratio {r.Test.Ratio:F3}, accuracy {r.TestAccuracy:P1}"));

// The published SphereFace floor (lambda >= 5), for the docs' comparison.
var floor5 = new EdgeLoss.LambdaSchedule(1000f, 10f, 1f, 5f);
var published = MarginFeatureDemo.Train("SphereFace (lambda floor 5)", i => EdgeLoss.MarginHeadOptions.SphereFace(4, floor5.At(i)));
Console.WriteLine(string.Create(inv, $"{published.Name}: train ratio {published.Train.Ratio:F3}, held-out ratio {published.Test.Ratio:F3}"));

string root = Directory.GetCurrentDirectory();
while (!File.Exists(Path.Combine(root, "EdgeLoss.sln")))
    root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("run inside the repository");
string path = Path.Combine(root, "docs", "margin-features.svg");
Directory.CreateDirectory(Path.GetDirectoryName(path)!);
File.WriteAllText(path, Svg(results));
Console.WriteLine($"wrote {Path.GetRelativePath(root, path)}");

static string Svg(IReadOnlyList<MarginFeatureDemo.Result> results)
{
    const int panel = 320, pad = 20, top = 56, bottom = 52;
    string[] colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
    var inv = CultureInfo.InvariantCulture;
    var sb = new StringBuilder();
    int width = results.Count * (panel + pad) + pad, height = top + panel + bottom;
    sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">\n");
    sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    sb.Append(inv, $"<text x=\"{width / 2}\" y=\"18\" font-size=\"14\" text-anchor=\"middle\">2-D features of {MarginFeatureDemo.Samples} training samples, {MarginFeatureDemo.Classes} classes, same network, data and SGD (EdgeLoss tools/margin-demo)</text>\n");
    for (int p = 0; p < results.Count; p++)
    {
        var r = results[p];
        double cx = pad + p * (panel + pad) + panel / 2.0, cy = top + panel / 2.0;
        double ring = panel / 2.0 - 8, inner = ring - 22;                  // directions on the ring, raw features inside
        double maxNorm = 0;
        for (int n = 0; n < r.Labels.Length; n++)
            maxNorm = Math.Max(maxNorm, Math.Sqrt(r.Features[2 * n] * r.Features[2 * n] + r.Features[2 * n + 1] * r.Features[2 * n + 1]));
        double scale = inner / maxNorm;
        sb.Append(inv, $"<text x=\"{cx}\" y=\"{top - 22}\" font-size=\"13\" text-anchor=\"middle\" font-weight=\"bold\">{r.Name}</text>\n");
        sb.Append(inv, $"<text x=\"{cx}\" y=\"{top - 6}\" font-size=\"12\" text-anchor=\"middle\">intra / inter angle = {r.Train.Ratio:F3} ({r.Train.Intra * 180 / Math.PI:F1}° / {r.Train.Inter * 180 / Math.PI:F1}°)</text>\n");
        sb.Append(inv, $"<circle cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"{ring:F1}\" fill=\"none\" stroke=\"#ccc\"/>\n");
        sb.Append(inv, $"<line x1=\"{cx - inner:F1}\" y1=\"{cy:F1}\" x2=\"{cx + inner:F1}\" y2=\"{cy:F1}\" stroke=\"#eee\"/><line x1=\"{cx:F1}\" y1=\"{cy - inner:F1}\" x2=\"{cx:F1}\" y2=\"{cy + inner:F1}\" stroke=\"#eee\"/>\n");
        for (int c = 0; c < MarginFeatureDemo.Classes; c++)
        {
            double wx = r.Weights[2 * c], wy = r.Weights[2 * c + 1], wn = Math.Sqrt(wx * wx + wy * wy);
            sb.Append(inv, $"<line x1=\"{cx:F1}\" y1=\"{cy:F1}\" x2=\"{cx + ring * wx / wn:F1}\" y2=\"{cy - ring * wy / wn:F1}\" stroke=\"{colors[c]}\" stroke-opacity=\"0.5\" stroke-dasharray=\"3 3\"/>\n");
        }
        for (int n = 0; n < r.Labels.Length; n++)
        {
            double fx = r.Features[2 * n], fy = r.Features[2 * n + 1], fn = Math.Sqrt(fx * fx + fy * fy);
            string color = colors[r.Labels[n]];
            sb.Append(inv, $"<circle cx=\"{cx + scale * fx:F1}\" cy=\"{cy - scale * fy:F1}\" r=\"2.2\" fill=\"{color}\" fill-opacity=\"0.8\"/>");
            sb.Append(inv, $"<line x1=\"{cx + (ring - 5) * fx / fn:F1}\" y1=\"{cy - (ring - 5) * fy / fn:F1}\" x2=\"{cx + (ring + 5) * fx / fn:F1}\" y2=\"{cy - (ring + 5) * fy / fn:F1}\" stroke=\"{color}\" stroke-width=\"1.2\"/>\n");
        }
    }
    sb.Append(inv, $"<text x=\"{width / 2}\" y=\"{height - 28}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">Dots: the features, scaled to the panel. Ticks on the ring: their directions. Dashed: the class weight directions.</text>\n");
    sb.Append(inv, $"<text x=\"{width / 2}\" y=\"{height - 12}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">Ratio: mean angle between a feature and its class direction / mean angle between a class and its nearest neighbour class.</text>\n");
    sb.Append("</svg>\n");
    return sb.ToString();
}
