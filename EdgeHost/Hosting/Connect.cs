using System.IO.Ports;
using System.Diagnostics;
using System.Net.Sockets;
using EdgeLoss.EdgeHost.Transports;

namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>Opens the client side of a transport: <c>unix:PATH</c>, <c>tcp://127.0.0.1:PORT</c>, or a serial device.</summary>
internal static class Connect
{
    /// <summary>
    /// A stream to <paramref name="target"/>: <c>unix:PATH</c> or <c>tcp://HOST:PORT</c> (loopback), or a serial device
    /// given as <c>serial:DEVICE</c> or a path such as <c>/dev/ttyUSB0</c>.
    /// </summary>
    public static async Task<Stream> OpenAsync(string target, int baud, CancellationToken cancellationToken)
    {
        if (target.StartsWith("serial:", StringComparison.Ordinal) || target.StartsWith('/'))
        {
            string device = target.StartsWith("serial:", StringComparison.Ordinal) ? target["serial:".Length..] : target;
            var port = new SerialPort(device, baud, Parity.None, 8, StopBits.One) { Handshake = Handshake.None };
            port.Open();
            return new OwningStream(port.BaseStream, port);
        }
        if (!ListenEndpoint.TryParse(target, out ListenEndpoint? endpoint, out string? problem))
            throw new ArgumentException($"--connect {target}: {problem}; expected unix:PATH, tcp://127.0.0.1:PORT or a serial device", nameof(target));
        Socket socket = endpoint switch
        {
            UnixListenEndpoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            TcpListenEndpoint tcp => new Socket(tcp.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
            _ => throw new ArgumentException($"--connect {target} is not supported", nameof(target)),
        };
        try
        {
            await socket.ConnectAsync(endpoint switch
            {
                UnixListenEndpoint u => new UnixDomainSocketEndPoint(u.Path),
                TcpListenEndpoint t => new System.Net.IPEndPoint(t.Address, t.Port),
                _ => throw new UnreachableException(),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>A stream that also disposes what it came from (a serial port).</summary>
    private sealed class OwningStream(Stream inner, IDisposable owner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) { inner.Dispose(); owner.Dispose(); }
            base.Dispose(disposing);
        }
    }
}
