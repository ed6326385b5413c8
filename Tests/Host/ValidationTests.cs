using EdgeLoss.EdgeHost.Hosting;

namespace EdgeLoss.Tests.Host;

/// <summary>Every way settings are refused, each with its exact message.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class ValidationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Gallery => _dir.File("g.elg");
    private string Socket => "unix:" + _dir.File("s.sock");

    /// <summary>Valid settings, with the options of <paramref name="changes"/> replacing or added to them.</summary>
    private string[] Valid(params string[] changes)
    {
        var args = new List<string> { "--gallery", Gallery, "--dim", "4", "--listen", Socket };
        for (int i = 0; i < changes.Length; i++)
        {
            bool hasValue = i + 1 < changes.Length && !changes[i + 1].StartsWith("--", StringComparison.Ordinal);
            int at = args.IndexOf(changes[i]);
            if (at >= 0 && hasValue)
                args[at + 1] = changes[++i];
            else
                args.AddRange(hasValue ? [changes[i], changes[++i]] : [changes[i]]);
        }
        return [.. args];
    }

    private string RefusedFor(params string[] args) => Serve.Refused(_dir.Path, args);

    [Fact]
    public void The_valid_baseline_is_accepted() => Assert.Equal(4, Serve.Prepare(_dir.Path, Valid()).Settings.Options.Dim);

    [Fact]
    public void Gallery_is_required() =>
        Assert.Equal("invalid settings: --gallery (EdgeLoss:Gallery) is required",
            RefusedFor("--dim", "4", "--listen", Socket));

    [Fact]
    public void Gallery_directory_must_exist() =>
        Assert.Equal($"invalid settings: --gallery (EdgeLoss:Gallery) = {_dir.Path}/no/g.elg: directory {_dir.Path}/no does not exist",
            RefusedFor(Valid("--gallery", $"{_dir.Path}/no/g.elg")));

    [Fact]
    public void Gallery_must_not_be_a_directory() =>
        Assert.Equal($"invalid settings: --gallery (EdgeLoss:Gallery) = {_dir.Path} is a directory, not a gallery file",
            RefusedFor(Valid("--gallery", _dir.Path)));

    [Fact]
    public void A_read_only_gallery_must_exist()
    {
        Assert.Equal($"invalid settings: --gallery (EdgeLoss:Gallery) = {Gallery} does not exist, and --read-only cannot create it",
            RefusedFor(Valid("--read-only")));
        File.WriteAllText(Gallery, "");
        Assert.True(Serve.Prepare(_dir.Path, Valid("--read-only")).Settings.Options.ReadOnly);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public void Dim_must_be_in_1_to_2029(string dim) =>
        Assert.Equal($"invalid settings: --dim (EdgeLoss:Dim) = {dim} is outside [1, 2029]", RefusedFor(Valid("--dim", dim)));

    [Theory]
    [InlineData("2030")]
    [InlineData("65536")]
    public void Dim_must_fit_an_enroll_in_one_frame(string dim) =>
        Assert.Equal($"invalid settings: --dim (EdgeLoss:Dim) = {dim} is outside [1, 2029] (an ENROLL of {dim} float32 values with a 63-byte id does not fit one 8192-byte frame)",
            RefusedFor(Valid("--dim", dim)));

    [Theory]
    [InlineData("1")]
    [InlineData("2029")]
    public void Dim_bounds_are_accepted(string dim) =>
        Assert.Equal(int.Parse(dim, System.Globalization.CultureInfo.InvariantCulture), Serve.Prepare(_dir.Path, Valid("--dim", dim)).Settings.Options.Dim);

    [Theory]
    [InlineData("0")]
    [InlineData("-9600")]
    public void Baud_must_be_positive(string baud) =>
        Assert.Equal($"invalid settings: --baud (EdgeLoss:Baud) = {baud} must be positive", RefusedFor(Valid("--baud", baud)));

    [Theory]
    [InlineData("1.5", "1.5")]
    [InlineData("-1.01", "-1.01")]
    [InlineData("NaN", "NaN")]
    [InlineData("Infinity", "Infinity")]
    public void Threshold_must_be_a_cosine(string threshold, string shown) =>
        Assert.Equal($"invalid settings: --threshold (EdgeLoss:Threshold) = {shown} is outside [-1, 1] (a cosine)",
            RefusedFor(Valid("--threshold", threshold)));

    [Theory]
    [InlineData("-1")]
    [InlineData("1")]
    public void Threshold_bounds_are_accepted(string threshold) =>
        Assert.Equal(float.Parse(threshold, System.Globalization.CultureInfo.InvariantCulture),
            Serve.Prepare(_dir.Path, Valid("--threshold", threshold)).Settings.Options.Threshold);

    [Fact]
    public void Storage_from_configuration_must_be_f32_or_i8()
    {
        using var env = new EnvironmentScope(("EdgeLoss__Storage", "f16"));
        Assert.Equal("invalid settings: --storage (EdgeLoss:Storage) = 'f16' must be f32 or i8", RefusedFor(Valid()));
    }

    [Fact]
    public void Storage_by_enum_number_is_refused_too()
    {
        // The binder would take "5" as an undefined enum value; the check sees it first.
        using var env = new EnvironmentScope(("EdgeLoss__Storage", "5"));
        Assert.Equal("invalid settings: --storage (EdgeLoss:Storage) = '5' must be f32 or i8", RefusedFor(Valid()));
    }

    [Fact]
    public void Serial_must_not_be_empty()
    {
        File.WriteAllText(_dir.File("appsettings.json"), """{ "EdgeLoss": { "Serial": "" } }""");
        Assert.Equal("invalid settings: --serial (EdgeLoss:Serial) is empty; give a device such as /dev/ttyAMA0", RefusedFor(Valid()));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1025")]
    public void Max_connections_must_be_in_1_to_1024(string value)
    {
        using var env = new EnvironmentScope(("EdgeLoss__MaxConnections", value));
        Assert.Equal($"invalid settings: EdgeLoss:MaxConnections = {value} is outside [1, 1024]", RefusedFor(Valid()));
    }

    [Theory]
    [InlineData("tcp://10.0.0.5:9", "--listen tcp://10.0.0.5:9 is not a loopback address (edgehost listens only on 127.0.0.1, [::1] or localhost)")]
    [InlineData("tcp://0.0.0.0:5000", "--listen tcp://0.0.0.0:5000 is not a loopback address (edgehost listens only on 127.0.0.1, [::1] or localhost)")]
    [InlineData("udp://127.0.0.1:5", "--listen udp://127.0.0.1:5 must be unix:PATH or tcp://127.0.0.1:PORT (also tcp://[::1]:PORT, tcp://localhost:PORT)")]
    [InlineData("tcp://127.0.0.1:99999", "--listen tcp://127.0.0.1:99999 has port 99999, which is not a number in [0, 65535]")]
    public void Each_listen_must_be_a_local_endpoint(string listen, string problem) =>
        Assert.Equal("invalid settings: " + problem, RefusedFor("--gallery", Gallery, "--dim", "4", "--listen", listen));

    [Fact]
    public void A_listen_socket_directory_must_exist() =>
        Assert.Equal($"invalid settings: --listen unix:{_dir.Path}/run/s.sock: directory {_dir.Path}/run does not exist",
            RefusedFor("--gallery", Gallery, "--dim", "4", "--listen", $"unix:{_dir.Path}/run/s.sock"));

    [Fact]
    public void The_same_endpoint_twice_is_refused() =>
        Assert.Equal("invalid settings: --listen tcp://localhost:5000 is given twice",
            RefusedFor("--gallery", Gallery, "--dim", "4", "--listen", "tcp://127.0.0.1:5000", "--listen", "tcp://localhost:5000"));

    [Fact]
    public void At_least_one_transport_is_required() =>
        Assert.Equal("invalid settings: no transport: give --serial DEVICE or at least one --listen unix:PATH | tcp://127.0.0.1:PORT",
            RefusedFor("--gallery", Gallery, "--dim", "4"));

    [Fact]
    public void A_serial_line_alone_is_a_transport() =>
        Assert.Equal("/dev/ttyAMA0", Serve.Prepare(_dir.Path, "--gallery", Gallery, "--dim", "4", "--serial", "/dev/ttyAMA0").Settings.Options.Serial);

    [Fact]
    public void Values_that_do_not_convert_are_all_reported_with_the_other_problems()
    {
        using var env = new EnvironmentScope(("EdgeLoss__Dim", "abc"), ("EdgeLoss__Baud", "fast"), ("EdgeLoss__Threshold", "high"),
            ("EdgeLoss__ReadOnly", "yes"), ("EdgeLoss__Storage", "f16"), ("EdgeLoss__MaxConnections", "lots"));
        var ex = Assert.Throws<InvalidSettingsException>(() => Serve.Prepare(_dir.Path, "--listen", "tcp://10.1.1.1:80"));
        Assert.Equal(
        [
            "--dim (EdgeLoss:Dim) = 'abc' is not an integer",
            "--baud (EdgeLoss:Baud) = 'fast' is not an integer",
            "EdgeLoss:MaxConnections = 'lots' is not an integer",
            "--threshold (EdgeLoss:Threshold) = 'high' is not a number",
            "--read-only (EdgeLoss:ReadOnly) = 'yes' must be true or false",
            "--storage (EdgeLoss:Storage) = 'f16' must be f32 or i8",
            "--gallery (EdgeLoss:Gallery) is required",
            "--listen tcp://10.1.1.1:80 is not a loopback address (edgehost listens only on 127.0.0.1, [::1] or localhost)",
        ], ex.Problems);
        Assert.Equal("invalid settings: " + string.Join("; ", ex.Problems), ex.Message);
    }

    [Fact]
    public void Several_problems_make_one_message()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => Serve.Prepare(_dir.Path, "--dim", "0", "--listen", "tcp://10.0.0.5:9"));
        Assert.Equal("invalid settings: --gallery (EdgeLoss:Gallery) is required; --dim (EdgeLoss:Dim) = 0 is outside [1, 2029]; "
            + "--listen tcp://10.0.0.5:9 is not a loopback address (edgehost listens only on 127.0.0.1, [::1] or localhost)", ex.Message);
    }
}
