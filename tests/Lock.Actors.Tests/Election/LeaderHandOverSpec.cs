using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit.Xunit2;
using Lock.Actors.Tests.Infrastructure;
using Lock.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Election;

/// <summary>
/// Three candidates, two of them separate processes (<c>lock-actors serve --campaign</c>), one a
/// generic host in this process with the leader-only actor extension; the leader is killed with SIGKILL or stopped, again and again. Every leader writes its term
/// to a timeline on a second Redis that refuses a term older than one that wrote; a node that does
/// not campaign watches the leader.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class LeaderHandOverSpec : TestKit, IAsyncLifetime
{
    private const string Election = "job";
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(100);

    private readonly ITestOutputHelper _output;

    public LeaderHandOverSpec(ITestOutputHelper output) : base(output: output) => _output = output;

    private readonly RedisServerProcess _lockRedis = RedisServerProcess.Create();
    private readonly RedisServerProcess _timelineRedis = RedisServerProcess.Create();
    private readonly Dictionary<string, Process> _processes = [];
    private readonly Dictionary<string, TaskCompletionSource> _serving = [];
    private IHost? _inProcess;
    private ConnectionMultiplexer _timeline = null!;
    private ActorSystem _watcherNode = null!;

    public async Task InitializeAsync()
    {
        await _lockRedis.StartAgainAsync();
        await _timelineRedis.StartAgainAsync();
        _watcherNode = ActorSystem.Create("watcher", LockSpec.NodeConfig(_lockRedis.Configuration, "lock:"));
        await DistributedLocks.Get(_watcherNode).Subscribed.WaitAsync(TimeSpan.FromSeconds(10));
        _timeline = await ConnectionMultiplexer.ConnectAsync(_timelineRedis.Configuration);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes.Values)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
        await StopInProcessAsync();
        await _watcherNode.Terminate();
        _timeline.Dispose();
        await _lockRedis.DisposeAsync();
        await _timelineRedis.DisposeAsync();
    }

    [Fact]
    public async Task Terms_never_overlap_and_the_next_leader_follows_a_stop_at_once_and_a_SIGKILL_within_the_TTL()
    {
        var watcher = CreateTestProbe(_watcherNode);
        DistributedLocks.Get(_watcherNode).Manager.Tell(new WatchLeader(Election, watcher));
        Assert.Equal(new LeaderChanged(Election, null, null), await watcher.ExpectMsgAsync<LeaderChanged>());
        await StartInProcessAsync();
        var leader = await NextLeaderAsync(watcher, TimeSpan.FromSeconds(30));
        var terms = new Dictionary<long, string> { [leader.FencingToken!.Value] = leader.LeaderId! };
        await Task.WhenAll(StartProcessAsync("p1"), StartProcessAsync("p2"));
        var kills = 0;
        var stops = 0;
        for (var round = 0; round < 8 && (round < 4 || kills == 0 || stops == 0); round++)
        {
            var byKill = leader.LeaderId != "n3" && kills <= stops;
            var stopped = Stopwatch.StartNew();
            if (byKill) _processes[leader.LeaderId!].Kill();
            else if (leader.LeaderId == "n3") await StopInProcessAsync();
            else Terminate(_processes[leader.LeaderId!]);

            // The watcher, on a node that does not campaign, sees the term end, then the next leader.
            var ended = await watcher.ExpectMsgAsync<LeaderChanged>(Ttl + TimeSpan.FromSeconds(5));
            var endedAfter = stopped.Elapsed;
            Assert.Equal(new LeaderChanged(Election, null, null), ended);
            var next = await NextLeaderAsync(watcher, Ttl + TimeSpan.FromSeconds(5));
            var electedAfter = stopped.Elapsed;
            _output.WriteLine($"{(byKill ? "SIGKILL" : "stop")} of {leader.LeaderId}: term ended after {endedAfter.TotalMilliseconds:F0} ms, " +
                             $"{next.LeaderId} elected after {electedAfter.TotalMilliseconds:F0} ms");
            Assert.True(next.FencingToken > leader.FencingToken, $"term {next.FencingToken} after {leader.FencingToken}");
            Assert.NotEqual(leader.LeaderId, next.LeaderId);
            if (byKill)
            {
                kills++;
                Assert.True(electedAfter < Ttl + TimeSpan.FromSeconds(1), $"elected {electedAfter.TotalMilliseconds:F0} ms after the SIGKILL");
                // Within one retry-interval of the TTL's end (plus what a busy machine adds to a timer).
                Assert.True(endedAfter < Ttl + RetryInterval + TimeSpan.FromMilliseconds(250),
                    $"the watcher saw the killed leader's term end {endedAfter.TotalMilliseconds:F0} ms after the SIGKILL");
            }
            else
            {
                stops++;
                // Through the release notification, not the TTL.
                Assert.True(electedAfter < Ttl / 2, $"elected {electedAfter.TotalMilliseconds:F0} ms after the leader stopped");
            }
            // Back as a candidate before the next round, so every hand-over has someone waiting.
            if (leader.LeaderId == "n3") await StartInProcessAsync();
            else await StartProcessAsync(leader.LeaderId!);
            terms[next.FencingToken!.Value] = next.LeaderId!;
            leader = next;
        }
        Assert.True(kills > 0 && stops > 0, $"{kills} kills, {stops} stops");

        // Stop everyone, then read the timeline: terms only go up, each term is one writer's, and no
        // write was refused (no leader ever wrote while a later term existed).
        foreach (var process in _processes.Values) process.Kill();
        await StopInProcessAsync();
        var entries = (await _timeline.GetDatabase().ListRangeAsync($"terms:{{{Election}}}"))
            .Select(e => ((string)e!).Split(' ')).Select(p => (Term: long.Parse(p[0]), Writer: p[1], Accepted: p[3] == "1")).ToList();
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.True(e.Accepted, $"term {e.Term} of {e.Writer} was refused: a later term had written"));
        for (var i = 1; i < entries.Count; i++)
            Assert.True(entries[i].Term >= entries[i - 1].Term, $"term {entries[i].Term} wrote after term {entries[i - 1].Term}");
        Assert.All(entries.GroupBy(e => e.Term), term => Assert.Single(term.Select(e => e.Writer).Distinct()));
        // Every term that wrote is one the watcher saw, written by the leader it named. (A leader stopped
        // within milliseconds of its election may not have written at all: its first write is a message
        // the stop overtakes.)
        Assert.All(entries, e => Assert.Equal(terms.GetValueOrDefault(e.Term), e.Writer));
        Assert.True(entries.Select(e => e.Term).Distinct().Count() >= 2, "the timeline holds fewer than two terms");
    }

    private static async Task<LeaderChanged> NextLeaderAsync(Akka.TestKit.TestProbe watcher, TimeSpan within)
    {
        var leader = await watcher.ExpectMsgAsync<LeaderChanged>(within);
        Assert.NotNull(leader.LeaderId);
        return leader;
    }

    private string[] ServeArguments(string name) =>
    [
        "serve", "--redis", _lockRedis.Configuration, "--prefix", "lock:", "--name", name, "--campaign", Election,
        "--campaign-ttl-ms", ((int)Ttl.TotalMilliseconds).ToString(), "--term-timeline", _timelineRedis.Configuration,
    ];

    /// <summary>Starts <c>serve --campaign</c> in a process of its own; completes once it serves (its campaign has started).</summary>
    private Task StartProcessAsync(string name)
    {
        var info = new ProcessStartInfo(Processes.Dotnet) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(typeof(LockHostCli).Assembly.Location);
        foreach (var argument in ServeArguments(name)) info.ArgumentList.Add(argument);
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            _output.WriteLine($"{name}: {line}");
            if (line.Contains(" serving on ", StringComparison.Ordinal)) serving.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) _output.WriteLine($"{name}: {line}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (_processes.Remove(name, out var old)) old.Dispose();
        _processes[name] = process;
        return serving.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private sealed class LeaderTerm;

    /// <summary>The third candidate: a generic host here, running the same leader-only actor as the processes.</summary>
    private async Task StartInProcessAsync()
    {
        var timeline = new TermTimeline(_timeline.GetDatabase(), Election);
        var host = Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureServices(services => services.AddAkka("n3", builder => builder
                .WithDistributedLocks(options =>
                {
                    options.RedisConfiguration = _lockRedis.Configuration;
                    options.KeyPrefix = "lock:";
                })
                .WithLeaderOnlyActor<LeaderTerm>(Election,
                    term => Props.Create(() => new LeaderTermActor("n3", Election, term.FencingToken, NullLogger.Instance, timeline)),
                    candidateId: "n3", ttl: Ttl)))
            .Build();
        await host.StartAsync();
        _inProcess = host;
        // Its campaign has started once the node runs a campaign actor.
        var system = host.Services.GetRequiredService<ActorSystem>();
        var manager = DistributedLocks.Get(system).Manager;
        await AwaitAssertAsync(async () =>
            Assert.NotNull((await system.ActorSelection(manager.Path / "elections" / "*").Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(1))).Subject),
            TimeSpan.FromSeconds(10));
    }

    private async Task StopInProcessAsync()
    {
        if (_inProcess is not { } host) return;
        _inProcess = null;
        await host.StopAsync();
        host.Dispose();
    }

    // SIGTERM: the process runs coordinated shutdown, which stops its leader-only actor and resigns.
    private static void Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]);
        kill.WaitForExit();
    }
}
