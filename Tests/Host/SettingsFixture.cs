using System.CommandLine;
using EdgeLoss.EdgeHost.Hosting;
using Microsoft.Extensions.Hosting;

namespace EdgeLoss.Tests.Host;

/// <summary>
/// Tests that read the process environment (EdgeLoss__... variables) or set it run in this collection, alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "process environment";
}

/// <summary>Sets environment variables for one test and restores them afterwards.</summary>
public sealed class EnvironmentScope : IDisposable
{
    private readonly List<(string Name, string? Old)> _saved = [];

    public EnvironmentScope(params (string Name, string Value)[] variables)
    {
        foreach (var (name, value) in variables)
        {
            _saved.Add((name, Environment.GetEnvironmentVariable(name)));
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, old) in _saved)
            Environment.SetEnvironmentVariable(name, old);
    }
}

public static class Serve
{
    /// <summary>Parses <c>edgehost serve ARGS</c> with the real command line and prepares the host from it.</summary>
    public static (HostApplicationBuilder Builder, EdgeHostSettings Settings) Prepare(string contentRoot, params string[] args)
    {
        var (command, parsed) = Parse(args);
        return command.Prepare(parsed, contentRoot);
    }

    public static (ServeCommand Command, ParseResult Parsed) Parse(params string[] args)
    {
        RootCommand root = EdgeHostCli.CreateRootCommand();
        ParseResult parsed = root.Parse(["serve", .. args]);
        Assert.Empty(parsed.Errors);
        return ((ServeCommand)parsed.CommandResult.Command, parsed);
    }

    /// <summary>The problems of settings that must be refused.</summary>
    public static string Refused(string contentRoot, params string[] args) =>
        Assert.Throws<InvalidSettingsException>(() => Prepare(contentRoot, args)).Message;
}
