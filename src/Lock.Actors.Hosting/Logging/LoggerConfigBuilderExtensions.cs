using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;

namespace Lock.Actors.Logging;

/// <summary>Akka.Hosting's logging, with a logger that keeps each line's category.</summary>
public static class LoggerConfigBuilderExtensions
{
    /// <summary>The coordinated-shutdown phase in which queued log lines are written.</summary>
    public const string DrainPhase = "lock-actors-write-log-lines";

    /// <summary>
    /// Routes Akka's log lines (the lock subsystem's and Akka's own) to Microsoft.Extensions.Logging with
    /// <see cref="CategoryLoggerFactoryLogger"/> alone: each line once, under its class's category, without
    /// Akka's header, also the lines of the last shutdown phases.
    /// <code>services.AddAkka("app", akka =&gt; akka.WithLoggerFactoryByCategory().WithDistributedLocks(…));</code>
    /// </summary>
    /// <param name="builder">The application's Akka.Hosting builder.</param>
    /// <param name="logLevel">Akka's log level (the floor of what is handed on); null keeps the configured one.</param>
    public static AkkaConfigurationBuilder WithLoggerFactoryByCategory(this AkkaConfigurationBuilder builder, Akka.Event.LogLevel? logLevel = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureLoggers(loggers =>
        {
            if (logLevel is { } level) loggers.LogLevel = level;
            loggers.ClearLoggers();
            loggers.AddLogger<CategoryLoggerFactoryLogger>();
        });
        // A shutdown phase between the last tasks (the lock release among them) and the ActorSystem's
        // termination, in which the logger writes what it still has queued before Akka stops it.
        builder.AddHocon(ConfigurationFactory.ParseString($$"""
            akka.coordinated-shutdown.phases {
              {{DrainPhase}} { depends-on = [before-actor-system-terminate] }
              actor-system-terminate.depends-on = [before-actor-system-terminate, {{DrainPhase}}]
            }
            """), HoconAddMode.Prepend);
        return builder.WithActors((system, _) => CoordinatedShutdown.Get(system).AddTask(DrainPhase, "write-queued-log-lines", async () =>
        {
            await CategoryLoggerFactoryLogger.DrainAsync(system, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            return Done.Instance;
        }));
    }
}
