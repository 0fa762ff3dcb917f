using System.Diagnostics;
using Akka.Actor;
using Lock.Actors.Redis;
using Lock.Actors.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Watching;

[Collection(RedisCollection.Name)]
public sealed class WatchLockSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    [Fact]
    public async Task A_watcher_hears_the_state_then_every_change_made_on_any_node_in_order()
    {
        var other = await StartNodeAsync("node-b");
        var watcher = CreateTestProbe();
        Manager.Tell(new WatchLock("watched", watcher));
        Assert.Equal(new LockStateChanged("watched", false, null), await watcher.ExpectMsgAsync<LockStateChanged>());

        // Holds from both nodes, back to back: the watcher hears each grant and each release, in order.
        var expected = new List<LockStateChanged>();
        for (var i = 0; i < 10; i++)
        {
            var manager = i % 2 == 0 ? other.Manager : Manager;
            var acquired = await manager.Ask<LockAcquired>(new Acquire("watched"), RemainingOrDefault);
            await manager.Ask<LockReleased>(new Release("watched", acquired.Token), RemainingOrDefault);
            expected.Add(new LockStateChanged("watched", true, acquired.FencingToken));
            expected.Add(new LockStateChanged("watched", false, acquired.FencingToken));
        }
        var heard = new List<LockStateChanged>();
        for (var i = 0; i < expected.Count; i++) heard.Add(await watcher.ExpectMsgAsync<LockStateChanged>());
        Assert.Equal(expected, heard);
    }

    [Fact]
    public async Task A_lock_held_before_the_watch_is_its_first_state()
    {
        var acquired = await Manager.Ask<LockAcquired>(new Acquire("held-first"), RemainingOrDefault);
        var watcher = CreateTestProbe();
        Manager.Tell(new WatchLock("held-first", watcher));
        Assert.Equal(new LockStateChanged("held-first", true, acquired.FencingToken), await watcher.ExpectMsgAsync<LockStateChanged>());
    }

    [Fact]
    public async Task A_crashed_holder_is_seen_released_when_its_TTL_ends_and_not_before()
    {
        var other = await StartNodeAsync("node-b");
        var watcher = CreateTestProbe(other.System);
        other.Manager.Tell(new WatchLock("crashed", watcher));
        await watcher.ExpectMsgAsync<LockStateChanged>();

        // A holder that never releases or extends: the grant made by the script itself, as a node that
        // died right after it would leave it.
        var ttl = TimeSpan.FromMilliseconds(800);
        var names = Locks.Keys.NamesOf("crashed");
        var granted = Stopwatch.StartNew();
        var reply = (RedisResult[])(await Redis.Db.ScriptEvaluateAsync(LockScripts.AcquireOrRelease,
            names.ScriptKeys(),
            [86_400_000, Locks.Keys.ReleaseChannel.ToString(), FencingTokens.ReseedWindowMicroseconds, Locks.Keys.ChangeChannel.ToString(), 1_000,
             "a", "crashed-holder-token", (long)ttl.TotalMilliseconds, ""]))!;
        var fence = (long)reply[1];

        Assert.Equal(new LockStateChanged("crashed", true, fence), await watcher.ExpectMsgAsync<LockStateChanged>());
        var released = await watcher.ExpectMsgAsync<LockStateChanged>(TimeSpan.FromSeconds(5));
        var after = granted.Elapsed;
        Assert.Equal(new LockStateChanged("crashed", false, fence), released);
        // Never told while the key still exists; told within one retry-interval (100 ms) of the TTL,
        // plus what a shared machine adds to a timer.
        Assert.False(await Redis.Db.KeyExistsAsync(names.Lock));
        Assert.True(after >= ttl, $"told released after {after.TotalMilliseconds} ms, before the {ttl.TotalMilliseconds} ms TTL");
        Assert.True(after < ttl + TimeSpan.FromMilliseconds(100 + 250), $"told released {after.TotalMilliseconds} ms after the grant");
    }

    [Fact]
    public async Task Unwatching_or_stopping_ends_a_watch_and_the_last_one_ends_the_key_watch()
    {
        var stays = CreateTestProbe();
        var leaves = CreateTestProbe();
        var stops = CreateTestProbe();
        foreach (var probe in new[] { stays, leaves, stops })
        {
            Manager.Tell(new WatchLock("unwatched", probe));
            await probe.ExpectMsgAsync<LockStateChanged>();
        }
        // Watching twice is one watch: no second first-state.
        Manager.Tell(new WatchLock("unwatched", stays));

        Manager.Tell(new UnwatchLock("unwatched", leaves));
        Watch(stops);
        Sys.Stop(stops);
        await ExpectTerminatedAsync(stops);

        var acquired = await Manager.Ask<LockAcquired>(new Acquire("unwatched"), RemainingOrDefault);
        Assert.Equal(new LockStateChanged("unwatched", true, acquired.FencingToken), await stays.ExpectMsgAsync<LockStateChanged>());
        // The one watch actor tells every watcher in one go: the others would have heard it by now.
        await leaves.ExpectNoMsgAsync(TimeSpan.Zero);
        await stays.ExpectNoMsgAsync(TimeSpan.Zero);

        Manager.Tell(new UnwatchLock("unwatched", stays));
        await AwaitAssertAsync(async () =>
        {
            var watches = await Sys.ActorSelection(Manager.Path / "watches" / "*").Ask<ActorIdentity>(new Identify(1), RemainingOrDefault);
            Assert.Null(watches.Subject);
        }, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Bad_watch_requests_are_refused_by_name_and_harmless()
    {
        Manager.Tell(new WatchLock("", TestActor));
        var blank = await ExpectMsgAsync<WatchFailed>();
        Assert.Equal(LockFailure.InvalidRequest, blank.Reason);
        Assert.Contains("empty", blank.Message);

        Manager.Tell(new WatchLock("no-watcher", null!));
        var noWatcher = await ExpectMsgAsync<WatchFailed>();
        Assert.Equal("no-watcher", noWatcher.Key);
        Assert.Contains("watcher", noWatcher.Message);

        Manager.Tell(new UnwatchLock("never-watched", TestActor));
        Manager.Tell(new UnwatchLock(null!, null!));
        Manager.Tell(new UnwatchLeader("never-watched", TestActor));

        // The manager is still serving.
        await Manager.Ask<LockAcquired>(new Acquire("still-serving"), RemainingOrDefault);
    }
}
