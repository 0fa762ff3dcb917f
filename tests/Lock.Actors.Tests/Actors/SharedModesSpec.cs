using System.Diagnostics;
using Akka.Actor;
using Lock.Actors.Redis;
using Lock.Actors.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

/// <summary>Read locks and permits on a real Redis, from two nodes: who shares, who waits, and how shares end.</summary>
[Collection(RedisCollection.Name)]
public sealed class SharedModesSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static Acquire Read(string key, TimeSpan? timeout = null, bool autoExtend = false, IActorRef? owner = null, TimeSpan? ttl = null) =>
        new(key, ttl, timeout ?? Wait, autoExtend, owner, LockMode.Shared);

    private static Acquire Permit(string key, int limit, TimeSpan? timeout = null, bool autoExtend = false, IActorRef? owner = null, TimeSpan? ttl = null) =>
        new(key, ttl, timeout ?? Wait, autoExtend, owner, LockMode.Shared, limit);

    private RedisKey SharedKey(string key) => Locks.Keys.SharedKey(key);

    [Fact]
    public async Task Readers_on_both_nodes_share_the_key_and_a_writer_excludes_everyone()
    {
        var other = await StartNodeAsync("node-b");
        Manager.Tell(Read("doc"));
        var readerA = await ExpectMsgAsync<LockAcquired>();
        var probeB = CreateTestProbe(other.System);
        other.Manager.Tell(Read("doc"), probeB);
        var readerB = await probeB.ExpectMsgAsync<LockAcquired>();
        Assert.NotEqual(readerA.Token, readerB.Token);
        Assert.True(readerB.FencingToken > readerA.FencingToken);

        Manager.Tell(new IsLocked("doc"));
        var shared = await ExpectMsgAsync<LockStatus>();
        Assert.Equal((true, LockMode.Shared, 2), (shared.Locked, shared.Mode, shared.Holders));

        // A writer waits for both readers.
        var writer = CreateTestProbe();
        Manager.Tell(new Acquire("doc", Timeout: Wait), writer);
        await AwaitAssertAsync(async () => Assert.True(await Redis.Db.KeyExistsAsync(Locks.Keys.NamesOf("doc").Writers)));
        Manager.Tell(new Release("doc", readerA.Token));
        await ExpectMsgAsync<LockReleased>();
        await KeyActorSettledAsync("doc");
        writer.ExpectNoMsg(TimeSpan.Zero);
        other.Manager.Tell(new Release("doc", readerB.Token), probeB);
        await probeB.ExpectMsgAsync<LockReleased>();
        var written = await writer.ExpectMsgAsync<LockAcquired>();
        Assert.True(written.FencingToken > readerB.FencingToken);

        // While the writer holds, a reader from either node waits (and here times out).
        other.Manager.Tell(Read("doc", TimeSpan.FromMilliseconds(200)), probeB);
        Assert.Equal(AcquireFailure.Timeout, (await probeB.ExpectMsgAsync<LockNotAcquired>()).Reason);
        Manager.Tell(new IsLocked("doc"));
        var exclusive = await ExpectMsgAsync<LockStatus>();
        Assert.Equal((true, LockMode.Exclusive, 1), (exclusive.Locked, exclusive.Mode, exclusive.Holders));
    }

    [Fact]
    public async Task A_writer_is_not_starved_by_a_continuous_stream_of_readers_from_both_nodes()
    {
        var other = await StartNodeAsync("node-b");
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var readsAfterWriter = 0;
        var writerDone = 0;
        // Three readers per node, each taking its next read lock before letting go of the one it holds
        // (giving up the wait for the next after 50 ms): without writer priority the key would never be
        // free of readers.
        var readers = new[] { Locks.Service, other.Service }.SelectMany(service => Enumerable.Range(0, 3).Select(async _ =>
        {
            LockHandle? held = null;
            while (!stop.IsCancellationRequested)
            {
                var next = await service.TryAcquireReadAsync("stream", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));
                if (held is not null) await held.DisposeAsync();
                held = next;
                if (next is null) continue;
                Interlocked.Increment(ref reads);
                if (Volatile.Read(ref writerDone) == 1) Interlocked.Increment(ref readsAfterWriter);
                await Task.Delay(20);
            }
            if (held is not null) await held.DisposeAsync();
        })).ToList();
        await AwaitAssertAsync(() => Assert.True(Volatile.Read(ref reads) >= 20));

        var waited = Stopwatch.StartNew();
        await using (var write = await Locks.Service.TryAcquireWriteAsync("stream", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)))
        {
            Assert.NotNull(write);
            Output.WriteLine($"writer granted after {waited.ElapsedMilliseconds} ms among {reads} reads");
            Manager.Tell(new IsLocked("stream"));
            Assert.Equal(LockMode.Exclusive, (await ExpectMsgAsync<LockStatus>()).Mode);
        }
        Volatile.Write(ref writerDone, 1);
        // The readers go on after the writer (they were only held back, not refused).
        await AwaitAssertAsync(() => Assert.True(Volatile.Read(ref readsAfterWriter) >= 6));
        stop.Cancel();
        await Task.WhenAll(readers);
    }

    [Fact]
    public async Task Readers_are_not_starved_by_a_continuous_stream_of_writers_from_two_nodes()
    {
        var other = await StartNodeAsync("node-b");
        using var stop = new CancellationTokenSource();
        var writes = 0;
        // Two writers on each of two nodes, each asking again at once: some writer always waits (a node
        // asks for the key again as soon as its own release lands; the other node's head stays waiting).
        var writers = new[] { Locks.Service, other.Service }.SelectMany(service => Enumerable.Range(0, 2).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var write = await service.AcquireWriteAsync("busy", TimeSpan.FromSeconds(5), Wait);
                Interlocked.Increment(ref writes);
                await Task.Delay(10);
            }
        })).ToList();
        await AwaitAssertAsync(() => Assert.True(Volatile.Read(ref writes) >= 10));

        // Readers from a third node get their turn after the writer that holds now (each reads and lets go:
        // a reader that held on would keep the writers, and so the other reader's turn, waiting).
        static async Task<bool> ReadOnceAsync(LockService service)
        {
            await using var read = await service.TryAcquireReadAsync("busy", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
            return read is not null;
        }
        var readerNode = await StartNodeAsync("node-c");
        var read = await Task.WhenAll(ReadOnceAsync(readerNode.Service), ReadOnceAsync(readerNode.Service));
        Assert.Equal(new[] { true, true }, read);
        var writesBefore = Volatile.Read(ref writes);
        // ... and the writers go on after them.
        await AwaitAssertAsync(() => Assert.True(Volatile.Read(ref writes) >= writesBefore + 4));
        stop.Cancel();
        await Task.WhenAll(writers);
    }

    [Fact]
    public async Task A_writer_that_stops_waiting_no_longer_keeps_new_readers_out()
    {
        Manager.Tell(Read("withdrawn"));
        await ExpectMsgAsync<LockAcquired>();
        var other = await StartNodeAsync("node-b");
        var writer = CreateTestProbe(other.System);
        other.Manager.Tell(new Acquire("withdrawn", Timeout: TimeSpan.FromMilliseconds(300)), writer);
        var writers = Locks.Keys.NamesOf("withdrawn").Writers;
        await AwaitAssertAsync(async () => Assert.Equal(1, await Redis.Db.SortedSetLengthAsync(writers)));
        var reader = CreateTestProbe();
        Manager.Tell(Read("withdrawn", TimeSpan.FromSeconds(5)), reader);

        Assert.Equal(AcquireFailure.Timeout, (await writer.ExpectMsgAsync<LockNotAcquired>()).Reason);
        var gaveUp = Stopwatch.StartNew();
        await reader.ExpectMsgAsync<LockAcquired>();
        // Its registration would have kept readers out for up to a second more (the queue TTL); withdrawn,
        // the reader is in within a retry-interval or so.
        Assert.True(gaveUp.Elapsed < TimeSpan.FromMilliseconds(600), $"reader granted {gaveUp.ElapsedMilliseconds} ms after the writer gave up");
        Assert.Equal(0, await Redis.Db.SortedSetLengthAsync(writers));
        // The reader it held back got in: no turn is kept for it after the next writer.
        Assert.Equal(0, await Redis.Db.SortedSetLengthAsync(Locks.Keys.NamesOf("withdrawn").Readers));
    }

    [Fact]
    public async Task A_crashed_holders_share_frees_after_its_ttl_on_the_server_clock()
    {
        // Shares granted by the script itself, as a node that died right after would leave them.
        var ttl = TimeSpan.FromMilliseconds(800);
        var granted = Stopwatch.StartNew();
        await CrashedShareAsync("crashed-read", "dead-reader", ttl, limit: 0);
        await CrashedShareAsync("crashed-permit", "dead-permit", ttl, limit: 1);

        Manager.Tell(new Acquire("crashed-read", Timeout: TimeSpan.FromSeconds(5)));
        await ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(6));
        Assert.True(granted.Elapsed >= ttl - TimeSpan.FromMilliseconds(50), $"writer granted {granted.ElapsedMilliseconds} ms after the dead reader's grant");
        Manager.Tell(Permit("crashed-permit", 1, TimeSpan.FromSeconds(5)));
        await ExpectMsgAsync<LockAcquired>(TimeSpan.FromSeconds(6));
        Assert.Equal(1, await Redis.Db.SortedSetLengthAsync(SharedKey("crashed-permit")));
    }

    [Fact]
    public async Task The_watchdog_keeps_a_read_lock_and_a_permit_and_LockLost_reaches_shared_holders()
    {
        var ttl = TimeSpan.FromMilliseconds(600);
        var owner = CreateTestProbe();
        Manager.Tell(Read("kept-read", autoExtend: true, owner: owner, ttl: ttl));
        var read = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(Permit("kept-permit", 2, autoExtend: true, owner: owner, ttl: ttl));
        var permit = await ExpectMsgAsync<LockAcquired>();

        // Several TTLs later both shares are still there, each expiring later than it first did.
        var firstRead = await Redis.Db.SortedSetScoreAsync(SharedKey("kept-read"), read.Token);
        var firstPermit = await Redis.Db.SortedSetScoreAsync(SharedKey("kept-permit"), permit.Token);
        await AwaitAssertAsync(async () =>
        {
            Assert.True(await Redis.Db.SortedSetScoreAsync(SharedKey("kept-read"), read.Token) > firstRead + 3 * ttl.TotalMilliseconds);
            Assert.True(await Redis.Db.SortedSetScoreAsync(SharedKey("kept-permit"), permit.Token) > firstPermit + 3 * ttl.TotalMilliseconds);
        }, TimeSpan.FromSeconds(10));

        // Wiped from Redis: the watchdog's next extend finds it gone and the owner hears of it.
        await Redis.Db.SortedSetRemoveAsync(SharedKey("kept-read"), read.Token);
        Assert.Equal(read.Token, (await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(3))).Token);
        await Redis.Db.SortedSetRemoveAsync(SharedKey("kept-permit"), permit.Token);
        Assert.Equal(permit.Token, (await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(3))).Token);
    }

    [Fact]
    public async Task An_owner_that_stops_releases_its_shared_holds_and_shutdown_releases_every_hold()
    {
        var owner = CreateTestProbe();
        Manager.Tell(Read("owned-read", owner: owner));
        var owned = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(Read("owned-read"));
        var kept = await ExpectMsgAsync<LockAcquired>();
        Sys.Stop(owner);
        await AwaitAssertAsync(async () => Assert.Null(await Redis.Db.SortedSetScoreAsync(SharedKey("owned-read"), owned.Token)));
        Assert.NotNull(await Redis.Db.SortedSetScoreAsync(SharedKey("owned-read"), kept.Token));

        var other = await StartNodeAsync("node-b");
        var probe = CreateTestProbe(other.System);
        other.Manager.Tell(Read("down-read"), probe);
        other.Manager.Tell(Read("down-read"), probe);
        other.Manager.Tell(Permit("down-permit", 3), probe);
        other.Manager.Tell(new Acquire("down-write"), probe);
        for (var i = 0; i < 4; i++) await probe.ExpectMsgAsync<LockAcquired>();
        other.Manager.Tell(GetActiveLocks.Instance, probe);
        var active = await probe.ExpectMsgAsync<ActiveLocks>();
        Assert.Equal(3, active.Locks.Count(l => l.Mode == LockMode.Shared));
        Assert.Equal(["down-write"], active.Locks.Where(l => l.Mode == LockMode.Exclusive).Select(l => l.Key));

        await other.System.Terminate();
        Assert.False(await Redis.Db.KeyExistsAsync(SharedKey("down-read")));
        Assert.False(await Redis.Db.KeyExistsAsync(SharedKey("down-permit")));
        Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("down-write")));
    }

    [Fact]
    public async Task Fencing_tokens_increase_across_modes_and_nodes()
    {
        var other = await StartNodeAsync("node-b");
        var probe = CreateTestProbe(other.System);
        var tokens = new List<long>();
        async Task<LockAcquired> On(IActorRef manager, Akka.TestKit.TestProbe replyTo, Acquire request)
        {
            manager.Tell(request, replyTo);
            var acquired = await replyTo.ExpectMsgAsync<LockAcquired>();
            tokens.Add(acquired.FencingToken);
            return acquired;
        }
        async Task Release(IActorRef manager, Akka.TestKit.TestProbe replyTo, LockAcquired held)
        {
            manager.Tell(new Release(held.Key, held.Token), replyTo);
            await replyTo.ExpectMsgAsync<LockReleased>();
        }
        var self = CreateTestProbe();
        await Release(Manager, self, await On(Manager, self, new Acquire("fenced")));
        var r1 = await On(Manager, self, Read("fenced"));
        var r2 = await On(other.Manager, probe, Read("fenced"));
        await Release(Manager, self, r1);
        await Release(other.Manager, probe, r2);
        await Release(other.Manager, probe, await On(other.Manager, probe, new Acquire("fenced")));
        var p1 = await On(other.Manager, probe, Permit("fenced", 2));
        var p2 = await On(Manager, self, Permit("fenced", 2));
        await Release(other.Manager, probe, p1);
        await Release(Manager, self, p2);
        await On(Manager, self, new Acquire("fenced"));

        Assert.Equal(7, tokens.Count);
        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [Fact]
    public async Task A_semaphore_grants_at_most_its_limit_and_a_freed_permit_wakes_a_waiter_on_the_other_node()
    {
        // A retry-interval (30 s) longer than the wait (10 s): only the release's notification can wake it.
        var other = await StartNodeAsync("node-b", "lock.retry-interval = 30s");
        var first = await Locks.Service.AcquirePermitAsync("pool", 2, TimeSpan.FromSeconds(30));
        var second = await other.Service.AcquirePermitAsync("pool", 2, TimeSpan.FromSeconds(30));
        Assert.Null(await Locks.Service.TryAcquirePermitAsync("pool", 2, timeout: TimeSpan.FromMilliseconds(100)));

        var waiting = other.Service.TryAcquirePermitAsync("pool", 2, TimeSpan.FromSeconds(30), Wait);
        await AwaitAssertAsync(async () => Assert.True(await Redis.Db.KeyExistsAsync(Locks.Keys.WaitKey("pool"))));
        await first.DisposeAsync();
        await using var third = await waiting;
        Assert.NotNull(third);
        Assert.Equal(2, await Redis.Db.SortedSetLengthAsync(SharedKey("pool")));
        await second.DisposeAsync();
    }

    [Fact]
    public async Task Every_bad_input_gets_InvalidRequest_naming_the_key_and_leaves_nothing_behind()
    {
        async Task<LockNotAcquired> Refused(Acquire request)
        {
            Manager.Tell(request);
            var refused = await ExpectMsgAsync<LockNotAcquired>();
            Assert.Equal(AcquireFailure.InvalidRequest, refused.Reason);
            Assert.Contains($"'{request.Key}'", refused.Message);
            return refused;
        }
        Assert.Contains("LockMode.Shared", (await Refused(new Acquire("bad-exclusive-limit", Limit: 3))).Message);
        Assert.Contains("at least 1", (await Refused(Permit("bad-zero", 0))).Message);
        Assert.Contains("at least 1", (await Refused(Permit("bad-negative", -2))).Message);
        await Refused(new Acquire("bad-mode", Mode: (LockMode)7));

        Manager.Tell(Permit("limited", 2));
        await ExpectMsgAsync<LockAcquired>();
        Assert.Contains("semaphore of 2 permits", (await Refused(Permit("limited", 3))).Message);
        Assert.Contains("reader", (await Refused(Read("limited"))).Message);
        Manager.Tell(Read("read-locked"));
        await ExpectMsgAsync<LockAcquired>();
        Assert.Contains("held by readers", (await Refused(Permit("read-locked", 2))).Message);

        await Assert.ThrowsAsync<LockAcquireException>(() => Locks.Service.AcquirePermitAsync("limited", 0));
        // Only the two good holds exist; the manager still answers.
        Assert.Equal(1, await Redis.Db.SortedSetLengthAsync(SharedKey("limited")));
        Assert.Equal(1, await Redis.Db.SortedSetLengthAsync(SharedKey("read-locked")));
        foreach (var key in new[] { "bad-exclusive-limit", "bad-zero", "bad-negative", "bad-mode" })
        {
            Assert.False(await Redis.Db.KeyExistsAsync(RedisKey(key)));
            Assert.False(await Redis.Db.KeyExistsAsync(SharedKey(key)));
        }
        Manager.Tell(GetActiveLocks.Instance);
        Assert.Equal(2, (await ExpectMsgAsync<ActiveLocks>()).Locks.Count);
    }

    private async Task CrashedShareAsync(string key, string token, TimeSpan ttl, int limit)
    {
        var names = Locks.Keys.NamesOf(key);
        var reply = (RedisResult[])(await Redis.Db.ScriptEvaluateAsync(LockScripts.AcquireOrRelease, names.ScriptKeys(),
            [86_400_000, Locks.Keys.ReleaseChannel.ToString(), FencingTokens.ReseedWindowMicroseconds, Locks.Keys.ChangeChannel.ToString(), 1_000,
             "s", token, (long)ttl.TotalMilliseconds, limit]))!;
        Assert.Equal(1, (long)reply[0]);
    }
}
