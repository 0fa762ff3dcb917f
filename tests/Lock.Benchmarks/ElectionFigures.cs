using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Lock.Actors;
using Lock.Host;
using StackExchange.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Benchmarks;

/// <summary>
/// The election and watch figures of README (<c>dotnet run -c Release --project tests/Lock.Benchmarks -- --election</c>):
/// hand-over time after a leader's actor stops, after its ActorSystem terminates and after its process
/// is killed with SIGKILL (p50/max over 20 each), Redis work per change of a watched lock, and memory per watch.
/// </summary>
internal static class ElectionFigures
{
    private const int HandOvers = 20;
    private static readonly TimeSpan KillTtl = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync()
    {
        await using var redis = await BenchRedis.StartAsync();
        Console.WriteLine($"Redis: {redis.Description}");
        var stops = await GracefulAsync(redis.Configuration, byTermination: false);
        Report("leader's actor stops", stops);
        var terminations = await GracefulAsync(redis.Configuration, byTermination: true);
        Report("leader's ActorSystem terminates", terminations);
        var kills = await KilledAsync(redis.Configuration);
        Report($"leader's process SIGKILLed (term TTL {KillTtl.TotalMilliseconds:F0} ms)", kills);
        await WatchCostAsync(redis.Configuration);
        return 0;
    }

    private static void Report(string what, List<double> ms)
    {
        ms.Sort();
        Console.WriteLine($"hand-over after the {what}: p50 {ms[ms.Count / 2]:F1} ms, max {ms[^1]:F1} ms over {ms.Count}");
    }

    private static Config NodeConfig(string redis, string prefix) => ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        lock.key-prefix = "{{prefix}}"
        lock.redis.configuration = "{{redis}}"
        """).WithFallback(DistributedLocks.DefaultConfig());

    private static async Task<ActorSystem> StartNodeAsync(string name, string redis, string prefix)
    {
        var system = ActorSystem.Create(name, NodeConfig(redis, prefix));
        await DistributedLocks.Get(system).Subscribed.WaitAsync(TimeSpan.FromSeconds(10));
        return system;
    }

    /// <summary>A candidate whose messages land in a channel.</summary>
    private static (IActorRef Candidate, ChannelReader<object> Heard) Candidate(ActorSystem system)
    {
        var heard = Channel.CreateUnbounded<object>();
        return (system.ActorOf(Props.Create(() => new Relay(heard.Writer))), heard.Reader);
    }

    private sealed class Relay(ChannelWriter<object> heard) : ReceiveActor
    {
        protected override void Unhandled(object message) => heard.TryWrite(message);
    }

    private static async Task<T> NextAsync<T>(ChannelReader<object> heard)
    {
        while (true)
        {
            if (await heard.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)) is T wanted) return wanted;
        }
    }

    /// <summary>Two nodes; the leader's candidate stops (or its system terminates) and the waiting one takes over.</summary>
    private static async Task<List<double>> GracefulAsync(string redis, bool byTermination)
    {
        var prefix = $"bench-election-{(byTermination ? "terminate" : "stop")}:";
        var ms = new List<double>();
        var leaderNode = await StartNodeAsync("leader", redis, prefix);
        var leader = Candidate(leaderNode);
        DistributedLocks.Get(leaderNode).Manager.Tell(new Campaign("job", leader.Candidate, Ttl: TimeSpan.FromSeconds(30)));
        await NextAsync<Elected>(leader.Heard);
        for (var i = 0; i < HandOvers + 1; i++)
        {
            var nextNode = await StartNodeAsync("next", redis, prefix);
            var next = Candidate(nextNode);
            var nextManager = DistributedLocks.Get(nextNode).Manager;
            nextManager.Tell(new Campaign("job", next.Candidate, Ttl: TimeSpan.FromSeconds(30)));
            // Waiting in Redis (the node has tried once) before the leader goes.
            await AwaitWaitingAsync(redis, DistributedLocks.Get(nextNode));
            var clock = Stopwatch.StartNew();
            if (byTermination) _ = leaderNode.Terminate();
            else leaderNode.Stop(leader.Candidate);
            await NextAsync<Elected>(next.Heard);
            if (i > 0) ms.Add(clock.Elapsed.TotalMilliseconds); // the first one warms up
            await leaderNode.Terminate();
            (leaderNode, leader) = (nextNode, next);
        }
        await leaderNode.Terminate();
        return ms;
    }

    private static async Task AwaitWaitingAsync(string redis, DistributedLocks locks)
    {
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis);
        var marker = locks.Keys.WaitKey("election:job");
        var deadline = Stopwatch.StartNew();
        while (!await admin.GetDatabase().KeyExistsAsync(marker))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("the next candidate never waited");
            await Task.Delay(5);
        }
    }

    /// <summary>Two <c>serve --campaign</c> processes; the leader is SIGKILLed and the other takes over after the TTL.</summary>
    private static async Task<List<double>> KilledAsync(string redis)
    {
        const string prefix = "bench-election-kill:";
        var watcherNode = await StartNodeAsync("watcher", redis, prefix);
        var watcher = Candidate(watcherNode);
        DistributedLocks.Get(watcherNode).Manager.Tell(new WatchLeader("job", watcher.Candidate));
        await NextAsync<LeaderChanged>(watcher.Heard);
        var processes = new Dictionary<string, Process>();
        await Task.WhenAll(StartServeAsync(redis, prefix, "p1", processes), StartServeAsync(redis, prefix, "p2", processes));
        var ms = new List<double>();
        var leader = await NextLeaderAsync(watcher.Heard);
        try
        {
            for (var i = 0; i < HandOvers; i++)
            {
                var clock = Stopwatch.StartNew();
                processes[leader].Kill();
                var next = await NextLeaderAsync(watcher.Heard);
                ms.Add(clock.Elapsed.TotalMilliseconds);
                await processes[leader].WaitForExitAsync();
                await StartServeAsync(redis, prefix, leader, processes);
                leader = next;
            }
        }
        finally
        {
            foreach (var process in processes.Values) process.Kill();
            await watcherNode.Terminate();
        }
        return ms;
    }

    private static async Task<string> NextLeaderAsync(ChannelReader<object> heard)
    {
        while (true)
        {
            if (await NextAsync<LeaderChanged>(heard) is { LeaderId: { } id }) return id;
        }
    }

    private static Task StartServeAsync(string redis, string prefix, string name, Dictionary<string, Process> processes)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        info.ArgumentList.Add(typeof(LockHostCli).Assembly.Location);
        foreach (var argument in new[] { "serve", "--redis", redis, "--prefix", prefix, "--name", name, "--campaign", "job",
                     "--campaign-ttl-ms", ((int)KillTtl.TotalMilliseconds).ToString() })
            info.ArgumentList.Add(argument);
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains(" serving on ", StringComparison.Ordinal) == true) serving.TrySetResult();
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        processes[name] = process;
        return serving.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// What watching costs: commands Redis runs and calls clients make per change of a watched lock (one
    /// node watching, another acquiring and releasing), against the same cycles unwatched; and memory per
    /// watch on the watching node.
    /// </summary>
    private static async Task WatchCostAsync(string redis)
    {
        const int Keys = 100;
        const int Cycles = 20;
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var holderNode = await StartNodeAsync("holder", redis, "bench-watch:");
        var watcherNode = await StartNodeAsync("watching", redis, "bench-watch:");
        var holder = DistributedLocks.Get(holderNode).Manager;
        var watchers = DistributedLocks.Get(watcherNode).Manager;

        async Task<(long Commands, long Calls)> CyclesAsync(string keyPrefix)
        {
            await server.ExecuteAsync("CONFIG", "RESETSTAT");
            for (var c = 0; c < Cycles; c++)
            {
                await Task.WhenAll(Enumerable.Range(0, Keys).Select(async k =>
                {
                    var acquired = await holder.Ask<LockAcquired>(new Acquire($"{keyPrefix}{k}"), TimeSpan.FromSeconds(10));
                    await holder.Ask<LockReleased>(new Release(acquired.Key, acquired.Token), TimeSpan.FromSeconds(10));
                }));
            }
            var stats = (string)(await server.ExecuteAsync("INFO", "commandstats"))!;
            long commands = 0, calls = 0;
            foreach (var line in stats.Split('\n').Where(l => l.StartsWith("cmdstat_", StringComparison.Ordinal)))
            {
                var count = long.Parse(line.Split("calls=")[1].Split(',')[0]);
                var name = line["cmdstat_".Length..line.IndexOf(':')];
                commands += count;
                // Client round trips: every call the lock library makes is a script (commands a script runs count apart).
                if (name is "evalsha" or "eval") calls += count;
            }
            return (commands, calls);
        }

        var unwatched = await CyclesAsync("plain-");
        var seen = Channel.CreateUnbounded<object>();
        var watcher = watcherNode.ActorOf(Props.Create(() => new Relay(seen.Writer)));
        for (var k = 0; k < Keys; k++) watchers.Tell(new WatchLock($"watched-{k}", watcher));
        for (var k = 0; k < Keys; k++) await NextAsync<LockStateChanged>(seen.Reader);
        var watched = await CyclesAsync("watched-");
        var changes = Keys * Cycles * 2;
        Console.WriteLine($"per change of a watched lock ({changes} changes, {Keys} keys): " +
                          $"{(watched.Commands - unwatched.Commands) / (double)changes:F2} more commands run inside Redis, " +
                          $"{(watched.Calls - unwatched.Calls) / (double)changes:F3} more client calls");

        // Memory: 1,000 keys watched by one watcher, then by nine more watchers each.
        const int MemoryKeys = 1000;
        long Memory() { GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); return GC.GetTotalMemory(true); }
        var firstStates = Channel.CreateUnbounded<object>();
        var watcherActors = Enumerable.Range(0, 10).Select(_ => watcherNode.ActorOf(Props.Create(() => new Relay(firstStates.Writer)))).ToArray();
        async Task FirstStatesAsync(int count)
        {
            for (var i = 0; i < count; i++) await NextAsync<LockStateChanged>(firstStates.Reader);
        }
        var before = Memory();
        for (var k = 0; k < MemoryKeys; k++) watchers.Tell(new WatchLock($"memory-{k}", watcherActors[0]));
        await FirstStatesAsync(MemoryKeys);
        var oneWatcher = Memory();
        foreach (var extra in watcherActors.Skip(1))
            for (var k = 0; k < MemoryKeys; k++) watchers.Tell(new WatchLock($"memory-{k}", extra));
        await FirstStatesAsync(MemoryKeys * 9);
        var tenWatchers = Memory();
        Console.WriteLine($"memory per watched key (its first watcher): {(oneWatcher - before) / (double)MemoryKeys:F0} B; " +
                          $"per further watcher of a watched key: {(tenWatchers - oneWatcher) / (double)(MemoryKeys * 9):F0} B");
        await holderNode.Terminate();
        await watcherNode.Terminate();
    }

}
