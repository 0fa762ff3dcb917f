using Akka.Actor;
using Akka.Actor.Setup;
using StackExchange.Redis;

namespace Lock.Actors;

/// <summary>
/// Hands the application's own Redis connection to the <see cref="DistributedLocks"/> extension, so
/// the node keeps one multiplexer. The extension uses it and never disposes it.
/// <code>
/// var setup = BootstrapSetup.Create().WithConfig(config).And(new DistributedLocksSetup(redis));
/// var system = ActorSystem.Create("app", setup);
/// </code>
/// </summary>
public sealed class DistributedLocksSetup : Setup
{
    private readonly Func<ActorSystem, IConnectionMultiplexer> _connectionFactory;

    /// <summary>Uses <paramref name="connection"/>, which the application keeps and disposes.</summary>
    /// <param name="connection">The application's multiplexer.</param>
    public DistributedLocksSetup(IConnectionMultiplexer connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connectionFactory = _ => connection;
    }

    /// <summary>
    /// The connection is asked for when the extension starts, with the ActorSystem at hand (for example
    /// to resolve the application's multiplexer from its service provider).
    /// </summary>
    /// <param name="connectionFactory">Returns the multiplexer to use; never disposed by the lock subsystem.</param>
    public DistributedLocksSetup(Func<ActorSystem, IConnectionMultiplexer> connectionFactory)
    {
        _connectionFactory = connectionFactory ?? throw new ArgumentNullException(nameof(connectionFactory));
    }

    internal IConnectionMultiplexer ConnectionFor(ActorSystem system) =>
        _connectionFactory(system) ?? throw new InvalidOperationException(
            "The DistributedLocksSetup connection factory returned null.");
}
