using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.Tests.Host;

/// <summary>Collects log lines ("Warning SocketTransport: Listening on ...") so tests can read what the host said.</summary>
public sealed class TestLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    public ILoggerFactory Factory { get; }

    public TestLog() => Factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger<T> For<T>() => Factory.CreateLogger<T>();

    /// <summary>Completes when <paramref name="times"/> lines containing <paramref name="text"/> have been logged (now or later).</summary>
    public Task WhenLogged(string text, int times = 1)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            int count = _lines.Count(l => l.Contains(text, StringComparison.Ordinal));
            if (count >= times)
            {
                seen.SetResult();
            }
            else
            {
                int missing = times - count;
                _waiters.Add((l => l.Contains(text, StringComparison.Ordinal) && --missing == 0, seen));
            }
        }
        return seen.Task;
    }

    private void Add(string line)
    {
        lock (_waiters)
        {
            _lines.Enqueue(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose() { }

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Add($"{logLevel} {category}: {formatter(state, exception)}" + (exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]"));
    }
}
