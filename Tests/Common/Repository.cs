namespace EdgeLoss.Tests;

/// <summary>
/// The checkout the tests run from, found by walking up from the test binary to EdgeLoss.sln. Not [CallerFilePath]:
/// a ContinuousIntegrationBuild (CI=true) maps source paths to /_/, so compile-time paths do not exist at run time.
/// </summary>
public static class Repository
{
    public static string Root { get; } = Find();

    /// <summary>A path under the repository root.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "EdgeLoss.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no EdgeLoss.sln above {AppContext.BaseDirectory}");
    }
}
