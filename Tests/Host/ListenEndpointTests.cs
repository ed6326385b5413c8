using System.Net;
using EdgeLoss.EdgeHost.Transports;

namespace EdgeLoss.Tests.Host;

public sealed class ListenEndpointTests
{
    [Theory]
    [InlineData("unix:/run/edgeloss/edgehost.sock", "unix:/run/edgeloss/edgehost.sock")]
    [InlineData("unix:relative.sock", "unix:relative.sock")]
    [InlineData("tcp://127.0.0.1:5000", "tcp://127.0.0.1:5000")]
    [InlineData("tcp://127.0.0.1:5000/", "tcp://127.0.0.1:5000")]
    [InlineData("tcp://127.1.2.3:0", "tcp://127.1.2.3:0")]
    [InlineData("tcp://[::1]:65535", "tcp://[::1]:65535")]
    [InlineData("tcp://localhost:7", "tcp://127.0.0.1:7")]
    [InlineData("tcp://LocalHost:7", "tcp://127.0.0.1:7")]
    public void Parses_the_accepted_forms(string text, string canonical)
    {
        Assert.True(ListenEndpoint.TryParse(text, out ListenEndpoint? endpoint, out string? problem), problem);
        Assert.Null(problem);
        Assert.Equal(canonical, endpoint!.ToString());
    }

    [Fact]
    public void Gives_typed_endpoints()
    {
        Assert.Equal(new UnixListenEndpoint("/tmp/x.sock"), ListenEndpoint.Parse("unix:/tmp/x.sock"));
        Assert.Equal(new TcpListenEndpoint(IPAddress.IPv6Loopback, 9), ListenEndpoint.Parse("tcp://[::1]:9"));
        // localhost is the IPv4 loopback without asking a resolver, so two spellings are one endpoint.
        Assert.Equal(ListenEndpoint.Parse("tcp://127.0.0.1:9"), ListenEndpoint.Parse("tcp://localhost:9"));
    }

    private const string Forms = "must be unix:PATH or tcp://127.0.0.1:PORT (also tcp://[::1]:PORT, tcp://localhost:PORT)";
    private const string NotLoopback = "is not a loopback address (edgehost listens only on 127.0.0.1, [::1] or localhost)";

    [Theory]
    [InlineData("tcp://10.0.0.5:9", "tcp://10.0.0.5:9 " + NotLoopback)]
    [InlineData("tcp://0.0.0.0:9", "tcp://0.0.0.0:9 " + NotLoopback)]
    [InlineData("tcp://[::]:9", "tcp://[::]:9 " + NotLoopback)]
    [InlineData("tcp://192.168.1.10:5000", "tcp://192.168.1.10:5000 " + NotLoopback)]
    [InlineData("tcp://example.com:80", "tcp://example.com:80 " + NotLoopback)]
    [InlineData("tcp://[::ffff:10.0.0.1]:9", "tcp://[::ffff:10.0.0.1]:9 " + NotLoopback)]
    [InlineData("tcp://127.0.0.1", "tcp://127.0.0.1 " + Forms)]
    [InlineData("tcp://127.0.0.1:", "tcp://127.0.0.1: " + Forms)]
    [InlineData("tcp://:5000", "tcp://:5000 " + Forms)]
    [InlineData("tcp://::1:5000", "tcp://::1:5000 " + Forms)]
    [InlineData("tcp://127.0.0.1:65536", "tcp://127.0.0.1:65536 has port 65536, which is not a number in [0, 65535]")]
    [InlineData("tcp://127.0.0.1:-1", "tcp://127.0.0.1:-1 has port -1, which is not a number in [0, 65535]")]
    [InlineData("tcp://127.0.0.1:http", "tcp://127.0.0.1:http has port http, which is not a number in [0, 65535]")]
    [InlineData("http://127.0.0.1:80", "http://127.0.0.1:80 " + Forms)]
    [InlineData("/run/edgeloss/edgehost.sock", "/run/edgeloss/edgehost.sock " + Forms)]
    [InlineData("unix:", "unix: names no socket path")]
    [InlineData("", "(empty) " + Forms)]
    [InlineData(" ", "(empty) " + Forms)]
    public void Refuses_other_forms_naming_the_value(string text, string expected)
    {
        Assert.False(ListenEndpoint.TryParse(text, out ListenEndpoint? endpoint, out string? problem));
        Assert.Null(endpoint);
        Assert.Equal(expected, problem);
        Assert.Equal(expected, Assert.Throws<FormatException>(() => ListenEndpoint.Parse(text)).Message);
    }

    [Fact]
    public void Refuses_a_unix_path_longer_than_sun_path()
    {
        string fits = "/" + new string('a', ListenEndpoint.MaxUnixPathBytes - 1);
        Assert.True(ListenEndpoint.TryParse("unix:" + fits, out _, out _));
        string tooLong = fits + "b";
        Assert.False(ListenEndpoint.TryParse("unix:" + tooLong, out _, out string? problem));
        Assert.Equal($"unix:{tooLong} is longer than the 107 bytes a Unix socket path can hold", problem);
        // Bytes, not characters: 54 two-byte letters are 108 bytes.
        Assert.False(ListenEndpoint.TryParse("unix:" + new string('é', 54), out _, out _));
    }
}
