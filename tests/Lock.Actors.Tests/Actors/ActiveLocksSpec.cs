using Akka.Actor;
using Lock.Actors.Actors;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

[Collection(RedisCollection.Name)]
public sealed class ActiveLocksSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    [Fact]
    public async Task The_active_lock_table_lists_what_this_node_holds()
    {
        var owner = CreateTestProbe();
        var before = DateTimeOffset.UtcNow;
        Manager.Tell(new Acquire("a", Ttl: TimeSpan.FromSeconds(20), AutoExtend: true, Owner: owner));
        var a = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Acquire("b"));
        var b = await ExpectMsgAsync<LockAcquired>();

        Manager.Tell(GetActiveLocks.Instance);
        var table = (await ExpectMsgAsync<ActiveLocks>()).Locks.OrderBy(l => l.Key).ToList();
        Assert.Equal(2, table.Count);
        var entryA = table[0];
        Assert.Equal(("a", a.Token, a.FencingToken, TimeSpan.FromSeconds(20), true), (entryA.Key, entryA.Token, entryA.FencingToken, entryA.Ttl, entryA.AutoExtend));
        Assert.Equal(owner.Ref, entryA.Owner);
        Assert.InRange(entryA.AcquiredAt, before, DateTimeOffset.UtcNow);
        Assert.Equal(("b", b.Token, (IActorRef?)null, false), (table[1].Key, table[1].Token, table[1].Owner, table[1].AutoExtend));

        Manager.Tell(new Release("a", a.Token));
        await ExpectMsgAsync<LockReleased>();
        Manager.Tell(GetActiveLocks.Instance);
        Assert.Equal(["b"], (await ExpectMsgAsync<ActiveLocks>()).Locks.Select(l => l.Key));
    }

    [Fact]
    public async Task ForceReleaseAll_releases_every_lock_this_node_holds_and_counts_them()
    {
        foreach (var key in new[] { "x", "y", "z" })
        {
            Manager.Tell(new Acquire(key, AutoExtend: key == "z"));
            await ExpectMsgAsync<LockAcquired>();
        }
        // Held by another process: not ours to release.
        await Redis.Db.StringSetAsync(RedisKey("foreign"), "someone-else", TimeSpan.FromSeconds(30));

        Manager.Tell(ForceReleaseAll.Instance);
        await ExpectMsgAsync(new ForceReleased(3));

        Assert.Equal([RedisKey("foreign")], Redis.KeysUnder(Prefix + "{"));
        Manager.Tell(GetActiveLocks.Instance);
        Assert.Empty((await ExpectMsgAsync<ActiveLocks>()).Locks);
    }

    [Fact]
    public async Task Terminating_the_system_releases_every_lock_of_the_node_through_coordinated_shutdown()
    {
        var node = await StartNodeAsync("leaving-node");
        var requester = CreateTestProbe();
        foreach (var key in new[] { "s1", "s2", "s3" })
        {
            node.Manager.Tell(new Acquire(key, Ttl: TimeSpan.FromMinutes(5), AutoExtend: key == "s3"), requester);
            await requester.ExpectMsgAsync<LockAcquired>();
        }
        Manager.Tell(new Acquire("stays"));
        await ExpectMsgAsync<LockAcquired>();
        Assert.Equal(4, Redis.KeysUnder(Prefix + "{").Count);

        await node.System.Terminate();

        // Only the surviving node's lock is left; the leaving node's five-minute locks are gone now.
        Assert.Equal([RedisKey("stays")], Redis.KeysUnder(Prefix + "{"));
    }

    [Fact]
    public async Task A_node_that_is_shutting_down_refuses_new_and_queued_acquires()
    {
        var node = await StartNodeAsync("closing-node");
        var requester = CreateTestProbe();
        node.Manager.Tell(new Acquire("held"), requester);
        await requester.ExpectMsgAsync<LockAcquired>();
        var queued = CreateTestProbe();
        node.Manager.Tell(new Acquire("held", Timeout: TimeSpan.FromSeconds(10)), queued);
        await KeyActorSettledAsync("held", node.Manager);
        await queued.ExpectNoMsgAsync(TimeSpan.Zero);

        node.Manager.Tell(LockManagerActor.BeginShutdown.Instance, requester);
        Assert.Equal(AcquireFailure.ShuttingDown, (await queued.ExpectMsgAsync<LockNotAcquired>()).Reason);
        await requester.ExpectMsgAsync(new ForceReleased(1));

        node.Manager.Tell(new Acquire("new-key"), requester);
        var refused = await requester.ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.ShuttingDown, refused.Reason);
        Assert.Contains("new-key", refused.Message);
        Assert.Empty(Redis.KeysUnder(Prefix + "{"));
    }
}
