using System.Diagnostics;
using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Reliability;

[Collection(AloneCollection.Name)]
public sealed class LoadSpec(RedisFixture redis, ITestOutputHelper output)
    : LockSpec(redis, output, "lock.idle-timeout = 300ms")
{
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Ten_thousand_waiters_over_a_thousand_keys_complete_within_their_timeout_and_the_node_drains()
    {
        const int keys = 1000, waitersPerKey = 10;
        var timeout = TimeSpan.FromSeconds(10);
        await WarmUpAsync();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var clock = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, keys * waitersPerKey).Select(async i =>
        {
            var key = $"load:{i % keys}";
            var started = Stopwatch.GetTimestamp();
            var reply = await Manager.Ask<object>(new Acquire(key, Ttl: TimeSpan.FromSeconds(30), Timeout: timeout), timeout + TimeSpan.FromSeconds(5));
            var waited = Stopwatch.GetElapsedTime(started);
            if (reply is LockAcquired acquired)
                Assert.IsType<LockReleased>(await Manager.Ask<object>(new Release(key, acquired.Token), TimeSpan.FromSeconds(15)));
            return (Reply: reply, Waited: waited);
        }));
        Output.WriteLine($"10,000 waiters over 1,000 keys: {clock.ElapsedMilliseconds} ms, " +
                         $"longest wait {outcomes.Max(o => o.Waited).TotalMilliseconds:0} ms");

        // Every request got its answer, none later than its timeout plus 100 ms.
        Assert.All(outcomes, o => Assert.True(o.Waited <= timeout + Slack, $"answered after {o.Waited}"));
        Assert.All(outcomes, o => Assert.True(o.Reply is LockAcquired or LockNotAcquired { Reason: AcquireFailure.Timeout }, $"{o.Reply}"));

        // The node drains: no lock, no waiter, and the idle key actors go away.
        Manager.Tell(GetActiveLocks.Instance);
        Assert.Empty((await ExpectMsgAsync<ActiveLocks>()).Locks);
        Assert.Equal(0, Locks.Metrics.Waiters);
        await AwaitAssertAsync(async () => Assert.Equal(0, await KeyActorCountAsync()), TimeSpan.FromSeconds(10));
        Assert.Empty(Redis.KeysUnder(Prefix + "{"));

        // And so does the memory they used.
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        Output.WriteLine($"managed heap before {heapBefore / 1024} KiB, after {heapAfter / 1024} KiB");
        Assert.True(heapAfter - heapBefore < 20 * 1024 * 1024, $"heap grew by {(heapAfter - heapBefore) / 1024} KiB");
    }

    [Fact]
    public async Task A_waiter_never_returns_before_its_timeout_while_the_key_stays_held_and_never_much_after()
    {
        Manager.Tell(new Acquire("held", Ttl: TimeSpan.FromMinutes(1)));
        await ExpectMsgAsync<LockAcquired>();

        var timeouts = new[] { 0, 50, 120, 250, 400, 700, 1000, 1500 }.Select(ms => TimeSpan.FromMilliseconds(ms)).ToList();
        var results = await Task.WhenAll(timeouts.Select(async timeout =>
        {
            var clock = Stopwatch.StartNew();
            var reply = await Manager.Ask<LockNotAcquired>(new Acquire("held", Timeout: timeout), TimeSpan.FromSeconds(10));
            return (Timeout: timeout, Waited: clock.Elapsed, reply.Reason);
        }));
        foreach (var (timeout, waited, reason) in results)
        {
            Output.WriteLine($"timeout {timeout.TotalMilliseconds} ms: answered after {waited.TotalMilliseconds:0.0} ms");
            Assert.Equal(AcquireFailure.Timeout, reason);
            Assert.True(waited >= timeout, $"timeout {timeout} answered early, after {waited}");
            Assert.True(waited <= timeout + Slack, $"timeout {timeout} answered late, after {waited}");
        }
    }

    private async Task WarmUpAsync()
    {
        for (var i = 0; i < 50; i++)
        {
            var acquired = await Manager.Ask<LockAcquired>(new Acquire($"warm:{i}"));
            await Manager.Ask<LockReleased>(new Release(acquired.Key, acquired.Token));
        }
        await AwaitAssertAsync(async () => Assert.Equal(0, await KeyActorCountAsync()), TimeSpan.FromSeconds(10));
    }
}
