using System.Net;
using EdgeLoss.EdgeHost.Hosting;
using EdgeLoss.EdgeHost.Transports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.Tests.Host;

/// <summary>The whole host of <c>edgehost serve</c>, built by its own code from a command line, in this process.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class ServeHostTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestLog _log = new();

    public void Dispose() => _dir.Dispose();

    private IHost Build(IConnectionHandler? handler, params string[] args)
    {
        var (builder, _) = Serve.Prepare(_dir.Path, args);
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(_log);
        if (handler is not null)
            builder.Services.Replace(ServiceDescriptor.Singleton(handler));
        return builder.Build();
    }

    [Fact]
    public void Registers_the_handler_once_and_a_transport_per_serial_line_and_endpoint_in_order()
    {
        using IHost host = Build(handler: null, "--gallery", _dir.File("g.elg"), "--dim", "4", "--serial", "/dev/ttyAMA0", "--baud", "9600",
            "--listen", "unix:" + _dir.File("s.sock"), "--listen", "tcp://[::1]:0");

        // The wire protocol over the gallery serves every connection; the gallery is opened before any transport starts.
        Assert.IsType<ProtocolConnectionHandler>(Assert.Single(host.Services.GetServices<IConnectionHandler>()));
        var hosted = host.Services.GetServices<IHostedService>().ToList();
        Assert.True(hosted.FindIndex(h => h is GalleryWarmup) < hosted.FindIndex(h => h is Transport), "the gallery must open before the transports start");
        Transport[] transports = [.. host.Services.GetServices<IHostedService>().OfType<Transport>()];
        Assert.Equal(["serial:/dev/ttyAMA0", "unix:" + _dir.File("s.sock"), "tcp://[::1]:0"], transports.Select(t => t.Name));
        Assert.Equal(9600, Assert.IsType<SerialTransport>(transports[0]).BaudRate);
        Assert.Equal(4, host.Services.GetRequiredService<EdgeHostSettings>().Options.Dim);
        Assert.Equal(4, host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EdgeHostOptions>>().Value.Dim);
    }

    [Fact]
    public async Task Serves_every_endpoint_and_stops_cleanly()
    {
        string socket = _dir.File("s.sock");
        var handler = new EchoHandler();
        using IHost host = Build(handler, "--gallery", _dir.File("g.elg"), "--dim", "4",
            "--listen", "unix:" + socket, "--listen", "tcp://127.0.0.1:0", "--listen", "tcp://[::1]:0");
        await host.StartAsync().WaitAsync(Net.Patience);

        var endpoints = host.Services.GetServices<IHostedService>().OfType<SocketTransport>().Select(t => t.LocalEndPoint!).ToList();
        Assert.Equal(3, endpoints.Count);
        foreach (EndPoint endpoint in endpoints)
        {
            await using var client = await Net.ConnectAsync(endpoint);
            Assert.Equal(Net.Bytes("via " + endpoint), await Net.RoundTripAsync(client, Net.Bytes("via " + endpoint)));
        }
        Assert.Equal(3, handler.Served);
        Assert.Contains($"Information SocketTransport: Listening on unix:{socket}", _log.Lines);
        Assert.Contains(_log.Lines, l => l.StartsWith("Information SocketTransport: Listening on tcp://[::1]:", StringComparison.Ordinal));

        await host.StopAsync().WaitAsync(Net.Patience);
        Assert.False(File.Exists(socket));
        Assert.Equal(3, _log.Lines.Count(l => l.StartsWith("Information SocketTransport: Stopped ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_transport_that_cannot_start_fails_the_start_and_leaves_nothing_behind()
    {
        File.WriteAllText(_dir.File("taken"), "not a socket");
        string socket = _dir.File("s.sock");
        using (IHost host = Build(new EchoHandler(), "--gallery", _dir.File("g.elg"), "--dim", "4",
                   "--listen", "unix:" + socket, "--listen", "unix:" + _dir.File("taken")))
        {
            var ex = await Assert.ThrowsAsync<IOException>(() => host.StartAsync().WaitAsync(Net.Patience));
            Assert.Equal($"cannot listen on unix:{_dir.File("taken")}: the path exists and is not a socket", ex.Message);
        }
        // Disposing the host released the transport that had started.
        Assert.False(File.Exists(socket));
        Assert.Equal("not a socket", File.ReadAllText(_dir.File("taken")));
    }
}
