using System.Diagnostics;
using Lock.Actors.Tests.Infrastructure.Topology;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;
using Lock.Actors.Tests.Infrastructure;

namespace Lock.Actors.Tests.Failover;

/// <summary>
/// A 3 + 3 Redis Cluster: batching that never spans slots, one shard's failover that leaves the
/// other shards (and their watchdogs) alone, increasing tokens on the failed-over shard, and
/// hand-offs between nodes woken by notification.
/// </summary>
[Collection(AloneCollection.Name)]
[Trait("Category", "Failover")]
public sealed class ClusterFailoverSpec(ITestOutputHelper output) : TopologySpec(output)
{
    private ClusterSet _cluster = null!;
    private IConnectionMultiplexer? _admin;

    protected override string Configuration => LeastPrivilege.As(_cluster.Configuration);

    public override async Task InitializeAsync()
    {
        _cluster = await ClusterSet.StartAsync();
        foreach (var node in _cluster.Nodes) await LeastPrivilege.CreateAsync(node.Port, LeastPrivilege.Cluster);
    }

    protected override async ValueTask StopTopologyAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Concurrent_locks_of_different_slots_never_share_a_script_call_even_when_the_client_takes_a_cluster_node_for_standalone()
    {
        // Without cluster|nodes, and given one seed node, the client cannot learn the topology and
        // takes the node for a standalone server. Locks whose slots that node serves must all work:
        // a script call spanning their slots would fail with CROSSSLOT.
        foreach (var node in _cluster.Nodes) await LeastPrivilege.CreateAsync(node.Port, LeastPrivilege.Single);
        var seed = _cluster.Nodes[0];
        var locks = await NodeAsync("blind", configuration: LeastPrivilege.As(
            $"{seed.Address},abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000"));
        var keys = new List<string>();
        for (var i = 0; keys.Count < 48; i++)
            if (await _cluster.PrimaryOfAsync(locks.Keys.LockKey($"seed-{i}").ToString()) == seed) keys.Add($"seed-{i}");

        for (var round = 0; round < 3; round++)
        {
            var replies = await Task.WhenAll(keys.Select(key =>
                AskAsync(locks, new Acquire(key, Ttl: TimeSpan.FromSeconds(10), Timeout: TimeSpan.FromSeconds(5)))));
            var failures = replies.OfType<LockNotAcquired>().Select(f => f.Message).Distinct().ToList();
            Assert.True(failures.Count == 0, string.Join("; ", failures));
            var released = await Task.WhenAll(replies.Cast<LockAcquired>().Select(g => AskAsync(locks, new Release(g.Key, g.Token))));
            Assert.All(released, reply => Assert.IsType<LockReleased>(reply));
        }
    }

    [Fact]
    public async Task Killing_one_primary_fails_only_its_shard_and_only_until_its_replica_takes_over()
    {
        var locks = await NodeAsync("node-a");
        var lost = new List<LockLost>();
        var owner = LossRecorder(locks, lost);

        // Two keys per shard. On the victim's shard one is taken and released before the kill; on
        // the others one is held with the watchdog (TTL 3 s, extended every second) and one cycles.
        var shards = await KeysByShardAsync(locks, perShard: 2);
        var (victim, victimKeys) = shards[0];
        var healthy = shards.Skip(1).ToList();
        var before = await AcquireAsync(locks, new Acquire(victimKeys[0], Ttl: TimeSpan.FromSeconds(30)));
        Assert.IsType<LockReleased>(await AskAsync(locks, new Release(before.Key, before.Token)));
        foreach (var (_, keys) in healthy)
            await AcquireAsync(locks, new Acquire(keys[0], Ttl: TimeSpan.FromSeconds(3), AutoExtend: true, Owner: owner));

        await victim.KillAsync();
        var clock = Stopwatch.StartNew();

        // Until the victim's shard grants again, the other shards grant every time they are asked.
        var refusedOnVictim = new Dictionary<AcquireFailure, int>();
        var grantsElsewhere = 0;
        LockAcquired? after = null;
        var lastRefusal = "";
        while (after is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the failed shard's keys were not granted within 20 s: {lastRefusal}");
            foreach (var (_, keys) in healthy)
            {
                var granted = await AcquireAsync(locks, new Acquire(keys[1], Ttl: TimeSpan.FromSeconds(5), Timeout: TimeSpan.FromSeconds(2)));
                Assert.IsType<LockReleased>(await AskAsync(locks, new Release(granted.Key, granted.Token)));
                grantsElsewhere++;
            }
            var reply = await AskAsync(locks, new Acquire(victimKeys[0], Ttl: TimeSpan.FromSeconds(30), Timeout: TimeSpan.FromMilliseconds(300)));
            if (reply is LockAcquired grant) after = grant;
            else if (reply is LockNotAcquired failed)
            {
                refusedOnVictim[failed.Reason] = refusedOnVictim.GetValueOrDefault(failed.Reason) + 1;
                lastRefusal = failed.Message;
            }
        }
        var firstVictimGrant = clock.Elapsed;
        Assert.True(after.FencingToken > before.FencingToken, $"token {after.FencingToken} after the failover, {before.FencingToken} before");

        // Past one more TTL: the healthy shards' watchdog locks are still held and were never lost.
        await WaitPastAsync(clock, firstVictimGrant + TimeSpan.FromSeconds(3.5));
        foreach (var (_, keys) in healthy)
        {
            var status = Assert.IsType<LockStatus>(await AskAsync(locks, new IsLocked(keys[0])));
            Assert.True(status.Locked, $"{keys[0]} on a healthy shard is no longer held");
        }
        lock (lost) Assert.Empty(lost);

        Output.WriteLine($"cluster primary killed: first grant on its shard {firstVictimGrant.TotalMilliseconds:0} ms after the kill, " +
                         $"refused on it meanwhile: {string.Join(", ", refusedOnVictim.Select(r => $"{r.Value} {r.Key}"))}; " +
                         $"{grantsElsewhere} grants on the other shards meanwhile, none refused; their watchdog locks kept; " +
                         $"token {before.FencingToken} -> {after.FencingToken}; {ClusterSet.DetectionSettings}");
    }

    [Fact]
    public async Task A_hand_off_between_two_nodes_wakes_the_waiter_by_notification()
    {
        // retry-interval far above the hand-off: only the release notification can explain a fast one.
        var a = await NodeAsync("node-a", "lock.retry-interval = 10s");
        var b = await NodeAsync("node-b", "lock.retry-interval = 10s");
        for (var i = 0; i < 5; i++)
        {
            var key = $"handoff-{i}";
            var holder = await AcquireAsync(a, new Acquire(key, Ttl: TimeSpan.FromSeconds(30)));
            var waiting = AskAsync(b, new Acquire(key, Ttl: TimeSpan.FromSeconds(30), Timeout: TimeSpan.FromSeconds(8)));
            // The waiter has tried once and left its marker before the holder lets go.
            await UntilAsync(async () => await WaitMarkerExistsAsync(b, key));
            var clock = Stopwatch.StartNew();
            Assert.IsType<LockReleased>(await AskAsync(a, new Release(key, holder.Token)));
            var granted = Assert.IsType<LockAcquired>(await waiting);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"hand-off took {clock.Elapsed}");
            Assert.True(granted.FencingToken > holder.FencingToken);
        }
    }

    // Keys grouped by the primary that serves them, one group per shard.
    private async Task<List<(TopologyNode Primary, List<string> Keys)>> KeysByShardAsync(DistributedLocks locks, int perShard)
    {
        var shards = new List<(TopologyNode Primary, List<string> Keys)>();
        for (var i = 0; shards.Count < 3 || shards.Any(s => s.Keys.Count < perShard); i++)
        {
            var key = $"shard-key-{i}";
            var primary = await _cluster.PrimaryOfAsync(locks.Keys.LockKey(key).ToString());
            var shard = shards.FirstOrDefault(s => s.Primary == primary);
            if (shard.Keys is null) shards.Add((primary, [key]));
            else if (shard.Keys.Count < perShard) shard.Keys.Add(key);
        }
        return shards;
    }

    private async Task<bool> WaitMarkerExistsAsync(DistributedLocks node, string key)
    {
        // As the default user: the lock user may not run EXISTS.
        _admin ??= await ConnectionMultiplexer.ConnectAsync(_cluster.Configuration);
        return await _admin.GetDatabase().KeyExistsAsync(node.Keys.WaitKey(key));
    }

    private static async Task WaitPastAsync(Stopwatch clock, TimeSpan point)
    {
        // Waiting for time itself to pass (a TTL), not for an event.
        var left = point - clock.Elapsed;
        if (left > TimeSpan.Zero) await Task.Delay(left);
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "condition not met within 5 s");
            await Task.Delay(10);
        }
    }
}
