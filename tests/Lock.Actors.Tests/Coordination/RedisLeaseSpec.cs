using Akka.Actor;
using Akka.Configuration;
using Akka.Coordination;
using Lock.Actors.Coordination;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Lock.Actors.Tests.Coordination;

[Collection(AloneCollection.Name)]
public sealed class RedisLeaseSpec(RedisFixture redis, ITestOutputHelper output)
    : LockSpec(redis, output, """
        akka.coordination.lease.redis {
          heartbeat-interval = 300ms
          heartbeat-timeout = 900ms
          lease-operation-timeout = 3s
        }
        """)
{
    private RedisLease Lease(string name, string owner) =>
        Assert.IsType<RedisLease>(LeaseProvider.Get(Sys).GetLease(name, RedisLease.ConfigPath, owner));

    [Fact]
    public async Task One_owner_wins_the_other_is_refused_and_a_release_hands_it_over()
    {
        var first = Lease("singleton-a", "node-1:2552");
        var second = Lease("singleton-a", "node-2:2552");
        Assert.False(first.CheckLease());

        Assert.True(await first.Acquire());
        Assert.False(await second.Acquire());
        Assert.True(first.CheckLease());
        Assert.False(second.CheckLease());
        Assert.Equal("node-1:2552", (string?)await Redis.Db.StringGetAsync(RedisKey("lease:singleton-a")));

        Assert.True(await first.Release());
        Assert.False(first.CheckLease());
        Assert.True(await second.Acquire());
        Assert.True(second.FencingToken > 0);
        Assert.Equal("node-2:2552", (string?)await Redis.Db.StringGetAsync(RedisKey("lease:singleton-a")));
        Assert.False(await first.Release());
    }

    [Fact]
    public async Task The_same_owner_acquiring_again_succeeds()
    {
        var lease = Lease("reentrant", "node-1:2552");
        Assert.True(await lease.Acquire());
        var fencing = lease.FencingToken;
        Assert.True(await lease.Acquire());
        Assert.Equal(fencing, lease.FencingToken);

        // Another instance for the same owner (as after a restart of the component) is the same holder.
        var sameOwner = new RedisLease(
            new LeaseSettings("reentrant", "node-1:2552", new TimeoutSettings(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(3)), ConfigurationFactory.Empty),
            Sys);
        Assert.True(await sameOwner.Acquire());
    }

    [Fact]
    public async Task The_heartbeat_keeps_the_lease_past_its_timeout()
    {
        var lease = Lease("kept", "node-1:2552");
        var lostCallbacks = CreateTestProbe();
        Assert.True(await lease.Acquire(e => lostCallbacks.Tell(e)));

        // Three heartbeat-timeouts pass without a loss; the lease still holds and the other owner gets false.
        await lostCallbacks.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(2700));
        Assert.True(lease.CheckLease());
        Assert.False(await Lease("kept", "node-2:2552").Acquire());
    }

    [Fact]
    public async Task Deleting_the_key_behind_the_holder_fires_the_lost_callback_once_and_CheckLease_turns_false()
    {
        var lease = Lease("stolen", "node-1:2552");
        var lost = new List<Exception>();
        Assert.True(await lease.Acquire(e => { lock (lost) lost.Add(e); }));

        await Redis.Db.KeyDeleteAsync(RedisKey("lease:stolen"));

        await AwaitAssertAsync(() => { lock (lost) Assert.Single(lost); }, TimeSpan.FromSeconds(3));
        Assert.False(lease.CheckLease());
        Assert.IsType<LeaseException>(lost[0]);

        // Re-acquiring after a loss works, and the lost callback does not fire again for the old grant.
        Assert.True(await lease.Acquire());
        Assert.True(lease.CheckLease());
        lock (lost) Assert.Single(lost);
    }

    [Fact]
    public async Task A_lost_callback_never_fires_for_a_lease_that_was_released()
    {
        var lease = Lease("released", "node-1:2552");
        var lostCallbacks = CreateTestProbe();
        Assert.True(await lease.Acquire(e => lostCallbacks.Tell(e)));
        Assert.True(await lease.Release());
        await Redis.Db.StringSetAsync(RedisKey("lease:released"), "someone-else", TimeSpan.FromSeconds(5));
        // Longer than a heartbeat-timeout: a watchdog still running would have reported the loss by now.
        await lostCallbacks.ExpectNoMsgAsync(TimeSpan.FromSeconds(1));
    }
}

/// <summary>A system that never loaded the lock extension: the lease is found from HOCON alone.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisLeaseFromHoconSpec(RedisFixture redis)
{
    [Fact]
    public async Task LeaseProvider_creates_the_lease_from_plain_HOCON()
    {
        var prefix = LockSpec.NewPrefix();
        var config = ConfigurationFactory.ParseString($$"""
            akka.coordination.lease.redis {
              lease-class = "Lock.Actors.Coordination.RedisLease, Lock.Actors"
              heartbeat-interval = 1s
              heartbeat-timeout = 3s
              lease-operation-timeout = 3s
            }
            lock.key-prefix = "{{prefix}}"
            lock.redis.configuration = "{{redis.Configuration}}"
            """);
        var system = ActorSystem.Create("plain-hocon", config);
        try
        {
            var lease = LeaseProvider.Get(system).GetLease("plain", RedisLease.ConfigPath, "owner-1");
            Assert.IsType<RedisLease>(lease);
            Assert.True(await lease.Acquire());
            Assert.Equal("owner-1", (string?)await redis.Db.StringGetAsync(prefix + "{lease:plain}"));
            Assert.True(await lease.Release());
        }
        finally
        {
            await system.Terminate();
        }
    }
}

public sealed class RedisLeaseOutageSpec(ITestOutputHelper output) : PrivateRedisSpec(NewServer(), output)
{
    [Fact]
    public async Task Acquire_and_release_fault_when_the_outcome_is_unknown()
    {
        var lease = LeaseProvider.Get(Sys).GetLease("unknown", RedisLease.ConfigPath, "owner-1");
        await Server.StopAsync();
        await Assert.ThrowsAnyAsync<LeaseException>(() => lease.Acquire());
        Assert.False(lease.CheckLease());
        await Assert.ThrowsAnyAsync<LeaseException>(() => lease.Release());
    }
}
