using System.Globalization;
using EdgeLoss.EdgeHost.Protocol;
using EdgeLoss.EdgeHost.Transports;
using Microsoft.Extensions.Configuration;

namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>Settings that cannot be served with; <see cref="Exception.Message"/> lists every problem at once.</summary>
public sealed class InvalidSettingsException : Exception
{
    /// <param name="problems">Each problem, naming the setting (its option and configuration key) and the value.</param>
    public InvalidSettingsException(IReadOnlyList<string> problems)
        : base("invalid settings: " + string.Join("; ", problems))
    {
        Problems = problems;
    }

    /// <summary>Each problem, naming the setting (its option and configuration key) and the value.</summary>
    public IReadOnlyList<string> Problems { get; }
}

/// <summary>
/// The validated settings of <c>edgehost serve</c>: the bound <see cref="EdgeHostOptions"/> and what they name,
/// parsed (the listen endpoints).
/// </summary>
public sealed class EdgeHostSettings
{
    private EdgeHostSettings(EdgeHostOptions options, IReadOnlyList<ListenEndpoint> endpoints)
    {
        Options = options;
        Endpoints = endpoints;
    }

    /// <summary>The bound options, all valid.</summary>
    public EdgeHostOptions Options { get; }

    /// <summary><see cref="EdgeHostOptions.Listen"/>, parsed, in the order given.</summary>
    public IReadOnlyList<ListenEndpoint> Endpoints { get; }

    /// <summary>What is served, for the start-up log line: <c>serial:/dev/ttyAMA0 at 115200 baud, unix:/run/x.sock</c>.</summary>
    public string DescribeTransports()
    {
        var parts = new List<string>();
        if (Options.Serial is not null)
            parts.Add($"serial:{Options.Serial} at {Options.Baud} baud");
        parts.AddRange(Endpoints.Select(e => e.ToString()));
        return string.Join(", ", parts);
    }

    /// <summary>
    /// Binds section <see cref="EdgeHostOptions.Section"/> of <paramref name="configuration"/> and validates it.
    /// </summary>
    /// <param name="configuration">appsettings.json, environment and command line, already layered.</param>
    /// <param name="listenFromCommandLine">
    /// The <c>--listen</c> values when the command line gave any. They replace the list of the other sources instead
    /// of being merged into it index by index, which is what configuration does with arrays.
    /// </param>
    /// <exception cref="InvalidSettingsException">One or more settings are invalid; the message lists them all.</exception>
    public static EdgeHostSettings Load(IConfiguration configuration, IReadOnlyList<string>? listenFromCommandLine = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        IConfigurationSection section = configuration.GetSection(EdgeHostOptions.Section);
        var problems = new List<string>();

        // The binder stops at the first value it cannot convert; these checks find them all first, and binding then
        // sees only the convertible ones, so every problem is reported in one message.
        var unconvertible = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        CheckConvertible(section, nameof(EdgeHostOptions.Dim), IsInteger, "is not an integer", problems, unconvertible);
        CheckConvertible(section, nameof(EdgeHostOptions.Baud), IsInteger, "is not an integer", problems, unconvertible);
        CheckConvertible(section, nameof(EdgeHostOptions.MaxConnections), IsInteger, "is not an integer", problems, unconvertible);
        CheckConvertible(section, nameof(EdgeHostOptions.Threshold), IsNumber, "is not a number", problems, unconvertible);
        CheckConvertible(section, nameof(EdgeHostOptions.ReadOnly), v => bool.TryParse(v, out _), "must be true or false", problems, unconvertible);
        CheckConvertible(section, nameof(EdgeHostOptions.Storage), IsStorage, "must be f32 or i8", problems, unconvertible);

        EdgeHostOptions options = Bind(section, unconvertible, problems);
        if (listenFromCommandLine is not null)
            options.Listen = [.. listenFromCommandLine];

        List<ListenEndpoint> endpoints = Validate(options, unconvertible, problems);
        if (problems.Count > 0)
            throw new InvalidSettingsException(problems);
        return new EdgeHostSettings(options, endpoints);
    }

    /// <summary><c>--dim (EdgeLoss:Dim)</c>: the names a person may have used to set it.</summary>
    public static string Describe(string property) => property switch
    {
        nameof(EdgeHostOptions.MaxConnections) => $"{EdgeHostOptions.Section}:{property}",
        _ => $"{OptionName(property)} ({EdgeHostOptions.Section}:{property})",
    };

    /// <summary>The command-line option of a property: <c>ReadOnly</c> -> <c>--read-only</c>.</summary>
    public static string OptionName(string property) => property switch
    {
        nameof(EdgeHostOptions.ReadOnly) => "--read-only",
        _ => "--" + property.ToLowerInvariant(),
    };

    private static bool IsInteger(string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);

    private static bool IsNumber(string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static bool IsStorage(string value) =>
        value.Equals("f32", StringComparison.OrdinalIgnoreCase) || value.Equals("i8", StringComparison.OrdinalIgnoreCase);

    private static void CheckConvertible(IConfigurationSection section, string key, Func<string, bool> isValid, string complaint,
        List<string> problems, HashSet<string> unconvertible)
    {
        string? value = section[key];
        if (value is null)
            return;
        if (value.Trim().Length == 0 || !isValid(value.Trim()))
        {
            problems.Add($"{Describe(key)} = '{value}' {complaint}");
            unconvertible.Add(key);
        }
    }

    private static EdgeHostOptions Bind(IConfigurationSection section, HashSet<string> unconvertible, List<string> problems)
    {
        var options = new EdgeHostOptions();
        IConfiguration source = section;
        if (unconvertible.Count > 0)
        {
            // A copy of the section without the values reported above, so that the rest can still be checked.
            var values = section.AsEnumerable(makePathsRelative: true)
                .Where(kv => !unconvertible.Contains(kv.Key));
            source = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        }
        try
        {
            // Generated by the configuration-binding source generator: no reflection, Native AOT clean.
            source.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            problems.Add(ex.Message);
        }
        return options;
    }

    private static List<ListenEndpoint> Validate(EdgeHostOptions o, HashSet<string> unconvertible, List<string> problems)
    {
        bool Check(string key) => !unconvertible.Contains(key);

        if (string.IsNullOrWhiteSpace(o.Gallery))
        {
            problems.Add($"{Describe(nameof(o.Gallery))} is required");
        }
        else
        {
            string full = Path.GetFullPath(o.Gallery);
            string? directory = Path.GetDirectoryName(full);
            if (Directory.Exists(full))
                problems.Add($"{Describe(nameof(o.Gallery))} = {o.Gallery} is a directory, not a gallery file");
            else if (directory is not null && !Directory.Exists(directory))
                problems.Add($"{Describe(nameof(o.Gallery))} = {o.Gallery}: directory {directory} does not exist");
            else if (o.ReadOnly && !File.Exists(full))
                problems.Add($"{Describe(nameof(o.Gallery))} = {o.Gallery} does not exist, and {OptionName(nameof(o.ReadOnly))} cannot create it");
        }

        if (Check(nameof(o.Dim)) && o.Dim < 1)
            problems.Add($"{Describe(nameof(o.Dim))} = {o.Dim} is outside [1, {EdgeHostOptions.MaxDim}]");
        else if (Check(nameof(o.Dim)) && o.Dim > EdgeHostOptions.MaxDim)
            problems.Add($"{Describe(nameof(o.Dim))} = {o.Dim} is outside [1, {EdgeHostOptions.MaxDim}] (an ENROLL of {o.Dim} float32 values "
                + $"with a {Ids.MaxBytes}-byte id does not fit one {Frame.MaxLength}-byte frame)");

        if (!Enum.IsDefined(o.Storage))
            problems.Add($"{Describe(nameof(o.Storage))} = {(int)o.Storage} must be f32 or i8");

        if (o.Serial is not null && o.Serial.Trim().Length == 0)
            problems.Add($"{Describe(nameof(o.Serial))} is empty; give a device such as /dev/ttyAMA0");

        if (Check(nameof(o.Baud)) && o.Baud <= 0)
            problems.Add($"{Describe(nameof(o.Baud))} = {o.Baud} must be positive");

        if (Check(nameof(o.Threshold)) && !(o.Threshold >= -1f && o.Threshold <= 1f))
            problems.Add($"{Describe(nameof(o.Threshold))} = {o.Threshold.ToString(CultureInfo.InvariantCulture)} is outside [-1, 1] (a cosine)");

        if (Check(nameof(o.MaxConnections)) && o.MaxConnections is < 1 or > 1024)
            problems.Add($"{Describe(nameof(o.MaxConnections))} = {o.MaxConnections} is outside [1, 1024]");

        var endpoints = new List<ListenEndpoint>();
        foreach (string text in o.Listen)
        {
            if (!ListenEndpoint.TryParse(text, out ListenEndpoint? endpoint, out string? problem))
            {
                problems.Add($"{OptionName(nameof(o.Listen))} {problem}");
                continue;
            }
            if (endpoints.Contains(endpoint!))
            {
                problems.Add($"{OptionName(nameof(o.Listen))} {text} is given twice");
                continue;
            }
            if (endpoint is UnixListenEndpoint unix)
            {
                string? directory = Path.GetDirectoryName(Path.GetFullPath(unix.Path));
                if (directory is not null && !Directory.Exists(directory))
                {
                    problems.Add($"{OptionName(nameof(o.Listen))} {text}: directory {directory} does not exist");
                    continue;
                }
            }
            endpoints.Add(endpoint!);
        }

        if (o.Serial is null && o.Listen.Count == 0)
            problems.Add($"no transport: give {OptionName(nameof(o.Serial))} DEVICE or at least one {OptionName(nameof(o.Listen))} unix:PATH | tcp://127.0.0.1:PORT");

        return endpoints;
    }
}
