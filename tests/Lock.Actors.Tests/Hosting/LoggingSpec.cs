using System.Collections.Concurrent;
using GenericHost = Microsoft.Extensions.Hosting.Host;
using Akka.Actor;
using Akka.Event;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Akka.Hosting;
using Lock.Actors.Logging;
using Lock.Actors.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Hosting;

/// <summary>
/// An application that routes Akka's logs to Microsoft.Extensions.Logging through Akka.Hosting gets each
/// line of the lock subsystem once, under its component's category, as the plain message.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class LoggingSpec(RedisFixture redis) : IAsyncLifetime
{
    private readonly string _prefix = LockSpec.NewPrefix();
    private readonly CapturingProvider _logs = new();
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = GenericHost.CreateDefaultBuilder()
            .ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(_logs);
                logging.SetMinimumLevel(LogLevel.Debug);
            })
            .ConfigureServices(services => services.AddAkka("logged-app", builder => builder
                .WithLoggerFactoryByCategory(Akka.Event.LogLevel.InfoLevel)
                .WithDistributedLocks(options =>
                {
                    options.RedisConfiguration = redis.Configuration;
                    options.KeyPrefix = _prefix;
                })))
            .Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    [Fact]
    public async Task A_lost_lock_is_one_warning_under_the_key_actors_category_without_Akkas_header()
    {
        var system = _host.Services.GetRequiredService<ActorSystem>();
        var locks = DistributedLocks.Get(system);
        var key = "logged-" + Guid.NewGuid().ToString("N")[..8];
        var held = await locks.Manager.Ask<LockAcquired>(new Acquire(key, TimeSpan.FromMilliseconds(600), AutoExtend: true), TimeSpan.FromSeconds(5));
        await redis.Db.KeyDeleteAsync(_prefix + "{" + key + "}");

        // The watchdog's next extend finds the key gone and logs the loss; a line logged after it is the
        // sync point by which a second copy of it would have arrived too.
        await _logs.WaitForAsync(r => r.Message.Contains(key), TimeSpan.FromSeconds(10));
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        system.Log.Warning(marker);
        await _logs.WaitForAsync(r => r.Message.Contains(marker), TimeSpan.FromSeconds(10));
        var lines = _logs.Records.Where(r => r.Message.Contains(key)).ToList();
        var line = Assert.Single(lines);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Equal("Lock.Actors.Actors.KeyLock.KeyLockActor", line.Category);
        Assert.StartsWith($"Lost lock {key} fencing {held.FencingToken}:", line.Message);
    }

    [Fact]
    public async Task The_lines_of_the_last_shutdown_phase_arrive_too_before_Akka_stops_its_loggers()
    {
        var system = _host.Services.GetRequiredService<ActorSystem>();
        var held = await DistributedLocks.Get(system).Manager.Ask<LockAcquired>(new Acquire("logged-at-shutdown"), TimeSpan.FromSeconds(5));

        // The release runs in the phase before the ActorSystem terminates; its lines are the last ones
        // written before Akka stops the loggers, and used to be printed by Akka itself, in its format.
        await _host.StopAsync();
        Assert.True(system.WhenTerminated.IsCompleted);
        var released = Assert.Single(_logs.Records, r => r.Message.StartsWith("Coordinated shutdown released"));
        Assert.Equal("Lock.Actors.DistributedLocks", released.Category);
        Assert.Equal("Coordinated shutdown released 1 lock(s)", released.Message);
        Assert.Single(_logs.Records, r => r.Message.StartsWith("Lock manager shutting down") && r.Category == "Lock.Actors.Actors.LockManagerActor");
        Assert.NotEqual(0, held.FencingToken);
    }

    private sealed record Record(string Category, LogLevel Level, string Message);

    private sealed class CapturingProvider : ILoggerProvider
    {
        private readonly object _gate = new();
        private readonly List<(Func<Record, bool> Match, TaskCompletionSource Seen)> _waits = [];

        public ConcurrentQueue<Record> Records { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

        public Task WaitForAsync(Func<Record, bool> match, TimeSpan timeout)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (Records.Any(match)) return Task.CompletedTask;
                _waits.Add((match, seen));
            }
            return seen.Task.WaitAsync(timeout);
        }

        private void Add(Record record)
        {
            lock (_gate)
            {
                Records.Enqueue(record);
                foreach (var wait in _waits.Where(w => w.Match(record))) wait.Seen.TrySetResult();
            }
        }

        public void Dispose()
        {
        }

        private sealed class Logger(string category, CapturingProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                provider.Add(new Record(category, logLevel, formatter(state, exception)));
        }
    }
}
