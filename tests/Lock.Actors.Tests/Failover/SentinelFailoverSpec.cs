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
[Trait("Category", "Failover")]
public sealed class SentinelFailoverSpec(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan LongTtl = TimeSpan.FromSeconds(30);
    private readonly string _prefix = LockSpec.NewPrefix();
    private readonly List<ActorSystem> _systems = new();
    private SentinelSet _set = null!;

    public async Task InitializeAsync() => _set = await SentinelSet.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var system in _systems) await system.Terminate();
        await _set.DisposeAsync();
    }

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
        output.WriteLine($"cut + kill, no replica acks: {report.Describe(keys.Length)}; repeated tokens 0; {SentinelSet.DetectionSettings}");
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
        output.WriteLine($"kill under load: first grant {(await firstGrantAfterKill.Task).TotalMilliseconds:0} ms after the kill, " +
                         $"{refused} acquires refused meanwhile, tokens strictly increasing; {SentinelSet.DetectionSettings}");
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

    private static async Task<LockAcquired> AcquireAsync(DistributedLocks node, string key, TimeSpan timeout)
    {
        var reply = await node.Manager.Ask<object>(new Acquire(key, Ttl: LongTtl, Timeout: timeout), timeout + TimeSpan.FromSeconds(5));
        return Assert.IsType<LockAcquired>(reply);
    }

    private async Task<DistributedLocks> NodeAsync(string name, string extraConfig = "")
    {
        var system = ActorSystem.Create(name, LockSpec.NodeConfig(_set.Configuration, _prefix, extraConfig));
        _systems.Add(system);
        var locks = DistributedLocks.Get(system);
        await locks.Subscribed.WaitAsync(TimeSpan.FromSeconds(10));
        return locks;
    }

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
