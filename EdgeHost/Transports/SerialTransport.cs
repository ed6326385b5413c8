using System.IO.Ports;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.EdgeHost.Transports;

/// <summary>
/// Serves the serial line at <see cref="Device"/> (a UART such as <c>/dev/ttyAMA0</c>, a USB adapter, a pty) as one
/// connection, 8N1 without handshake. When the device cannot be opened or goes away (a USB adapter unplugged), it
/// is opened again with a growing delay until the host stops.
/// </summary>
public sealed partial class SerialTransport : Transport
{
    /// <summary>The first delay before opening the device again.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay between two attempts to open the device.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <param name="device">The device path, e.g. <c>/dev/ttyAMA0</c>.</param>
    /// <param name="baudRate">Bits per second, e.g. 115200.</param>
    /// <param name="handler">Serves the line.</param>
    /// <param name="logger">Where the transport says what it does.</param>
    public SerialTransport(string device, int baudRate, IConnectionHandler handler, ILogger<SerialTransport> logger)
        : base(handler, logger, capacity: 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baudRate);
        Device = device;
        BaudRate = baudRate;
    }

    /// <summary>The device path.</summary>
    public string Device { get; }

    /// <summary>Bits per second.</summary>
    public int BaudRate { get; }

    /// <inheritdoc/>
    public override string Name => "serial:" + Device;

    /// <summary>How many times the device has been opened (1 after the first success); tells a test that it reopened.</summary>
    public int OpenCount => Volatile.Read(ref _openCount);
    private int _openCount;

    /// <summary>
    /// Nothing to take at start: a device that is missing now (a USB adapter not yet enumerated at boot) is waited
    /// for by <see cref="RunAsync"/>, with a warning in the log.
    /// </summary>
    protected override void Open() => LogConfigured(Logger, Name, BaudRate);

    /// <inheritdoc/>
    protected override async Task RunAsync(CancellationToken stopping)
    {
        TimeSpan delay = FirstRetryDelay;
        string? lastFailure = null;
        while (!stopping.IsCancellationRequested)
        {
            SerialPort? port = null;
            try
            {
                port = OpenPort();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                // Said once at warning level, then quietly until it changes, so a missing device does not flood the log.
                if (ex.Message != lastFailure)
                    LogOpenFailed(Logger, Name, ex.Message, delay.TotalSeconds);
                else
                    LogOpenStillFailing(Logger, Name, ex.Message, delay.TotalSeconds);
                lastFailure = ex.Message;
            }

            if (port is not null)
            {
                lastFailure = null;
                delay = FirstRetryDelay;
                Interlocked.Increment(ref _openCount);
                LogOpened(Logger, Name, BaudRate);
                // The port owns its stream: disposing the stream alone would leave the descriptor open.
                Task<Exception?>? serving = Connections.TryServe(new SerialPortStream(port), _ => Name, stopping);
                Exception? failure = serving is null ? null : await serving.ConfigureAwait(false);
                if (stopping.IsCancellationRequested)
                    break;
                LogLineEnded(Logger, Name, failure?.Message ?? "the handler returned", delay.TotalSeconds);
            }

            await Task.Delay(delay, stopping).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private SerialPort OpenPort()
    {
        var port = new SerialPort(Device, BaudRate, Parity.None, dataBits: 8, StopBits.One)
        {
            Handshake = Handshake.None,
            ReadTimeout = SerialPort.InfiniteTimeout,
            WriteTimeout = SerialPort.InfiniteTimeout,
        };
        try
        {
            // Bytes that arrived before are left in: the framing drops a partial frame by itself, and a whole one
            // still deserves its reply.
            port.Open();
            return port;
        }
        catch
        {
            port.Dispose();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving {Transport} at {Baud} baud, 8N1, no handshake")]
    private static partial void LogConfigured(ILogger logger, string transport, int baud);

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened {Transport} at {Baud} baud")]
    private static partial void LogOpened(ILogger logger, string transport, int baud);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot open {Transport}: {Reason}; trying again in {DelaySeconds} s")]
    private static partial void LogOpenFailed(ILogger logger, string transport, string reason, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Still cannot open {Transport}: {Reason}; trying again in {DelaySeconds} s")]
    private static partial void LogOpenStillFailing(ILogger logger, string transport, string reason, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Transport} ended ({Reason}); opening it again in {DelaySeconds} s")]
    private static partial void LogLineEnded(ILogger logger, string transport, string reason, double delaySeconds);

    /// <summary>The port's <see cref="SerialPort.BaseStream"/>, closing the port itself when disposed.</summary>
    private sealed class SerialPortStream(SerialPort port) : Stream
    {
        private readonly Stream _inner = port.BaseStream;

        public override bool CanRead => _inner.CanRead;
        public override bool CanWrite => _inner.CanWrite;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => _inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => _inner.Read(buffer);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _inner.ReadAsync(buffer, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _inner.WriteAsync(buffer, offset, count, cancellationToken);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            _inner.WriteAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                port.Dispose();
            base.Dispose(disposing);
        }
    }
}
