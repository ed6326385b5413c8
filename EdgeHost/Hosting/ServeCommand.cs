using System.CommandLine;
using System.Globalization;
using System.Reflection;
using EdgeLoss.EdgeHost.Protocol;
using EdgeLoss.EdgeHost.Transports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>
/// <c>edgehost serve</c>: the worker. Serves the wire protocol on a serial line and on local sockets until SIGTERM
/// or Ctrl-C, with its settings layered as appsettings.json &lt; environment (<c>EdgeLoss__Dim</c>) &lt; command line.
/// </summary>
public sealed class ServeCommand : Command
{
    /// <summary>Exit code of a start refused for invalid settings or command line.</summary>
    public const int ExitInvalidSettings = 2;

    /// <summary>Exit code of a host that could not start or stopped on an error.</summary>
    public const int ExitFailed = 1;

    /// <summary>Creates the command with its options.</summary>
    public ServeCommand()
        : base("serve", "Serve embedding comparison over a serial line and local sockets until stopped (SIGTERM, Ctrl-C).")
    {
        Gallery = new("--gallery") { HelpName = "FILE", Description = "The gallery file; created when missing unless --read-only." };
        Dim = new("--dim") { HelpName = "N", Description = $"The embedding dimension, 1..{EdgeHostOptions.MaxDim}." };
        Storage = new("--storage") { Description = "How templates are stored: float32 or int8 (default f32)." };
        Storage.AcceptOnlyFromAmong("f32", "i8");
        Serial = new("--serial") { HelpName = "DEVICE", Description = "A serial line to serve, e.g. /dev/ttyAMA0 (8N1, no handshake)." };
        Baud = new("--baud") { HelpName = "RATE", Description = $"The serial line's speed (default {EdgeHostOptions.DefaultBaud})." };
        Listen = new("--listen")
        {
            HelpName = "unix:PATH|tcp://127.0.0.1:PORT",
            Description = "A local socket to serve; repeat for several. TCP is loopback only.",
            AllowMultipleArgumentsPerToken = false,
        };
        Threshold = new("--threshold")
        {
            HelpName = "COS",
            Description = $"VERIFY accepts a cosine at or above it (default {EdgeHostOptions.DefaultThreshold.ToString(CultureInfo.InvariantCulture)}, OpenCV's SFace).",
        };
        ReadOnly = new("--read-only") { Description = "Never write the gallery file (it must exist; it may be on a read-only mount): refuse ENROLL and REMOVE." };

        Add(Gallery);
        Add(Dim);
        Add(Storage);
        Add(Serial);
        Add(Baud);
        Add(Listen);
        Add(Threshold);
        Add(ReadOnly);
        SetAction((parseResult, cancellationToken) => RunAsync(parseResult, contentRoot: null, cancellationToken));
    }

    /// <summary><c>--gallery FILE</c>.</summary>
    public Option<string> Gallery { get; }

    /// <summary><c>--dim N</c>.</summary>
    public Option<int> Dim { get; }

    /// <summary><c>--storage f32|i8</c>.</summary>
    public Option<string> Storage { get; }

    /// <summary><c>--serial DEVICE</c>.</summary>
    public Option<string> Serial { get; }

    /// <summary><c>--baud RATE</c>.</summary>
    public Option<int> Baud { get; }

    /// <summary><c>--listen unix:PATH|tcp://127.0.0.1:PORT</c>, repeatable.</summary>
    public Option<string[]> Listen { get; }

    /// <summary><c>--threshold COS</c>.</summary>
    public Option<float> Threshold { get; }

    /// <summary><c>--read-only</c>.</summary>
    public Option<bool> ReadOnly { get; }

    /// <summary>
    /// The settings the command line actually gave, as configuration keys (<c>EdgeLoss:Dim</c> = <c>512</c>), for a
    /// source added after appsettings.json and the environment so that they win. <c>--listen</c> is not among
    /// them: see <see cref="ListenFromCommandLine"/>.
    /// </summary>
    public Dictionary<string, string?> CommandLineSettings(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        void Put<T>(Option<T> option, string property, Func<T, string> format)
        {
            if (parseResult.GetResult(option) is { Implicit: false })
                settings[$"{EdgeHostOptions.Section}:{property}"] = format(parseResult.GetValue(option)!);
        }
        Put(Gallery, nameof(EdgeHostOptions.Gallery), v => v);
        Put(Dim, nameof(EdgeHostOptions.Dim), v => v.ToString(CultureInfo.InvariantCulture));
        Put(Storage, nameof(EdgeHostOptions.Storage), v => v);
        Put(Serial, nameof(EdgeHostOptions.Serial), v => v);
        Put(Baud, nameof(EdgeHostOptions.Baud), v => v.ToString(CultureInfo.InvariantCulture));
        Put(Threshold, nameof(EdgeHostOptions.Threshold), v => v.ToString("R", CultureInfo.InvariantCulture));
        Put(ReadOnly, nameof(EdgeHostOptions.ReadOnly), v => v ? "true" : "false");
        return settings;
    }

    /// <summary>The <c>--listen</c> values, or null when the command line gave none (then configuration decides).</summary>
    public IReadOnlyList<string>? ListenFromCommandLine(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.GetResult(Listen) is { Implicit: false } ? parseResult.GetValue(Listen) : null;
    }

    /// <summary>
    /// The host builder of <c>edgehost serve</c> with its configuration layered, and the settings read from it.
    /// </summary>
    /// <param name="parseResult">The parsed command line of this command.</param>
    /// <param name="contentRoot">Where appsettings.json is looked for; the binary's directory when null.</param>
    /// <exception cref="InvalidSettingsException">The settings are invalid; the message lists every problem.</exception>
    public (HostApplicationBuilder Builder, EdgeHostSettings Settings) Prepare(ParseResult parseResult, string? contentRoot = null)
    {
        HostApplicationBuilder builder = CreateBuilder(CommandLineSettings(parseResult), contentRoot);
        EdgeHostSettings settings = EdgeHostSettings.Load(builder.Configuration, ListenFromCommandLine(parseResult));
        ConfigureServices(builder.Services, settings);
        return (builder, settings);
    }

    /// <summary>
    /// A host builder whose configuration is appsettings.json (and appsettings.ENVIRONMENT.json) in
    /// <paramref name="contentRoot"/>, then environment variables, then <paramref name="commandLineSettings"/>.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(IEnumerable<KeyValuePair<string, string?>> commandLineSettings, string? contentRoot = null)
    {
        ArgumentNullException.ThrowIfNull(commandLineSettings);
        var configuration = new ConfigurationManager();
        // The settings are read once at start: no file watcher on appsettings.json.
        configuration.AddInMemoryCollection([new("hostBuilder:reloadConfigOnChange", "false")]);
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            // System.CommandLine owns the arguments; what they set arrives through commandLineSettings instead.
            Args = [],
            ApplicationName = "edgehost",
            // appsettings.json lives next to the binary, whatever the working directory (systemd starts us in /).
            ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
            Configuration = configuration,
        });
        builder.Configuration.AddInMemoryCollection(commandLineSettings);
        return builder;
    }

    /// <summary>
    /// The services of <c>edgehost serve</c>: the connection handler (the protocol layer), one hosted transport per
    /// serial line and listen endpoint, and systemd integration (notify, journal log format) when run by systemd.
    /// </summary>
    public static void ConfigureServices(IServiceCollection services, EdgeHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        EdgeHostOptions options = settings.Options;

        services.AddSystemd();
        services.AddSingleton(settings);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));

        // What serves every connection of every transport: the wire protocol over the gallery. The gallery is opened
        // when the host starts (a locked or corrupt file fails the start) and closed by DI when it stops, after the
        // transports have finished their in-flight requests. --read-only opens the file read-only (no write access,
        // a shared lock, a torn tail left in place), so it may live on a read-only mount; the session below still
        // refuses ENROLL and REMOVE itself, with the protocol's status, before the gallery is asked.
        services.AddSingleton(_ => EmbeddingGallery.Open(options.Gallery, options.Dim,
            options.Storage == GalleryStorage.I8 ? EmbeddingStorage.I8 : EmbeddingStorage.F32, options.ReadOnly));
        services.AddSingleton(new ProtocolCounters());
        services.AddSingleton<IRequestHandler>(sp => new GalleryRequestHandler(sp.GetRequiredService<EmbeddingGallery>(), options.Threshold));
        services.AddSingleton(sp => new ProtocolSessionOptions { ReadOnly = options.ReadOnly, Counters = sp.GetRequiredService<ProtocolCounters>() });
        services.AddSingleton<IConnectionHandler, ProtocolConnectionHandler>();
        services.AddHostedService<GalleryWarmup>();

        // Hosted services start in this order and stop in reverse.
        if (options.Serial is not null)
        {
            services.AddSingleton<IHostedService>(sp => new SerialTransport(options.Serial, options.Baud,
                sp.GetRequiredService<IConnectionHandler>(), sp.GetRequiredService<ILogger<SerialTransport>>()));
        }
        foreach (ListenEndpoint endpoint in settings.Endpoints)
        {
            services.AddSingleton<IHostedService>(sp => new SocketTransport(endpoint,
                sp.GetRequiredService<IConnectionHandler>(), sp.GetRequiredService<ILogger<SocketTransport>>(), options.MaxConnections));
        }
    }

    /// <summary>Runs <c>edgehost serve</c>: validates the settings, then serves until the host is stopped.</summary>
    /// <returns>0 after a clean stop, <see cref="ExitInvalidSettings"/>, or <see cref="ExitFailed"/>.</returns>
    public async Task<int> RunAsync(ParseResult parseResult, string? contentRoot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        TextWriter error = parseResult.InvocationConfiguration.Error;
        HostApplicationBuilder builder;
        EdgeHostSettings settings;
        try
        {
            (builder, settings) = Prepare(parseResult, contentRoot);
        }
        catch (InvalidSettingsException ex)
        {
            await error.WriteLineAsync("edgehost: " + ex.Message).ConfigureAwait(false);
            return ExitInvalidSettings;
        }

        using IHost host = builder.Build();
        ILogger logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeLoss.EdgeHost");
        EdgeHostOptions o = settings.Options;
        logger.LogInformation(
            "edgehost {Version} starting: gallery {Gallery} (dim {Dim}, {Storage}, {Mode}), VERIFY threshold {Threshold}; serving {Transports}",
            Version, Path.GetFullPath(o.Gallery!), o.Dim, EdgeHostOptions.Format(o.Storage), o.ReadOnly ? "read-only" : "read-write",
            o.Threshold, settings.DescribeTransports());
        try
        {
            // The gallery opens here, before the host starts, rather than inside its start: a corrupt, locked or
            // mismatched file is the commonest reason a start fails, and its message is the whole story. Inside the
            // start the host would log it with a stack trace at fail level first.
            _ = host.Services.GetRequiredService<EmbeddingGallery>();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Corrupt (GalleryCorruptException) or locked (GalleryLockedException) files are IOExceptions; another
            // dim or storage is an ArgumentException; a file we may not open is UnauthorizedAccessException.
            logger.LogCritical("edgehost cannot open the gallery: {Reason}", ex.Message);
            await error.WriteLineAsync("edgehost: " + ex.Message).ConfigureAwait(false);
            return ExitFailed;
        }
        try
        {
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The host has logged the exception itself; this says in one line why edgehost ends.
            logger.LogCritical("edgehost stopped: {Reason}", ex.Message);
            await error.WriteLineAsync("edgehost: " + ex.Message).ConfigureAwait(false);
            return ExitFailed;
        }
        logger.LogInformation("edgehost stopped");
        return 0;
    }

    /// <summary>The informational version of this build.</summary>
    public static string Version { get; } =
        typeof(ServeCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
