using Akka.Actor;
using Akka.TestKit.Xunit2;
using Xunit.Abstractions;

namespace Lock.Actors.Tests.Infrastructure;

/// <summary>
/// Base of the fault-injection specs: each test gets a redis-server of its own that it may stop,
/// restart or pause without disturbing any other test.
/// </summary>
public abstract class PrivateRedisSpec : TestKit, IAsyncLifetime
{
    protected PrivateRedisSpec(RedisServerProcess server, ITestOutputHelper output, string extraConfig = "")
        : base(LockSpec.NodeConfig(server.Configuration, LockSpec.NewPrefix(), extraConfig), "faulty-node", output)
    {
        Server = server;
        Locks = DistributedLocks.Get(Sys);
    }

    /// <summary>A stopped server on a reserved port; <see cref="InitializeAsync"/> starts it.</summary>
    protected static RedisServerProcess NewServer() => RedisServerProcess.Create();

    protected RedisServerProcess Server { get; }

    protected DistributedLocks Locks { get; }

    protected IActorRef Manager => Locks.Manager;

    public virtual async Task InitializeAsync()
    {
        await Server.StartAgainAsync();
        await Locks.Subscribed.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public virtual async Task DisposeAsync()
    {
        await Sys.Terminate();
        await Server.DisposeAsync();
    }
}
