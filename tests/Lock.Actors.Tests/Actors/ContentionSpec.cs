using System.Collections.Concurrent;
using Akka.Actor;
using Lock.Actors.Actors;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

/// <summary>Two nodes (ActorSystems, each with its own connection) contending on the same keys.</summary>
[Collection(RedisCollection.Name)]
public sealed class ContentionSpec(RedisFixture redis, ITestOutputHelper output)
    // A long fallback interval: any hand-off faster than it was driven by the release notification.
    : LockSpec(redis, output, "lock.retry-interval = 5s")
{
    [Fact]
    public async Task Waiter_on_another_node_is_woken_by_the_release_without_waiting_out_the_retry_interval()
    {
        var nodeB = await StartNodeAsync("node-b");
        Manager.Tell(new Acquire("daily-job", Ttl: TimeSpan.FromSeconds(30)));
        var holder = await ExpectMsgAsync<LockAcquired>();

        var waiter = CreateTestProbe();
        nodeB.Manager.Tell(new Acquire("daily-job", Timeout: TimeSpan.FromSeconds(10)), waiter);
        // Mutual exclusion: node B's attempt is answered "held", and it gets nothing.
        await WaiterSeenByRedisAsync("daily-job");
        await waiter.ExpectNoMsgAsync(TimeSpan.Zero);

        Manager.Tell(new Release("daily-job", holder.Token));
        await ExpectMsgAsync<LockReleased>();
        // Well inside the 5 s fallback and the 30 s TTL: only the notification can explain it.
        var next = await waiter.ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(2));
        Assert.True(next.FencingToken > holder.FencingToken);
    }

    [Fact]
    public async Task Waiters_on_one_node_are_served_first_in_first_out_with_increasing_fencing_tokens()
    {
        var nodeB = await StartNodeAsync("node-b");
        Manager.Tell(new Acquire("fifo"));
        var first = await ExpectMsgAsync<LockAcquired>();

        var waiters = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        foreach (var waiter in waiters)
            nodeB.Manager.Tell(new Acquire("fifo", Timeout: TimeSpan.FromSeconds(10)), waiter);
        await WaiterSeenByRedisAsync("fifo");
        await KeyActorSettledAsync("fifo", nodeB.Manager);
        foreach (var waiter in waiters) await waiter.ExpectNoMsgAsync(TimeSpan.Zero);

        Manager.Tell(new Release("fifo", first.Token));
        await ExpectMsgAsync<LockReleased>();

        var previous = first.FencingToken;
        for (var i = 0; i < waiters.Count; i++)
        {
            var granted = await waiters[i].ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(2));
            Assert.True(granted.FencingToken > previous, "fencing tokens must increase at each hand-off");
            previous = granted.FencingToken;
            // Nobody behind the head holds the key at the same time (a grant would have come with the head's).
            await KeyActorSettledAsync("fifo", nodeB.Manager);
            foreach (var later in waiters.Skip(i + 1)) await later.ExpectNoMsgAsync(TimeSpan.Zero);
            nodeB.Manager.Tell(new Release("fifo", granted.Token), waiters[i]);
            await waiters[i].ExpectMsgAsync<LockReleased>();
        }
    }

    [Fact]
    public async Task Only_the_head_of_a_local_queue_talks_to_Redis()
    {
        Manager.Tell(new Acquire("queue-head"));
        await ExpectMsgAsync<LockAcquired>();

        var store = new CountingStore(Locks.Store);
        var otherManager = Sys.ActorOf(LockManagerActor.Props(Locks.Settings, store, Locks.Metrics), "counted-manager");
        var waiters = Enumerable.Range(0, 5).Select(_ => CreateTestProbe()).ToList();
        foreach (var waiter in waiters)
            otherManager.Tell(new Acquire("queue-head", Timeout: TimeSpan.FromSeconds(10)), waiter);
        await WaiterSeenByRedisAsync("queue-head");
        await KeyActorSettledAsync("queue-head", otherManager);
        foreach (var waiter in waiters) await waiter.ExpectNoMsgAsync(TimeSpan.Zero);

        // Five waiters, one attempt: the others wait in the key actor, not on Redis.
        Assert.Equal(1, store.Acquires);
    }

    /// <summary>Takes a key, gives it back, asks again: forever, as a busy local worker does.</summary>
    private sealed class Cycler : ReceiveActor
    {
        public Cycler(IActorRef manager, string key)
        {
            Receive<LockAcquired>(held => manager.Tell(new Release(key, held.Token)));
            Receive<LockReleased>(_ => manager.Tell(new Acquire(key, Timeout: TimeSpan.FromSeconds(30))));
            Receive<LockNotAcquired>(_ => manager.Tell(new Acquire(key, Timeout: TimeSpan.FromSeconds(30))));
            manager.Tell(new Acquire(key, Timeout: TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public async Task A_node_cycling_a_key_among_its_own_waiters_cannot_starve_another_node()
    {
        var nodeB = await StartNodeAsync("node-b");
        // Two busy workers on node A: whenever one releases, the other is queued locally.
        var cyclers = Enumerable.Range(0, 2)
            .Select(i => Sys.ActorOf(Props.Create(() => new Cycler(Manager, "busy-key")), $"cycler-{i}"))
            .ToList();
        await AwaitAssertAsync(async () => Assert.True(await Redis.Db.KeyExistsAsync(RedisKey("busy-key"))));

        // Node B is woken by every release; it must win one of them, not only node A's own queue.
        var waits = new List<double>();
        for (var round = 0; round < 10; round++)
        {
            var outsider = CreateTestProbe();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            nodeB.Manager.Tell(new Acquire("busy-key", Timeout: TimeSpan.FromSeconds(4)), outsider);
            var reply = await outsider.ExpectMsgAsync<object>(TimeSpan.FromSeconds(6));
            waits.Add(clock.Elapsed.TotalMilliseconds);
            var acquired = Assert.IsType<LockAcquired>(reply);
            nodeB.Manager.Tell(new Release("busy-key", acquired.Token), outsider);
            await outsider.ExpectMsgAsync<LockReleased>();
        }
        foreach (var cycler in cyclers) Sys.Stop(cycler);
        Output.WriteLine($"node B waited (ms): {string.Join(", ", waits.Select(w => w.ToString("0")))}");
    }

    [Fact]
    public async Task Two_nodes_hammering_one_key_never_hold_it_at_once_and_fencing_tokens_follow_the_order_of_entry()
    {
        var nodeB = await StartNodeAsync("node-b");
        var services = new[] { Locks.Service, nodeB.Service };
        var occupancy = 0;
        var maxOccupancy = 0;
        var entries = new ConcurrentQueue<long>();
        var gate = new object();
        long lastFence = 0;
        var outOfOrder = 0;

        var workers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var service = services[i % 2];
            for (var n = 0; n < 15; n++)
            {
                await using var handle = await service.AcquireAsync("hot", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
                var now = Interlocked.Increment(ref occupancy);
                lock (gate)
                {
                    maxOccupancy = Math.Max(maxOccupancy, now);
                    if (handle.FencingToken <= lastFence) outOfOrder++;
                    lastFence = handle.FencingToken;
                }
                entries.Enqueue(handle.FencingToken);
                await Task.Yield();
                Interlocked.Decrement(ref occupancy);
            }
        })).ToArray();
        await Task.WhenAll(workers);

        Assert.Equal(1, maxOccupancy);
        Assert.Equal(0, outOfOrder);
        Assert.Equal(8 * 15, entries.Count);
        Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("hot")));
    }

    [Fact]
    public async Task A_lock_that_expires_instead_of_being_released_is_taken_by_the_waiter_at_its_ttl()
    {
        var nodeB = await StartNodeAsync("node-b");
        // A holder that never releases (a crashed process): only the TTL frees the key.
        await Redis.Db.StringSetAsync(RedisKey("crashed"), "dead-holder", TimeSpan.FromMilliseconds(700));

        var waiter = CreateTestProbe();
        nodeB.Manager.Tell(new Acquire("crashed", Timeout: TimeSpan.FromSeconds(10)), waiter);
        // The fallback timer is capped by the holder's remaining TTL, not the 5 s retry interval.
        await waiter.ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_waiter_with_a_short_timeout_behind_one_with_a_long_timeout_is_answered_at_its_own_deadline()
    {
        // Held elsewhere for the whole test.
        await Redis.Db.StringSetAsync(RedisKey("busy"), "elsewhere", TimeSpan.FromSeconds(30));
        var patient = CreateTestProbe();
        var hurried = CreateTestProbe();
        Manager.Tell(new Acquire("busy", Timeout: TimeSpan.FromSeconds(20)), patient);
        // Let the first waiter's attempt come back, so its 20 s deadline timer is the one pending.
        await AwaitAssertAsync(async () => Assert.True(await Redis.Db.KeyExistsAsync(Locks.Keys.WaitKey("busy"))));

        Manager.Tell(new Acquire("busy", Timeout: TimeSpan.FromMilliseconds(300)), hurried);
        var refused = await hurried.ExpectMsgAsync<LockNotAcquired>(TimeSpan.FromSeconds(2));
        Assert.Equal(AcquireFailure.Timeout, refused.Reason);
        // Had the tick refused the patient waiter too, that answer would have come first (it is ahead in the queue).
        await patient.ExpectNoMsgAsync(TimeSpan.Zero);
    }
}
