using System.Globalization;
using System.Text.RegularExpressions;
using EdgeLoss.EdgeHost.Hosting;

namespace EdgeLoss.Tests.Host;

/// <summary>The edgehost command line as a person meets it: exit codes and what lands on stdout and stderr.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class CliTests
{
    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await EdgeHostCli.InvokeAsync(args, output, error).WaitAsync(Net.Patience);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        var (exit, output, error) = await RunAsync("--help");
        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.Contains("serve ", output);
        Assert.Contains("client ", output);
        Assert.Contains("demo ", output);
    }

    [Fact]
    public async Task Serve_help_lists_every_option_by_its_fixed_name()
    {
        var (exit, output, _) = await RunAsync("serve", "--help");
        Assert.Equal(0, exit);
        foreach (string option in new[] { "--gallery <FILE>", "--dim <N>", "--storage <f32|i8>", "--serial <DEVICE>", "--baud <RATE>",
                     "--listen <unix:PATH|tcp://127.0.0.1:PORT>", "--threshold <COS>", "--read-only" })
            Assert.Contains(option, output);
    }

    [Fact]
    public async Task Invalid_settings_exit_2_with_one_message_on_stderr_and_no_stack_trace()
    {
        var (exit, output, error) = await RunAsync("serve", "--dim", "0", "--listen", "tcp://10.0.0.5:9");
        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Equal("edgehost: invalid settings: --gallery (EdgeLoss:Gallery) is required; --dim (EdgeLoss:Dim) = 0 is outside [1, 2029]; "
            + "--listen tcp://10.0.0.5:9 is not a loopback address (edgehost listens only on 127.0.0.1, [::1] or localhost)" + Environment.NewLine, error);
    }

    [Fact]
    public async Task A_command_line_that_does_not_parse_exits_2()
    {
        var (exit, _, error) = await RunAsync("serve", "--dim", "many");
        Assert.Equal(2, exit);
        Assert.Equal("edgehost: Cannot parse argument 'many' for option '--dim' as expected type 'System.Int32'." + Environment.NewLine
            + "Run 'edgehost serve --help' for usage." + Environment.NewLine, error);

        (exit, _, error) = await RunAsync("serve", "--storage", "f16");
        Assert.Equal(2, exit);
        Assert.StartsWith("edgehost: Argument 'f16' not recognized. Must be one of:", error);

        (exit, _, error) = await RunAsync("serve", "--frobnicate");
        Assert.Equal(2, exit);
        Assert.StartsWith("edgehost: Unrecognized command or argument '--frobnicate'.", error);
    }

    [Fact]
    public async Task A_host_that_cannot_start_exits_1_saying_why()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("taken"), "");
        var (exit, _, error) = await RunAsync("serve", "--gallery", dir.File("g.elg"), "--dim", "4", "--listen", "unix:" + dir.File("taken"));
        Assert.Equal(1, exit);
        Assert.Equal($"edgehost: cannot listen on unix:{dir.File("taken")}: the path exists and is not a socket" + Environment.NewLine, error);
    }

    [Fact]
    public async Task No_command_exits_2()
    {
        var (exit, _, error) = await RunAsync();
        Assert.Equal(2, exit);
        Assert.Equal("edgehost: Required command was not provided." + Environment.NewLine + "Run 'edgehost --help' for usage." + Environment.NewLine, error);
    }

    [Fact]
    public async Task Client_to_a_socket_nobody_serves_exits_3_naming_the_target()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edgehost-none-{Guid.NewGuid():N}.sock");
        var (exit, output, error) = await RunAsync("client", "--connect", "unix:" + path, "ping");
        Assert.Equal(3, exit);
        Assert.Empty(output);
        Assert.StartsWith($"edgehost client: cannot connect to unix:{path}: ", error);
    }

    [Fact]
    public async Task Client_with_a_non_loopback_target_exits_2()
    {
        var (exit, _, error) = await RunAsync("client", "--connect", "tcp://10.1.2.3:9000", "ping");
        Assert.Equal(2, exit);
        Assert.Contains("--connect tcp://10.1.2.3:9000", error);
        Assert.Contains("loopback", error);
    }

    [Fact]
    public async Task Demo_serves_a_camera_over_the_real_protocol_and_reports()
    {
        var (exit, output, error) = await RunAsync("demo", "--people", "40", "--strangers", "10", "--probes", "60", "--dim", "64");
        Assert.True(exit == 0, error);
        Assert.Contains("serving serial line (System.IO.Ports) on pseudo-terminal /dev/pts/", output);
        Assert.Contains("enrolled 40 people x 2 templates = 80 over the wire", output);
        // Synthetic faces at dim 64: genuine pairs score about 0.45, strangers about 0 (max over the gallery about 0.3).
        double Rate(string pattern) => double.Parse(Regex.Match(output, pattern).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(Rate(@"rank-1 ([\d.]+)%"), 95.0, 100.0);
        Assert.InRange(Rate(@"genuine accepted ([\d.]+)%"), 70.0, 100.0);
        Assert.InRange(Rate(@"impostors accepted ([\d.]+)%"), 0.0, 5.0);
        Assert.Matches(@"p50 \d+\.\d{3}  p95 \d+\.\d{3}", output);
        Assert.Matches(@"frames ok \d+, dropped 0, errors sent 0", output);
        Assert.Contains("worker stopped cleanly", output);
    }
}
