using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

[Collection(RedisCollection.Name)]
public sealed class OwnerSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    [Fact]
    public async Task Locks_of_an_owner_are_released_when_it_stops()
    {
        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("owned-1", Owner: owner));
        await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Acquire("owned-2", AutoExtend: true, Owner: owner));
        await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Acquire("not-owned"));
        await ExpectMsgAsync<LockAcquired>();

        Sys.Stop(owner);

        await AwaitAssertAsync(async () =>
        {
            Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("owned-1")));
            Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("owned-2")));
        }, TimeSpan.FromSeconds(5));
        Assert.True(await Redis.Db.KeyExistsAsync(RedisKey("not-owned")));
        Manager.Tell(GetActiveLocks.Instance);
        Assert.Equal(["not-owned"], (await ExpectMsgAsync<ActiveLocks>()).Locks.Select(l => l.Key));
    }

    [Fact]
    public async Task A_queued_waiter_whose_owner_stopped_is_never_granted()
    {
        Manager.Tell(new Acquire("queue"));
        var holder = await ExpectMsgAsync<LockAcquired>();

        var owner = CreateTestProbe();
        var replyTo = CreateTestProbe();
        Manager.Tell(new Acquire("queue", Timeout: TimeSpan.FromSeconds(10), Owner: owner), replyTo);
        await KeyActorSettledAsync("queue");
        await replyTo.ExpectNoMsgAsync(TimeSpan.Zero);
        Watch(owner);
        Sys.Stop(owner);
        await ExpectTerminatedAsync(owner);

        Manager.Tell(new Release("queue", holder.Token));
        await ExpectMsgAsync<LockReleased>();

        // The key stays free: the dead owner's request was dropped (or its late grant given back).
        await AwaitAssertAsync(async () =>
        {
            Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("queue")));
            Manager.Tell(GetActiveLocks.Instance);
            Assert.Empty((await ExpectMsgAsync<ActiveLocks>()).Locks);
        }, TimeSpan.FromSeconds(3));
        await KeyActorSettledAsync("queue");
        await replyTo.ExpectNoMsgAsync(TimeSpan.Zero);
    }
}
