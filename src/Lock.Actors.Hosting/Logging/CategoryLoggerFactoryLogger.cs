using System.Collections;
using Akka;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Dispatch;
using Akka.Event;
using Akka.Hosting.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Lock.Actors.Logging;

/// <summary>
/// An Akka logger that hands each log line to Microsoft.Extensions.Logging once, under the category of
/// the class that logged it (<c>Lock.Actors.Actors.KeyLock.KeyLockActor</c>,
/// <c>Akka.Actor.CoordinatedShutdown</c>, …), as the plain message: no Akka header inside it. The log
/// source (the actor's path) and the thread travel as structured values beside the message. Add it with
/// <see cref="LoggerConfigBuilderExtensions.WithLoggerFactoryByCategory"/>.
/// </summary>
public sealed class CategoryLoggerFactoryLogger : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    // The logger of each ActorSystem, for the coordinated-shutdown task that drains it.
    private static readonly ConditionalWeakTable<ActorSystem, IActorRef> Running = new();

    private readonly ILoggerFactory _factory;
    private readonly Dictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    /// <summary>Takes the application's logger factory from the ActorSystem's setup or its services.</summary>
    public CategoryLoggerFactoryLogger()
    {
        var setup = Context.System.Settings.Setup.Get<LoggerFactorySetup>();
        _factory = DependencyResolver.For(Context.System).Resolver.GetService<ILoggerFactory>()
              ?? (setup.HasValue ? setup.Value.LoggerFactory : null)
              ?? throw new InvalidOperationException(
                  "CategoryLoggerFactoryLogger found no ILoggerFactory: start the ActorSystem with Akka.Hosting (AddAkka).");
    }

    /// <summary>
    /// Replies <see cref="Done"/> once every line published before it was written. Akka stops its loggers
    /// as the ActorSystem terminates, with lines of the last shutdown phase maybe still queued (Akka then
    /// prints those itself, in its own format); the shutdown task of
    /// <see cref="LoggerConfigBuilderExtensions.WithLoggerFactoryByCategory"/> asks this first.
    /// </summary>
    internal static async Task DrainAsync(ActorSystem system, TimeSpan timeout)
    {
        if (!Running.TryGetValue(system, out var logger)) return;
        try
        {
            await logger.Ask<Done>(Drain.Instance, timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            // Shutdown goes on: a late line is printed by Akka rather than lost.
        }
    }

    private sealed class Drain
    {
        public static readonly Drain Instance = new();
    }

    /// <inheritdoc />
    protected override void PreStart() => Running.AddOrUpdate(Context.System, Self);

    /// <inheritdoc />
    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case Drain:
                Sender.Tell(Done.Instance);
                return true;
            case LogEvent line:
                Write(line);
                return true;
            default:
                return false;
        }
    }

    private void Write(LogEvent line)
    {
        var category = line.LogClass?.FullName ?? line.LogSource ?? "Akka";
        if (!_loggers.TryGetValue(category, out var logger)) _loggers[category] = logger = _factory.CreateLogger(category);
        var level = LevelOf(line.LogLevel());
        if (!logger.IsEnabled(level)) return;
        logger.Log(level, default, new Line(line), line.Cause, static (state, _) => state.Message);
    }

    private static LogLevel LevelOf(AkkaLogLevel level) => level switch
    {
        AkkaLogLevel.DebugLevel => LogLevel.Debug,
        AkkaLogLevel.InfoLevel => LogLevel.Information,
        AkkaLogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };

    /// <summary>The message, and the source and thread as structured values.</summary>
    private readonly struct Line(LogEvent line) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = line.Message?.ToString() ?? string.Empty;

        private readonly string? _source = line.LogSource;
        private readonly int _thread = line.Thread?.ManagedThreadId ?? 0;

        public int Count => 3;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("LogSource", _source),
            1 => new("Thread", _thread),
            _ => new("{OriginalFormat}", Message),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++) yield return this[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }
}
