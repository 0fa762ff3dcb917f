using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

[Collection(RedisCollection.Name)]
public sealed class PassivationSpec(RedisFixture redis, ITestOutputHelper output)
    : LockSpec(redis, output, "lock.idle-timeout = 200ms")
{
    [Fact]
    public async Task Idle_key_actors_stop_and_the_keys_still_work_afterwards()
    {
        for (var i = 0; i < 50; i++)
        {
            Manager.Tell(new Acquire($"k{i}"));
            var acquired = await ExpectMsgAsync<LockAcquired>();
            Manager.Tell(new Release($"k{i}", acquired.Token));
            await ExpectMsgAsync<LockReleased>();
        }
        Assert.True(await KeyActorCountAsync() > 0);

        await AwaitAssertAsync(async () => Assert.Equal(0, await KeyActorCountAsync()), TimeSpan.FromSeconds(5));

        Manager.Tell(new Acquire("k7"));
        await ExpectMsgAsync<LockAcquired>();
    }

    [Fact]
    public async Task A_key_actor_with_a_holder_or_waiters_is_not_passivated()
    {
        Manager.Tell(new Acquire("held", Ttl: TimeSpan.FromSeconds(30)));
        var holder = await ExpectMsgAsync<LockAcquired>();
        var waiter = CreateTestProbe();
        Manager.Tell(new Acquire("held", Timeout: TimeSpan.FromSeconds(10)), waiter);

        // Several idle timeouts pass; the key actor must keep its holder and its queue.
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(800));
        Assert.Equal(1, await KeyActorCountAsync());

        Manager.Tell(new Release("held", holder.Token));
        await ExpectMsgAsync<LockReleased>();
        await waiter.ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(2));
    }
}

/// <summary>
/// An idle timeout far shorter than a Redis round trip makes the key actor ask to stop between
/// almost every two requests: the hand-shake must never lose one.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PassivationRaceSpec(RedisFixture redis, ITestOutputHelper output)
    : LockSpec(redis, output, "lock.idle-timeout = 1ms")
{
    [Fact]
    public async Task No_request_is_lost_while_key_actors_passivate_constantly()
    {
        var probes = Enumerable.Range(0, 4).Select(_ => CreateTestProbe()).ToList();
        for (var round = 0; round < 60; round++)
        {
            var probe = probes[round % probes.Count];
            Manager.Tell(new Acquire("churn", Timeout: TimeSpan.FromSeconds(5)), probe);
            var acquired = await probe.ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(5));
            Manager.Tell(new IsLocked("churn"), probe);
            Assert.True((await probe.ExpectMsgAsync<LockStatus>()).Locked);
            Manager.Tell(new Release("churn", acquired.Token), probe);
            await probe.ExpectMsgAsync<LockReleased>(TimeSpan.FromSeconds(5));
        }
        await AwaitAssertAsync(async () => Assert.Equal(0, await KeyActorCountAsync()), TimeSpan.FromSeconds(5));
    }
}
