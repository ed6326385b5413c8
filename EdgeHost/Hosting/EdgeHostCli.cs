using System.CommandLine;
using System.CommandLine.Invocation;

namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>The <c>edgehost</c> command line: <c>serve</c>, <c>client</c>, <c>demo</c>.</summary>
public static class EdgeHostCli
{
    /// <summary>The root command with its subcommands.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("edgehost: EdgeLoss embedding comparison for microcontrollers and local programs, over a serial line or local sockets.")
        {
            new ServeCommand(),
            new ClientCommand(),
            new DemoCommand(),
        };
        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command. A command line that does not parse is reported on
    /// <paramref name="error"/> with exit code 2, like invalid settings.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        RootCommand root = CreateRootCommand();
        ParseResult parsed = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
            // The host's lifetime (console or systemd) handles SIGTERM and Ctrl-C and stops gracefully; a second
            // handler here would cancel the command's token and race it.
            ProcessTerminationTimeout = null,
        };
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var parseError in parsed.Errors)
                await configuration.Error.WriteLineAsync("edgehost: " + parseError.Message).ConfigureAwait(false);
            var names = new List<string>();
            for (Symbol? symbol = parsed.CommandResult.Command; symbol is not null; symbol = symbol.Parents.FirstOrDefault())
                names.Insert(0, symbol is RootCommand ? "edgehost" : symbol.Name);
            string command = string.Join(' ', names);
            await configuration.Error.WriteLineAsync($"Run '{command} --help' for usage.").ConfigureAwait(false);
            return ServeCommand.ExitInvalidSettings;
        }
        return await parsed.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
