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
    public DistributedLocksSetup(IConnectionMultiplexer connection)
    {
        Connection = connection ?? throw new ArgumentNullException(nameof(connection));
    }

    public IConnectionMultiplexer Connection { get; }
}
