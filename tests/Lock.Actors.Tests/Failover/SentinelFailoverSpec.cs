using System.Diagnostics;
using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Lock.Actors.Tests.Infrastructure.Topology;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Failover;

/// <summary>
/// A Sentinel set (primary, replica, three sentinels) whose primary is SIGKILLed under lock traffic,
/// with and without replication cut first. Redis replication is asynchronous, so a failover can lose
/// grants; what must hold anyway is that fencing tokens never repeat or go down, and, with replica
/// acknowledgement on, that no lock is granted twice.
/// </summary>
[Collection(AloneCollection.Name)]
[Trait("Category", "Failover")]
public sealed class SentinelFailoverSpec(ITestOutputHelper output) : TopologySpec(output)
{
    private static readonly TimeSpan LongTtl = TimeSpan.FromSeconds(30);
    private SentinelSet _set = null!;

    protected override string Configuration => _set.Configuration;

    public override async Task InitializeAsync() => _set = await SentinelSet.StartAsync();

    protected override ValueTask StopTopologyAsync() => _set.DisposeAsync();

    [Fact]
    public async Task Fencing_tokens_never_repeat_or_go_down_across_a_failover_that_lost_writes()
    {
        var a = await NodeAsync("node-a");
        var b = await NodeAsync("node-b");
        var keys = Enumerable.Range(0, 40).Select(i => $"job:{i}").ToArray();
        var issued = keys.ToDictionary(k => k, _ => new List<long>());

        // Before the cut every key is granted and released once; the replica has all of it.
        foreach (var key in keys)
        {
            var granted = await AcquireAsync(a, key, TimeSpan.FromSeconds(5));
            issued[key].Add(granted.FencingToken);
            Assert.IsType<LockReleased>(await a.Manager.Ask<object>(new Release(key, granted.Token), TimeSpan.FromSeconds(5)));
        }
        await _set.WaitForReplicationAsync();

        // After the cut every key is granted again and held: writes the replica never sees.
        await _set.CutReplicationAsync();
        foreach (var key in keys) issued[key].Add((await AcquireAsync(a, key, TimeSpan.FromSeconds(5))).FencingToken);

        var report = await KillPrimaryAndTakeAllAsync(b, keys);

        // The failover lost the second grants, so node B is granted keys node A still holds, long
        // before their TTL: Redis replication cannot prevent that. Its tokens must still be above
        // every earlier one.
        Assert.True(report.LastGrant < LongTtl / 2, $"the cut did not lose the grants: {report.Describe(keys.Length)}");
        foreach (var key in keys)
        {
            var second = report.Tokens[key];
            Assert.True(second > issued[key].Max(),
                $"{key}: token {second} after the failover is not above the tokens issued before it ({string.Join(", ", issued[key])})");
        }
        Output.WriteLine($"cut + kill, no replica acks: {report.Describe(keys.Length)}; repeated tokens 0; {SentinelSet.DetectionSettings}");
    }

    [Fact]
    public async Task With_min_replica_acks_no_lock_is_granted_twice_across_a_failover_that_lost_writes()
    {
        const string acks = "lock.redis.min-replica-acks = 1\nlock.redis.replica-ack-timeout = 200ms";
        var a = await NodeAsync("node-a", acks);
        var b = await NodeAsync("node-b", acks);
        var heldKeys = Enumerable.Range(0, 20).Select(i => $"held:{i}").ToArray();
        var cutKeys = Enumerable.Range(0, 4).Select(i => $"cut:{i}").ToArray();

        // Confirmed by the replica: these survive the failover.
        var held = new Dictionary<string, LockAcquired>();
        foreach (var key in heldKeys) held[key] = await AcquireAsync(a, key, TimeSpan.FromSeconds(5));

        // After the cut nothing can be confirmed: the acquires fail, naming the replicas, and
        // nothing is left granted on the primary.
        await _set.CutReplicationAsync();
        // (Short timeouts: a replica cut off for more than ten down-after periods is not promoted.)
        foreach (var key in cutKeys)
        {
            var refused = Assert.IsType<LockNotAcquired>(await AskAsync(a, new Acquire(key, Ttl: LongTtl, Timeout: TimeSpan.FromSeconds(1))));
            Assert.Equal(AcquireFailure.Unavailable, refused.Reason);
            Assert.Contains("replicas", refused.Message);
        }

        await _set.Primary.KillAsync();
        var clock = Stopwatch.StartNew();
        await _set.WaitForFailoverAsync(TimeSpan.FromSeconds(20));
        // The old primary comes back empty, once both nodes have followed the promotion, and is made
        // a replica of the new one, so grants can be confirmed again. (A client that had not yet
        // followed would reconnect to the old address and meet a replica: READONLY.)
        await UntilAsync(() => FollowsNewPrimary(a) && FollowsNewPrimary(b));
        await _set.RejoinOldPrimaryAsReplicaAsync();

        // Node B takes every cut key (never granted to anyone), and none of node A's held keys.
        var taken = new Dictionary<string, LockAcquired>();
        TimeSpan? firstGrant = null;
        var refusedMeanwhile = 0;
        var lastRefusal = "";
        while (taken.Count < cutKeys.Length)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30),
                $"only {taken.Count} of {cutKeys.Length} free keys granted 30 s after the kill; last refusal: {lastRefusal}");
            foreach (var key in cutKeys.Where(k => !taken.ContainsKey(k)))
            {
                var reply = await AskAsync(b, new Acquire(key, Ttl: LongTtl, Timeout: TimeSpan.FromMilliseconds(300)));
                if (reply is LockAcquired granted)
                {
                    taken[key] = granted;
                    firstGrant ??= clock.Elapsed;
                }
                else
                {
                    refusedMeanwhile++;
                    lastRefusal = reply.ToString();
                }
            }
        }
        var doubleGrants = 0;
        foreach (var key in heldKeys)
        {
            var reply = await AskAsync(b, new Acquire(key, Ttl: LongTtl, Timeout: TimeSpan.Zero));
            if (reply is LockAcquired) doubleGrants++;
            else Assert.Equal(AcquireFailure.Timeout, Assert.IsType<LockNotAcquired>(reply).Reason);
        }
        Assert.Equal(0, doubleGrants);
        Output.WriteLine($"cut + kill, min-replica-acks 1: every acquire during the cut refused as Unavailable; first grant " +
                         $"{firstGrant!.Value.TotalMilliseconds:0} ms after the kill (old primary restarted as a replica), " +
                         $"{refusedMeanwhile} acquires refused meanwhile; 0 of {heldKeys.Length} held keys granted twice; {SentinelSet.DetectionSettings}");
    }

    [Fact]
    public async Task A_server_that_refuses_WAIT_stops_grants_with_an_error_naming_min_replica_acks()
    {
        await RedisCli.RunAsync("-p", _set.Primary.Port.ToString(), "ACL", "SETUSER", "default", "-wait");
        var a = await NodeAsync("node-a", "lock.redis.min-replica-acks = 1");

        await UntilAsync(() => a.ConfigurationProblem is not null);
        Assert.Contains("min-replica-acks", a.ConfigurationProblem);
        var refused = Assert.IsType<LockNotAcquired>(await AskAsync(a, new Acquire("refused", Timeout: TimeSpan.FromMilliseconds(300))));
        Assert.Equal(AcquireFailure.Unavailable, refused.Reason);
        Assert.Contains("refuses WAIT", refused.Message);
        Assert.False(await AnyLockKeyAsync());
    }

    private bool FollowsNewPrimary(DistributedLocks node) =>
        node.Connection.GetServers().Any(server => server.EndPoint.ToString()!.EndsWith(":" + _set.Replica.Port) && server.IsConnected);

    private async Task<bool> AnyLockKeyAsync()
    {
        var found = await RedisCli.RunAsync("-p", _set.Primary.Port.ToString(), "--scan", "--pattern", Prefix + "{*");
        return found.Length > 0;
    }

    [Fact]
    public async Task Failover_under_load_keeps_every_key_s_tokens_increasing()
    {
        var a = await NodeAsync("node-a");
        var keys = Enumerable.Range(0, 4).Select(i => $"load:{i}").ToArray();
        var issued = keys.ToDictionary(k => k, _ => new List<long>());
        var refused = 0;
        var killed = new TaskCompletionSource<Stopwatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        var afterKill = new int[keys.Length];
        var firstGrantAfterKill = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);

        // One loop per key, so each key's grants are in time order: take, release, again.
        var loops = keys.Select((key, index) => Task.Run(async () =>
        {
            while (Volatile.Read(ref afterKill[index]) < 20)
            {
                var reply = await a.Manager.Ask<object>(new Acquire(key, Ttl: TimeSpan.FromSeconds(2), Timeout: TimeSpan.FromSeconds(1)),
                    TimeSpan.FromSeconds(5));
                if (reply is not LockAcquired granted)
                {
                    Interlocked.Increment(ref refused);
                    continue;
                }
                lock (issued) issued[key].Add(granted.FencingToken);
                if (killed.Task.IsCompleted)
                {
                    firstGrantAfterKill.TrySetResult(killed.Task.Result.Elapsed);
                    Interlocked.Increment(ref afterKill[index]);
                }
                await a.Manager.Ask<object>(new Release(key, granted.Token), TimeSpan.FromSeconds(5));
            }
        })).ToArray();

        // Let traffic run, then kill the primary with no warning.
        await Task.WhenAll(keys.Select(key => UntilAsync(() => { lock (issued) return issued[key].Count >= 20; })));
        await _set.Primary.KillAsync();
        killed.SetResult(Stopwatch.StartNew());
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(40));

        lock (issued)
        {
            foreach (var key in keys)
            {
                var tokens = issued[key];
                for (var i = 1; i < tokens.Count; i++)
                    Assert.True(tokens[i] > tokens[i - 1], $"{key}: token {tokens[i]} follows {tokens[i - 1]}");
            }
        }
        Output.WriteLine($"kill under load: first grant {(await firstGrantAfterKill.Task).TotalMilliseconds:0} ms after the kill, " +
                         $"{refused} acquires refused meanwhile, tokens strictly increasing; {SentinelSet.DetectionSettings}");
    }

    [Fact]
    public async Task Waiters_try_again_at_once_when_the_primary_changes_instead_of_after_a_retry_interval()
    {
        // retry-interval far above a failover: only the wake-up on the primary change explains a
        // grant soon after it.
        var b = await NodeAsync("node-b", "lock.retry-interval = 30s");
        using var primary = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{_set.Primary.Address},allowAdmin=true");
        var lockKey = b.Keys.LockKey("failover-wait");
        await primary.GetDatabase().StringSetAsync(lockKey, "someone-else", TimeSpan.FromSeconds(60));

        var waiting = AskAsync(b, new Acquire("failover-wait", Ttl: LongTtl, Timeout: TimeSpan.FromSeconds(25)));
        // The waiter has tried once and waits; then the holder vanishes without any announcement
        // (a holder's release announced on the old primary while this node was switching over).
        await UntilAsync(() => primary.GetDatabase().KeyExists(b.Keys.WaitKey("failover-wait")));
        await primary.GetDatabase().KeyDeleteAsync(lockKey);
        await _set.WaitForReplicationAsync();

        await _set.Primary.KillAsync();
        var clock = Stopwatch.StartNew();
        Assert.IsType<LockAcquired>(await waiting);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"granted {clock.Elapsed} after the kill");
        Output.WriteLine($"waiter granted {clock.ElapsedMilliseconds} ms after the primary was killed (retry-interval 30 s)");
    }

    private sealed record TakeOverReport(
        Dictionary<string, long> Tokens, TimeSpan FirstGrant, TimeSpan LastGrant, Dictionary<AcquireFailure, int> Refused, int DoubleGrants)
    {
        public string Describe(int keys) =>
            $"first grant {FirstGrant.TotalMilliseconds:0} ms after the kill, all {keys} keys by {LastGrant.TotalMilliseconds:0} ms, " +
            $"acquires refused meanwhile: {string.Join(", ", Refused.Select(r => $"{r.Value} {r.Key}"))}; " +
            $"{DoubleGrants} of {keys} keys granted while still held";
    }

    /// <summary>Kills the primary; node <paramref name="node"/> then asks for each key until granted.</summary>
    private async Task<TakeOverReport> KillPrimaryAndTakeAllAsync(DistributedLocks node, string[] keys, ISet<string>? stillHeld = null)
    {
        await _set.Primary.KillAsync();
        var clock = Stopwatch.StartNew();
        var tokens = new Dictionary<string, long>();
        TimeSpan? first = null;
        var refused = new Dictionary<AcquireFailure, int>();
        while (tokens.Count < keys.Length)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"only {tokens.Count} of {keys.Length} keys granted 30 s after the kill");
            foreach (var key in keys.Where(k => !tokens.ContainsKey(k)))
            {
                var reply = await node.Manager.Ask<object>(new Acquire(key, Ttl: LongTtl, Timeout: TimeSpan.FromMilliseconds(200)), TimeSpan.FromSeconds(5));
                if (reply is LockAcquired granted)
                {
                    tokens[key] = granted.FencingToken;
                    first ??= clock.Elapsed;
                }
                else if (reply is LockNotAcquired failed) refused[failed.Reason] = refused.GetValueOrDefault(failed.Reason) + 1;
            }
        }
        return new TakeOverReport(tokens, first!.Value, clock.Elapsed, refused, stillHeld is null ? keys.Length : keys.Count(stillHeld.Contains));
    }

    private static Task<LockAcquired> AcquireAsync(DistributedLocks node, string key, TimeSpan timeout) =>
        AcquireAsync(node, new Acquire(key, Ttl: LongTtl, Timeout: timeout));

    private static async Task UntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "traffic did not get going");
            await Task.Delay(20);
        }
    }
}
