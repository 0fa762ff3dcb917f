using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Redis;

/// <summary>
/// Release notifications must survive the faults of a real Redis: a node that silently lost its
/// subscription would only wake on the fallback timer and lose every hand-off to nodes that hear
/// releases at once.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class NotificationRecoverySpec(ITestOutputHelper output)
    : PrivateRedisSpec(NewServer(), output, "lock.retry-interval = 5s")
{
    private async Task AssertWokenByReleaseAsync(string key)
    {
        // The holder releases through Redis directly, as another process would.
        var holderToken = "other-process";
        await using var other = await ConnectionMultiplexer.ConnectAsync(Server.Configuration);
        await AwaitAssertAsync(async () =>
            Assert.True(await other.GetDatabase().StringSetAsync(Locks.Keys.LockKey(key), holderToken, TimeSpan.FromSeconds(30), When.NotExists)),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));

        // The node has reconnected once it answers a status question again.
        await AwaitAssertAsync(async () =>
            Assert.True((await Manager.Ask<object>(new IsLocked(key), TimeSpan.FromSeconds(3)) as LockStatus)?.Locked),
            TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));

        var waiter = CreateTestProbe();
        Manager.Tell(new Acquire(key, Timeout: TimeSpan.FromSeconds(20)), waiter);
        // Its attempt was answered "held" (it left the waiting marker): from now on only a release wakes it.
        await AwaitAssertAsync(async () => Assert.True(await other.GetDatabase().KeyExistsAsync(Locks.Keys.WaitKey(key))));
        await waiter.ExpectNoMsgAsync(TimeSpan.Zero);

        Manager.Tell(new Release(key, holderToken));
        await ExpectMsgAsync<LockReleased>(TimeSpan.FromSeconds(5));
        // Well inside the 5 s fallback: only a live subscription explains it.
        await waiter.ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Waiters_are_still_woken_by_releases_after_the_pubsub_connection_is_killed()
    {
        await AssertWokenByReleaseAsync("before");
        using var admin = await ConnectionMultiplexer.ConnectAsync(Server.Configuration + ",allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        await AssertWokenByReleaseAsync("after-kill");
    }

    [Fact]
    public async Task Waiters_are_still_woken_by_releases_after_a_Redis_restart()
    {
        await AssertWokenByReleaseAsync("before");
        await Server.RestartAsync();
        await AssertWokenByReleaseAsync("after-restart");
    }
}
