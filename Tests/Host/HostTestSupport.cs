using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace EdgeLoss.Tests.Host;

/// <summary>A fresh directory under /tmp, short enough for Unix socket paths, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("eh").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

public static class Net
{
    /// <summary>Generous for a loaded two-core machine: a wait that takes this long has failed.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static async Task<NetworkStream> ConnectAsync(EndPoint endPoint)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint).WaitAsync(Patience);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> and reads exactly as many bytes back.</summary>
    public static async Task<byte[]> RoundTripAsync(Stream stream, byte[] request)
    {
        await stream.WriteAsync(request).AsTask().WaitAsync(Patience);
        byte[] reply = new byte[request.Length];
        await stream.ReadExactlyAsync(reply).AsTask().WaitAsync(Patience);
        return reply;
    }

    /// <summary>Reads until the other end closes; returns what came before.</summary>
    public static async Task<int> ReadToEndAsync(Stream stream)
    {
        byte[] buffer = new byte[256];
        int total = 0, read;
        try
        {
            while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Patience)) > 0)
                total += read;
        }
        catch (IOException)
        {
            // A reset is an end too.
        }
        return total;
    }

    public static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}

public static class Posix
{
    /// <summary>Sends SIGTERM to the process <paramref name="pid"/> (one this test started), as systemd stops a service.</summary>
    public static void Terminate(int pid) => Assert.Equal(0, kill(pid, 15));

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
