using System.Diagnostics;
using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Redis;

/// <summary>Real faults on a private redis-server: stopped, restarted with its data lost, paused.</summary>
[Collection(AloneCollection.Name)]
public sealed class RedisOutageSpec(ITestOutputHelper output) : PrivateRedisSpec(NewServer(), output)
{
    [Fact]
    public async Task Acquire_fails_as_unavailable_within_its_timeout_while_Redis_is_down_and_works_again_after()
    {
        await Server.StopAsync();

        var clock = Stopwatch.StartNew();
        Manager.Tell(new Acquire("outage", Timeout: TimeSpan.FromSeconds(2)));
        var failed = await ExpectMsgAsync<LockNotAcquired>(TimeSpan.FromSeconds(3));
        Assert.Equal(AcquireFailure.Unavailable, failed.Reason);
        Assert.Contains("outage", failed.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"answered after {clock.Elapsed}");

        Manager.Tell(new Release("outage", "token"));
        Assert.Equal(LockFailure.Unavailable, (await ExpectMsgAsync<ReleaseFailed>(TimeSpan.FromSeconds(3))).Reason);
        Manager.Tell(new Extend("outage", "token"));
        Assert.Equal(LockFailure.Unavailable, (await ExpectMsgAsync<ExtendFailed>(TimeSpan.FromSeconds(3))).Reason);
        Manager.Tell(new IsLocked("outage"));
        Assert.Equal(LockFailure.Unavailable, (await ExpectMsgAsync<LockStatusFailed>(TimeSpan.FromSeconds(3))).Reason);

        await Server.StartAgainAsync();
        await AwaitAssertAsync(async () =>
        {
            Manager.Tell(new Acquire("outage", Timeout: TimeSpan.FromSeconds(1)));
            await ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(2));
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_grant_that_arrives_after_the_caller_gave_up_is_released_not_left_behind()
    {
        using var admin = await ConnectionMultiplexer.ConnectAsync(Server.Configuration + ",allowAdmin=true");
        var db = admin.GetDatabase();
        var lockKey = Locks.Keys.LockKey("paused");

        // Redis stops answering for longer than the caller waits.
        await db.ExecuteAsync("CLIENT", "PAUSE", "1500", "ALL");
        Manager.Tell(new Acquire("paused", Timeout: TimeSpan.FromMilliseconds(300)));
        var failed = await ExpectMsgAsync<LockNotAcquired>(TimeSpan.FromSeconds(1));
        Assert.Equal(AcquireFailure.Unavailable, failed.Reason);

        // When the pause ends, the queued SET runs and succeeds; the key actor must give it back.
        await AwaitAssertAsync(async () => Assert.False(await db.KeyExistsAsync(lockKey)), TimeSpan.FromSeconds(6));
        Manager.Tell(GetActiveLocks.Instance);
        Assert.Empty((await ExpectMsgAsync<ActiveLocks>()).Locks);
    }

    [Fact]
    public async Task The_watchdog_reports_LockLost_when_a_Redis_restart_wiped_the_lock()
    {
        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("wiped", Ttl: TimeSpan.FromSeconds(1), AutoExtend: true, Owner: owner));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        await Server.RestartAsync(); // no persistence: every key is gone

        var lost = await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(8));
        Assert.Equal(acquired.Token, lost.Token);

        // After the restart the counter is seeded from the server clock, so tokens keep increasing.
        await AwaitAssertAsync(async () =>
        {
            Manager.Tell(new Acquire("wiped", Timeout: TimeSpan.FromSeconds(1)));
            var again = await ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(2));
            Assert.True(again.FencingToken > acquired.FencingToken);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_held_lock_is_reported_lost_when_its_ttl_ends_while_Redis_is_paused_not_when_the_client_gives_up()
    {
        using var admin = await ConnectionMultiplexer.ConnectAsync(Server.Configuration + ",allowAdmin=true");
        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("paused-holder", Ttl: TimeSpan.FromMilliseconds(900), AutoExtend: true, Owner: owner));
        await ExpectMsgAsync<LockAcquired>();

        // The pause outlasts the TTL, and the client's own timeout (2 s) is longer than the TTL: the
        // loss must be declared when the lock's validity ends, not when the hung extend times out.
        var clock = Stopwatch.StartNew();
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "4000", "ALL");
        var lost = await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(3));
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(1700), $"LockLost after {clock.Elapsed}");
        Assert.Contains("did not answer", lost.Reason);
    }

    [Fact]
    public async Task A_slow_server_DEBUG_SLEEP_gives_a_prompt_unavailable_not_a_hang()
    {
        using var admin = await ConnectionMultiplexer.ConnectAsync(Server.Configuration + ",allowAdmin=true");
        using var probe = await ConnectionMultiplexer.ConnectAsync(Server.Configuration);
        var sleep = admin.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", "1.5");
        await WaitUntilStalledAsync(probe, sleep);

        var clock = Stopwatch.StartNew();
        Manager.Tell(new Acquire("sleepy", Timeout: TimeSpan.FromMilliseconds(400)));
        var failed = await ExpectMsgAsync<LockNotAcquired>(TimeSpan.FromSeconds(1.2));
        Assert.Equal(AcquireFailure.Unavailable, failed.Reason);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.2), $"answered after {clock.Elapsed}");
    }

    // The sleep is in effect once a PING on a separate connection stops being answered promptly.
    private static async Task WaitUntilStalledAsync(IConnectionMultiplexer probe, Task sleep)
    {
        while (true)
        {
            if (sleep.IsFaulted) await sleep; // surfaces why the server refused to sleep
            Assert.False(sleep.IsCompleted, "the server finished sleeping before the stall was seen");
            var ping = probe.GetDatabase().PingAsync();
            if (await Task.WhenAny(ping, Task.Delay(50)) != ping) return;
        }
    }
}
