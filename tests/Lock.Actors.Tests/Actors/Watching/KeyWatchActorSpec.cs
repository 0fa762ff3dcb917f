using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Lock.Actors.Actors.Watching;
using Lock.Actors.Redis;
using Lock.Actors.Tests.Infrastructure.Unit;
using Xunit.Abstractions;
using static Lock.Actors.Actors.Watching.WatchProtocol;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors.Watching;

/// <summary>
/// The per-key watch actor without Redis: the spec plays the store (<see cref="ProbeLockStore"/>) and
/// the announcements, and moves the actor's timers with Akka's TestScheduler.
/// </summary>
[Trait("Category", "Unit")]
public sealed class KeyWatchActorSpec : TestKit
{
    private const string Key = "job";
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly TestScheduler _scheduler;
    private readonly TestProbe _redis;
    private readonly IActorRef _watch;

    public KeyWatchActorSpec(ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString($$"""
            akka.loglevel = INFO
            akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
            lock.retry-interval = {{(int)RetryInterval.TotalMilliseconds}}ms
            """).WithFallback(DistributedLocks.DefaultConfig()), output: output)
    {
        _scheduler = (TestScheduler)Sys.Scheduler;
        _redis = CreateTestProbe("redis");
        var store = new ProbeLockStore(_redis.Ref, TimeSpan.FromSeconds(5));
        _watch = Sys.ActorOf(KeyWatchActor.Props(Key, LockSettings.Create(Sys.Settings.Config.GetConfig("lock")), store), "watch");
    }

    private static LockChange Granted(long token, TimeSpan? ttl = null, string? label = null) =>
        new("lock:unit:{job}", true, token, ttl ?? TimeSpan.FromSeconds(30), label);

    private static LockChange Released(long token) => new("lock:unit:{job}", false, token, null, null);

    private Task<ProbeLockStore.Watch> ExpectReadAsync() => _redis.ExpectMsgAsync<ProbeLockStore.Watch>().AsTask();

    // Twice, for the reason KeyLockActorSpec.SettledAsync gives.
    private async Task SettledAsync()
    {
        await _watch.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(3));
        await _watch.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(3));
    }

    private async Task AdvanceAsync(TimeSpan by)
    {
        await SettledAsync();
        _scheduler.Advance(by);
    }

    private async Task<TestProbe> WatchingAsync(long? counter = 4)
    {
        var watcher = CreateTestProbe();
        _watch.Tell(new AddWatch(new Watch(Key, watcher, null)));
        (await ExpectReadAsync()).Answer(false, counter);
        Assert.Equal(new LockStateChanged(Key, false, counter), await watcher.ExpectMsgAsync<LockStateChanged>());
        return watcher;
    }

    [Fact]
    public async Task Announcements_before_the_first_read_are_applied_after_it_and_watchers_hear_only_the_result()
    {
        var watcher = CreateTestProbe();
        _watch.Tell(new AddWatch(new Watch(Key, watcher, null)));
        var read = await ExpectReadAsync();
        _watch.Tell(new ChangeAnnounced(Key, Granted(6)));
        await SettledAsync();
        await watcher.ExpectNoMsgAsync(TimeSpan.Zero);

        read.Answer(false, 5);
        Assert.Equal(new LockStateChanged(Key, true, 6), await watcher.ExpectMsgAsync<LockStateChanged>());
        await SettledAsync();
        await watcher.ExpectNoMsgAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task A_hold_is_read_again_when_its_announced_ttl_is_over_and_its_expiry_told()
    {
        var watcher = await WatchingAsync();
        _watch.Tell(new ChangeAnnounced(Key, Granted(7, TimeSpan.FromSeconds(2))));
        Assert.Equal(new LockStateChanged(Key, true, 7), await watcher.ExpectMsgAsync<LockStateChanged>());

        await AdvanceAsync(TimeSpan.FromMilliseconds(1999));
        Assert.False(_redis.HasMessages, "read before the TTL was over");
        await AdvanceAsync(TimeSpan.FromMilliseconds(2));
        // Still held (extended): the next read comes when the TTL it reports is over.
        (await ExpectReadAsync()).Answer(true, 7, remainingTtl: TimeSpan.FromSeconds(1));
        await AdvanceAsync(TimeSpan.FromMilliseconds(1001));
        (await ExpectReadAsync()).Answer(false, 7);
        Assert.Equal(new LockStateChanged(Key, false, 7), await watcher.ExpectMsgAsync<LockStateChanged>());
    }

    [Fact]
    public async Task A_released_hold_needs_no_read_at_its_ttl()
    {
        var watcher = await WatchingAsync();
        _watch.Tell(new ChangeAnnounced(Key, Granted(7, TimeSpan.FromSeconds(2))));
        _watch.Tell(new ChangeAnnounced(Key, Released(7)));
        await watcher.ExpectMsgAsync<LockStateChanged>();
        Assert.Equal(new LockStateChanged(Key, false, 7), await watcher.ExpectMsgAsync<LockStateChanged>());
        await AdvanceAsync(TimeSpan.FromSeconds(3));
        await SettledAsync();
        Assert.False(_redis.HasMessages, "read a released hold at its TTL");
    }

    [Fact]
    public async Task A_failed_read_is_tried_again_after_the_retry_interval()
    {
        var watcher = CreateTestProbe();
        _watch.Tell(new AddWatch(new Watch(Key, watcher, null)));
        (await ExpectReadAsync()).Fail("connection lost");
        await AdvanceAsync(RetryInterval - TimeSpan.FromMilliseconds(1));
        Assert.False(_redis.HasMessages);
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        (await ExpectReadAsync()).Answer(true, 9, "leader-a", TimeSpan.FromSeconds(30));
        Assert.Equal(new LockStateChanged(Key, true, 9), await watcher.ExpectMsgAsync<LockStateChanged>());
    }

    [Fact]
    public async Task A_read_asked_while_one_is_in_flight_follows_it_once()
    {
        var watcher = await WatchingAsync();
        _watch.Tell(ReadAll.Instance);
        var first = await ExpectReadAsync();
        _watch.Tell(ReadAll.Instance);
        _watch.Tell(ReadAll.Instance);
        await SettledAsync();
        Assert.False(_redis.HasMessages);
        first.Answer(false, 4);
        (await ExpectReadAsync()).Answer(false, 4);
        await SettledAsync();
        Assert.False(_redis.HasMessages);
        await watcher.ExpectNoMsgAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task The_watch_marker_is_renewed_with_a_read_every_ten_seconds()
    {
        await WatchingAsync();
        await AdvanceAsync(KeyWatchActor.MarkerRenewal - TimeSpan.FromMilliseconds(1));
        Assert.False(_redis.HasMessages);
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        await ExpectReadAsync();
        Assert.True(KeyWatchActor.MarkerRenewal * 2 < KeyWatchActor.MarkerTtl, "a renewal missed once must not lose the marker");
    }

    [Fact]
    public async Task Leader_watchers_hear_the_holder_label_and_nobody_between_terms()
    {
        var lockWatcher = await WatchingAsync();
        var leaderWatcher = CreateTestProbe();
        _watch.Tell(new AddWatch(new Watch(Key, leaderWatcher, "job")));
        Assert.Equal(new LeaderChanged("job", null, null), await leaderWatcher.ExpectMsgAsync<LeaderChanged>());

        _watch.Tell(new ChangeAnnounced(Key, Granted(8, label: "node-a")));
        _watch.Tell(new ChangeAnnounced(Key, Granted(9, label: "node-b"))); // 8's end was not announced
        Assert.Equal(new LeaderChanged("job", "node-a", 8), await leaderWatcher.ExpectMsgAsync<LeaderChanged>());
        Assert.Equal(new LeaderChanged("job", null, null), await leaderWatcher.ExpectMsgAsync<LeaderChanged>());
        Assert.Equal(new LeaderChanged("job", "node-b", 9), await leaderWatcher.ExpectMsgAsync<LeaderChanged>());
        Assert.Equal(
            [new LockStateChanged(Key, true, 8), new LockStateChanged(Key, false, 8), new LockStateChanged(Key, true, 9)],
            [await lockWatcher.ExpectMsgAsync<LockStateChanged>(), await lockWatcher.ExpectMsgAsync<LockStateChanged>(), await lockWatcher.ExpectMsgAsync<LockStateChanged>()]);

        // Removed: told nothing more.
        _watch.Tell(new RemoveWatch(new Watch(Key, leaderWatcher, "job")));
        _watch.Tell(new ChangeAnnounced(Key, Released(9)));
        await lockWatcher.ExpectMsgAsync<LockStateChanged>();
        await leaderWatcher.ExpectNoMsgAsync(TimeSpan.Zero);
    }
}
