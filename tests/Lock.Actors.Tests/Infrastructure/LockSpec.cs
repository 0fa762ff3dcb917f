using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Lock.Actors.Actors;
using Xunit;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Infrastructure;

/// <summary>
/// Base of the behaviour specs on real Redis: a TestKit whose ActorSystem runs the lock extension
/// under a key prefix of its own, plus helpers to start more nodes (ActorSystems) against the same Redis.
/// </summary>
public abstract class LockSpec : TestKit, IAsyncLifetime
{
    private readonly List<ActorSystem> _extraSystems = new();

    protected LockSpec(RedisFixture redis, ITestOutputHelper output, string extraConfig = "", string? prefix = null)
        : this(redis, output, extraConfig, prefix ?? NewPrefix(), 0)
    {
    }

    private LockSpec(RedisFixture redis, ITestOutputHelper output, string extraConfig, string prefix, int _)
        : base(NodeConfig(redis.Configuration, prefix, extraConfig), "node-a", output)
    {
        Redis = redis;
        Prefix = prefix;
        ExtraConfig = extraConfig;
        Locks = DistributedLocks.Get(Sys);
    }

    // Waiting here, not in the constructor: a blocked pool thread delays every actor and timer of
    // the tests running beside this one.
    public virtual async Task InitializeAsync() => await Locks.Subscribed.WaitAsync(TimeSpan.FromSeconds(10));

    public virtual async Task DisposeAsync()
    {
        foreach (var system in _extraSystems) await system.Terminate();
    }

    protected RedisFixture Redis { get; }

    /// <summary>The key prefix of this test: no other test writes under it.</summary>
    protected string Prefix { get; }

    protected string ExtraConfig { get; }

    protected DistributedLocks Locks { get; }

    protected IActorRef Manager => Locks.Manager;

    // Under "lock:", so the least-privilege ACL rules of README.md (~lock:* &lock:*) cover every test.
    public static string NewPrefix() => "lock:" + $"t{Guid.NewGuid():N}"[..12] + ":";

    public static Config NodeConfig(string redisConfiguration, string prefix, string extraConfig = "") =>
        ConfigurationFactory.ParseString($$"""
            akka.loglevel = INFO
            lock {
              key-prefix = "{{prefix}}"
              redis.configuration = "{{redisConfiguration}}"
            }
            {{extraConfig}}
            """).WithFallback(DistributedLocks.DefaultConfig());

    /// <summary>Starts another node on the same Redis and prefix (torn down with the test).</summary>
    protected async Task<Node> StartNodeAsync(string name, string? extraConfig = null)
    {
        var system = ActorSystem.Create(name, NodeConfig(Redis.Configuration, Prefix, extraConfig ?? ExtraConfig));
        _extraSystems.Add(system);
        var locks = DistributedLocks.Get(system);
        await locks.Subscribed.WaitAsync(TimeSpan.FromSeconds(10));
        return new Node(system, locks);
    }

    /// <summary>The Redis key of a lock in this test.</summary>
    protected string RedisKey(string key) => Locks.Keys.LockKey(key)!;

    protected async Task<int> KeyActorCountAsync(IActorRef? manager = null) =>
        await (manager ?? Manager).Ask<int>(LockManagerActor.CountKeyActors.Instance, RemainingOrDefault);

    /// <summary>
    /// The key's actor on that node has handled every request sent to it before: a release with a token
    /// nobody holds passes through it in mailbox order and comes back NotHeld. A sync point, not a wait.
    /// </summary>
    protected async Task KeyActorSettledAsync(string key, IActorRef? manager = null)
    {
        var reply = await (manager ?? Manager).Ask<ReleaseFailed>(new Release(key, "settle-" + Guid.NewGuid().ToString("N")), RemainingOrDefault);
        Assert.Equal(LockFailure.NotHeld, reply.Reason);
    }

    /// <summary>Some node's waiter for <paramref name="key"/> has been told by Redis that the key is held.</summary>
    protected Task WaiterSeenByRedisAsync(string key) =>
        AwaitAssertAsync(async () => Assert.True(await Redis.Db.KeyExistsAsync(Locks.Keys.WaitKey(key))));

}
