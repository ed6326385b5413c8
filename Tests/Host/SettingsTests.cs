using EdgeLoss.EdgeHost.Hosting;
using EdgeLoss.EdgeHost.Transports;
using Microsoft.Extensions.Configuration;

namespace EdgeLoss.Tests.Host;

/// <summary>How appsettings.json, the environment and the command line combine into the settings of serve.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class SettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private void AppSettings(string json) => File.WriteAllText(_dir.File("appsettings.json"), json);

    private string Gallery => _dir.File("g.elg");
    private string Socket => "unix:" + _dir.File("s.sock");

    [Fact]
    public void Defaults_are_those_documented()
    {
        var (_, settings) = Serve.Prepare(_dir.Path, "--gallery", Gallery, "--dim", "512", "--listen", Socket);
        EdgeHostOptions o = settings.Options;
        Assert.Equal(Gallery, o.Gallery);
        Assert.Equal(512, o.Dim);
        Assert.Equal(GalleryStorage.F32, o.Storage);
        Assert.Null(o.Serial);
        Assert.Equal(115200, o.Baud);
        Assert.Equal(0.363f, o.Threshold);
        Assert.False(o.ReadOnly);
        Assert.Equal(64, o.MaxConnections);
        Assert.Equal([Socket], o.Listen);
        Assert.Equal([new UnixListenEndpoint(_dir.File("s.sock"))], settings.Endpoints);
    }

    [Fact]
    public void Every_setting_binds_from_appsettings_json()
    {
        AppSettings($$"""
            { "EdgeLoss": { "Gallery": "{{Gallery}}", "Dim": 128, "Storage": "i8", "Serial": "/dev/ttyAMA0", "Baud": 9600,
                            "Listen": [ "{{Socket}}", "tcp://[::1]:7000" ], "Threshold": 0.5, "ReadOnly": false, "MaxConnections": 3 } }
            """);
        var (_, settings) = Serve.Prepare(_dir.Path);
        EdgeHostOptions o = settings.Options;
        Assert.Equal((Gallery, 128, GalleryStorage.I8, "/dev/ttyAMA0", 9600, 0.5f, false, 3),
            (o.Gallery, o.Dim, o.Storage, o.Serial, o.Baud, o.Threshold, o.ReadOnly, o.MaxConnections));
        Assert.Equal([Socket, "tcp://[::1]:7000"], o.Listen);
        Assert.Equal($"serial:/dev/ttyAMA0 at 9600 baud, {Socket}, tcp://[::1]:7000", settings.DescribeTransports());
    }

    [Fact]
    public void Every_setting_binds_from_the_environment()
    {
        using var env = new EnvironmentScope(("EdgeLoss__Gallery", Gallery), ("EdgeLoss__Dim", "256"), ("EdgeLoss__Storage", "I8"),
            ("EdgeLoss__Serial", "/dev/ttyUSB0"), ("EdgeLoss__Baud", "57600"), ("EdgeLoss__Listen__0", "tcp://localhost:7001"),
            ("EdgeLoss__Listen__1", Socket), ("EdgeLoss__Threshold", "-0.25"), ("EdgeLoss__ReadOnly", "False"), ("EdgeLoss__MaxConnections", "5"));
        EdgeHostOptions o = Serve.Prepare(_dir.Path).Settings.Options;
        Assert.Equal((Gallery, 256, GalleryStorage.I8, "/dev/ttyUSB0", 57600, -0.25f, false, 5),
            (o.Gallery, o.Dim, o.Storage, o.Serial, o.Baud, o.Threshold, o.ReadOnly, o.MaxConnections));
        Assert.Equal(["tcp://localhost:7001", Socket], o.Listen);
    }

    [Fact]
    public void The_environment_overrides_appsettings_and_the_command_line_overrides_both()
    {
        AppSettings($$"""{ "EdgeLoss": { "Gallery": "{{Gallery}}", "Dim": 8, "Baud": 1200, "Threshold": 0.1, "Storage": "f32", "Listen": [ "{{Socket}}" ] } }""");
        Assert.Equal(8, Serve.Prepare(_dir.Path).Settings.Options.Dim);

        using var env = new EnvironmentScope(("EdgeLoss__Dim", "16"), ("EdgeLoss__Baud", "2400"), ("EdgeLoss__Storage", "i8"));
        EdgeHostOptions fromEnv = Serve.Prepare(_dir.Path).Settings.Options;
        Assert.Equal((16, 2400, 0.1f, GalleryStorage.I8), (fromEnv.Dim, fromEnv.Baud, fromEnv.Threshold, fromEnv.Storage));

        EdgeHostOptions fromCli = Serve.Prepare(_dir.Path, "--dim", "32", "--threshold", "0.7", "--storage", "f32").Settings.Options;
        // Each source wins only for what it sets: Baud stays the environment's.
        Assert.Equal((32, 2400, 0.7f, GalleryStorage.F32), (fromCli.Dim, fromCli.Baud, fromCli.Threshold, fromCli.Storage));
    }

    [Fact]
    public void Read_only_from_the_command_line_overrides_the_file_both_ways()
    {
        File.WriteAllText(Gallery, "");
        AppSettings($$"""{ "EdgeLoss": { "Gallery": "{{Gallery}}", "Dim": 4, "ReadOnly": true, "Listen": [ "{{Socket}}" ] } }""");
        Assert.True(Serve.Prepare(_dir.Path).Settings.Options.ReadOnly);
        Assert.False(Serve.Prepare(_dir.Path, "--read-only", "false").Settings.Options.ReadOnly);

        AppSettings($$"""{ "EdgeLoss": { "Gallery": "{{Gallery}}", "Dim": 4, "Listen": [ "{{Socket}}" ] } }""");
        Assert.True(Serve.Prepare(_dir.Path, "--read-only").Settings.Options.ReadOnly);
    }

    [Fact]
    public void Listen_on_the_command_line_replaces_the_list_of_the_other_sources()
    {
        AppSettings($$"""{ "EdgeLoss": { "Gallery": "{{Gallery}}", "Dim": 4, "Listen": [ "tcp://127.0.0.1:7000", "tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002" ] } }""");
        Assert.Equal(3, Serve.Prepare(_dir.Path).Settings.Endpoints.Count);

        // Configuration itself merges arrays index by index: the environment's entry 0 replaces the file's entry 0.
        using var env = new EnvironmentScope(("EdgeLoss__Listen__0", Socket));
        Assert.Equal([Socket, "tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002"], Serve.Prepare(_dir.Path).Settings.Options.Listen);

        // The command line's --listen values are the whole list, not a merge into it.
        var (_, settings) = Serve.Prepare(_dir.Path, "--listen", "tcp://[::1]:9000", "--listen", "tcp://localhost:9001");
        Assert.Equal(["tcp://[::1]:9000", "tcp://localhost:9001"], settings.Options.Listen);
        Assert.Equal("tcp://[::1]:9000, tcp://127.0.0.1:9001", settings.DescribeTransports());
    }

    [Fact]
    public void Only_the_options_given_on_the_command_line_reach_configuration()
    {
        var (command, parsed) = Serve.Parse("--dim", "4", "--threshold", "0.1", "--read-only", "--listen", Socket);
        Dictionary<string, string?> given = command.CommandLineSettings(parsed);
        Assert.Equal(3, given.Count);
        Assert.Equal("4", given["EdgeLoss:Dim"]);
        Assert.Equal("true", given["EdgeLoss:ReadOnly"]);
        Assert.Equal(0.1f, float.Parse(given["EdgeLoss:Threshold"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([Socket], command.ListenFromCommandLine(parsed));
        Assert.Null(command.ListenFromCommandLine(Serve.Parse("--dim", "4").Parsed));

        // ...as the last configuration source, above the environment.
        using var env = new EnvironmentScope(("EdgeLoss__Dim", "16"), ("EdgeLoss__Gallery", Gallery));
        var (builder, _) = Serve.Prepare(_dir.Path, "--dim", "4", "--listen", Socket);
        Assert.Equal("4", builder.Configuration["EdgeLoss:Dim"]);
        Assert.Equal(Gallery, builder.Configuration["EdgeLoss:Gallery"]);
    }

    [Fact]
    public void Appsettings_json_is_read_from_the_content_root_not_the_working_directory()
    {
        AppSettings($$"""{ "EdgeLoss": { "Gallery": "{{Gallery}}", "Dim": 77, "Listen": [ "{{Socket}}" ] } }""");
        var (builder, settings) = Serve.Prepare(_dir.Path);
        Assert.Equal(77, settings.Options.Dim);
        Assert.Equal(_dir.Path.TrimEnd('/') + "/", builder.Environment.ContentRootPath.TrimEnd('/') + "/");
        Assert.NotEqual(_dir.Path, Environment.CurrentDirectory);
    }
}
