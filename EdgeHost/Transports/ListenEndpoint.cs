using System.Globalization;
using System.Net;
using System.Text;

namespace EdgeLoss.EdgeHost.Transports;

/// <summary>
/// Where <c>edgehost</c> accepts connections: <c>unix:PATH</c> or <c>tcp://127.0.0.1:PORT</c>,
/// <c>tcp://[::1]:PORT</c>, <c>tcp://localhost:PORT</c>. TCP is loopback only: this is a service for the programs of
/// one embedded device, and the protocol has no authentication, so it is never exposed on a network.
/// </summary>
public abstract record ListenEndpoint
{
    /// <summary>The longest Unix socket path Linux accepts (sun_path holds 108 bytes with the terminating NUL).</summary>
    public const int MaxUnixPathBytes = 107;

    /// <summary>Parses one <c>--listen</c> value; on failure <paramref name="problem"/> says why, naming the value.</summary>
    public static bool TryParse(string? text, out ListenEndpoint? endpoint, out string? problem)
    {
        endpoint = null;
        problem = null;
        const string Forms = "must be unix:PATH or tcp://127.0.0.1:PORT (also tcp://[::1]:PORT, tcp://localhost:PORT)";
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = $"(empty) {Forms}";
            return false;
        }

        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = text["unix:".Length..];
            if (path.Length == 0)
                problem = $"{text} names no socket path";
            else if (path.Contains('\0', StringComparison.Ordinal))
                problem = $"{text} contains a NUL character";
            else if (Encoding.UTF8.GetByteCount(path) > MaxUnixPathBytes)
                problem = $"{text} is longer than the {MaxUnixPathBytes} bytes a Unix socket path can hold";
            else
                endpoint = new UnixListenEndpoint(path);
            return endpoint is not null;
        }

        if (text.StartsWith("tcp://", StringComparison.Ordinal))
        {
            string rest = text["tcp://".Length..].TrimEnd('/');
            int colon = rest.LastIndexOf(':');
            string host = colon < 0 ? rest : rest[..colon];
            string portText = colon < 0 ? "" : rest[(colon + 1)..];
            // An IPv6 address without brackets ("::1:5000") cannot be told apart from its port.
            if (colon < 0 || portText.Length == 0 || host.Length == 0 || (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')))
            {
                problem = $"{text} {Forms}";
                return false;
            }
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
            {
                problem = $"{text} has port {portText}, which is not a number in [0, 65535]";
                return false;
            }
            IPAddress? address = null;
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                address = IPAddress.Loopback; // resolved here, not by DNS: the answer must not depend on /etc/hosts
            else if (host.StartsWith('[') && host.EndsWith(']'))
                _ = IPAddress.TryParse(host[1..^1], out address);
            else if (!host.Contains(':', StringComparison.Ordinal))
                _ = IPAddress.TryParse(host, out address);

            if (address is null || !IPAddress.IsLoopback(address))
            {
                problem = $"{text} is not a loopback address (edgehost listens only on 127.0.0.1, [::1] or localhost)";
                return false;
            }
            endpoint = new TcpListenEndpoint(address, port);
            return true;
        }

        problem = $"{text} {Forms}";
        return false;
    }

    /// <summary>Parses one <c>--listen</c> value or throws <see cref="FormatException"/> saying why.</summary>
    public static ListenEndpoint Parse(string text) =>
        TryParse(text, out ListenEndpoint? endpoint, out string? problem) ? endpoint! : throw new FormatException(problem);
}

/// <summary>A Unix domain stream socket at <see cref="Path"/>.</summary>
public sealed record UnixListenEndpoint(string Path) : ListenEndpoint
{
    /// <inheritdoc/>
    public override string ToString() => "unix:" + Path;
}

/// <summary>A TCP listener on a loopback <see cref="Address"/>; <see cref="Port"/> 0 lets the system choose one.</summary>
public sealed record TcpListenEndpoint(IPAddress Address, int Port) : ListenEndpoint
{
    /// <inheritdoc/>
    public override string ToString() => Format(new IPEndPoint(Address, Port));

    /// <summary><c>tcp://127.0.0.1:5000</c> or <c>tcp://[::1]:5000</c>.</summary>
    public static string Format(IPEndPoint endPoint) => "tcp://" + endPoint; // IPEndPoint brackets IPv6 addresses itself
}
