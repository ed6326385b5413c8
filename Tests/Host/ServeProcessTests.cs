using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace EdgeLoss.Tests.Host;

/// <summary><c>edgehost serve</c> as its own process, the way systemd runs it (tools/edgehost.service).</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class ServeProcessTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Under_systemd_it_notifies_ready_logs_what_it_serves_and_stops_cleanly_on_SIGTERM()
    {
        // systemd's notify socket, where Type=notify services say READY=1 and STOPPING=1.
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(_dir.File("notify")));

        // The hosting library knows it runs under systemd when its parent process is called "systemd": a shell
        // started under that name is the parent here. It prints the child's pid, then waits for it.
        File.CreateSymbolicLink(_dir.File("systemd"), "/bin/sh");
        string gallery = _dir.File("gallery.elg"), socket = _dir.File("edgehost.sock");
        var start = new ProcessStartInfo(_dir.File("systemd"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        string[] edgehost = Environment.ProcessPath is { } muxer && Path.GetFileName(muxer) == "dotnet"
            ? [muxer, Path.Combine(AppContext.BaseDirectory, "edgehost.dll")]
            : [Path.Combine(AppContext.BaseDirectory, "edgehost")];
        foreach (string arg in (string[])["-c", "\"$@\" & echo \"pid $!\"; wait $!", "sh", .. edgehost,
                     "serve", "--gallery", gallery, "--dim", "4", "--listen", "unix:" + socket])
            start.ArgumentList.Add(arg);
        start.Environment["NOTIFY_SOCKET"] = _dir.File("notify");

        using Process shell = Process.Start(start)!;
        try
        {
            string first = await shell.StandardOutput.ReadLineAsync().WaitAsync(Net.Patience) ?? "";
            Assert.StartsWith("pid ", first);
            int pid = int.Parse(first[4..], System.Globalization.CultureInfo.InvariantCulture);
            Task<string> output = shell.StandardOutput.ReadToEndAsync();
            Task<string> error = shell.StandardError.ReadToEndAsync();

            Assert.Equal("READY=1", await ReceiveAsync(notify));
            Assert.True(File.Exists(socket), "the socket is there once the service says it is ready");

            Posix.Terminate(pid);
            Assert.Equal("STOPPING=1", await ReceiveAsync(notify));
            await shell.WaitForExitAsync().WaitAsync(Net.Patience);
            Assert.Equal(0, shell.ExitCode);
            Assert.False(File.Exists(socket), "the socket file is removed at stop");

            string log = await output.WaitAsync(Net.Patience);
            Assert.Equal("", await error.WaitAsync(Net.Patience));
            // The journal's format: <6> is the syslog priority of Information.
            Assert.Contains($"<6>EdgeLoss.EdgeHost[0] edgehost {EdgeLoss.EdgeHost.Hosting.ServeCommand.Version} starting: gallery {gallery} "
                + $"(dim 4, f32, read-write), VERIFY threshold 0.363; serving unix:{socket}", log);
            Assert.Contains($"Listening on unix:{socket}", log);
            Assert.Contains($"Stopped unix:{socket}", log);
            Assert.Contains("<6>EdgeLoss.EdgeHost[0] edgehost stopped", log);
        }
        finally
        {
            if (!shell.HasExited)
                shell.Kill(entireProcessTree: true);
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        byte[] buffer = new byte[256];
        using var timeout = new CancellationTokenSource(Net.Patience);
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, n).Trim();
    }
}
