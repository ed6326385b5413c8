using System.Diagnostics;
using System.Text;
using EdgeLoss.Tests.Host;

namespace EdgeLoss.Tests.EndToEnd;

/// <summary>
/// One edgehost process (or any child process): its stdout and stderr collected line by line, waits on what it
/// logs, SIGTERM, and a kill on dispose so that no test leaves a child behind.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly StringBuilder _stdout = new(), _stderr = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process) => _process = process;

    /// <summary>Starts <paramref name="command"/> followed by <paramref name="args"/>.</summary>
    public static ChildProcess Start(IEnumerable<string> command, params string[] args)
    {
        string[] all = [.. command, .. args];
        var start = new ProcessStartInfo(all[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (string arg in all.AsSpan(1))
            start.ArgumentList.Add(arg);
        // Settings must come from the command line of the test only: drop what the runner's environment could add
        // (EdgeLoss__*, Logging__* levels that would hide the lines waited for, systemd's notify socket).
        foreach (string name in start.Environment.Keys.ToArray())
            if (name.StartsWith("EdgeLoss__", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
                || name is "NOTIFY_SOCKET" or "DOTNET_ENVIRONMENT" or "ASPNETCORE_ENVIRONMENT")
                start.Environment.Remove(name);

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, e.Data, child._stdoutClosed);
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, e.Data, child._stderrClosed);
        if (!process.Start())
            throw new InvalidOperationException($"{all[0]} did not start");
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a command to its end and returns its exit code and output.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(IEnumerable<string> command, TimeSpan timeout, params string[] args)
    {
        using ChildProcess child = Start(command, args);
        int exit = await child.WaitForExitAsync(timeout);
        return (exit, child.StandardOutput, child.StandardError);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>What it wrote to stdout so far (the console log of edgehost serve).</summary>
    public string StandardOutput { get { lock (_gate) return _stdout.ToString(); } }

    public string StandardError { get { lock (_gate) return _stderr.ToString(); } }

    /// <summary>
    /// Completes when a line containing <paramref name="text"/> appears on stdout or stderr; fails when the process
    /// ends first or after <paramref name="timeout"/>, with what it wrote.
    /// </summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        TaskCompletionSource seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_stdout.ToString().Contains(text, StringComparison.Ordinal) || _stderr.ToString().Contains(text, StringComparison.Ordinal))
                return;
            _waiters.Add((text, seen));
        }
        Task exited = _process.WaitForExitAsync();
        Task first = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout));
        if (first == seen.Task)
            return;
        if (first == exited)
        {
            // The process may have written the line just before it ended.
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(Net.Patience);
            if (seen.Task.IsCompleted)
                return;
            throw new InvalidOperationException($"the process ended (exit {_process.ExitCode}) before it wrote \"{text}\"\n{Describe()}");
        }
        throw new TimeoutException($"no \"{text}\" from the process within {timeout.TotalSeconds:0} s\n{Describe()}");
    }

    /// <summary>Waits for the end of the process and of its output; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the process did not end within {timeout.TotalSeconds:0} s\n{Describe()}");
        }
        await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(Net.Patience);
        return _process.ExitCode;
    }

    /// <summary>Stops it with SIGTERM, as systemd does, and returns its exit code.</summary>
    public Task<int> TerminateAsync(TimeSpan timeout)
    {
        Posix.Terminate(_process.Id);
        return WaitForExitAsync(timeout);
    }

    /// <summary>What the process wrote, for failure messages.</summary>
    public string Describe() => $"--- stdout ---\n{StandardOutput}--- stderr ---\n{StandardError}";

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(Net.Patience);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Append(StringBuilder into, string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }
        lock (_gate)
        {
            into.Append(line).Append('\n');
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (line.Contains(_waiters[i].Text, StringComparison.Ordinal))
                {
                    _waiters[i].Seen.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
