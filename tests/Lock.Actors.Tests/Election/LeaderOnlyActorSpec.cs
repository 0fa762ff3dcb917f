using System.Collections.Concurrent;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Lock.Actors.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Lock.Actors.LockProtocol;
using GenericHost = Microsoft.Extensions.Hosting.Host;

namespace Lock.Actors.Tests.Election;

/// <summary>The hosting extension that runs an actor on whichever node leads: two generic hosts, one scheduler.</summary>
[Collection(RedisCollection.Name)]
public sealed class LeaderOnlyActorSpec(RedisFixture redis) : IAsyncLifetime
{
    private readonly string _prefix = LockSpec.NewPrefix();
    private readonly ConcurrentQueue<string> _timeline = new();
    private readonly Channel<string> _starts = Channel.CreateUnbounded<string>();
    private readonly List<IHost> _hosts = [];

    private sealed class Scheduler;

    /// <summary>The leader-only actor: records its start (with its term) and its stop, answers pings.</summary>
    private sealed class SchedulerActor : ReceiveActor
    {
        private readonly string _node;
        private readonly long _term;
        private readonly ConcurrentQueue<string> _timeline;
        private readonly ChannelWriter<string> _starts;

        public SchedulerActor(string node, long term, ConcurrentQueue<string> timeline, ChannelWriter<string> starts)
        {
            _node = node;
            _term = term;
            _timeline = timeline;
            _starts = starts;
            Receive<string>(ping => Sender.Tell($"{ping} from {_node} in term {_term}"));
        }

        protected override void PreStart()
        {
            _timeline.Enqueue($"start {_node} {_term}");
            _starts.TryWrite($"{_node} {_term}");
        }

        protected override void PostStop() => _timeline.Enqueue($"stop {_node} {_term}");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    private async Task<IHost> StartHostAsync(string node)
    {
        var host = GenericHost.CreateDefaultBuilder()
            .ConfigureServices(services =>
            {
                services.AddAkka(node, builder => builder
                    .WithDistributedLocks(options =>
                    {
                        options.RedisConfiguration = redis.Configuration;
                        options.KeyPrefix = _prefix;
                    })
                    .WithLeaderOnlyActor<Scheduler>("scheduler",
                        term => Props.Create(() => new SchedulerActor(node, term.FencingToken, _timeline, _starts.Writer)),
                        candidateId: node, ttl: TimeSpan.FromSeconds(30)));
                services.AddLockService();
            })
            .Build();
        await host.StartAsync();
        _hosts.Add(host);
        return host;
    }

    [Fact]
    public async Task Only_the_leader_runs_the_actor_and_the_next_starts_only_after_it_stopped()
    {
        var a = await StartHostAsync("node-a");
        var service = a.Services.GetRequiredService<LockService>();
        await using var leaders = service.WatchLeaderAsync("scheduler").GetAsyncEnumerator();
        await NextLeaderAsync(leaders, "node-a");
        var b = await StartHostAsync("node-b");

        // node-a runs it, and messages to the registered runner reach it.
        var scheduler = await a.Services.GetRequiredService<ActorRegistry>().GetAsync<Scheduler>();
        var term1 = (await NextStartAsync()).Term;
        Assert.Equal($"ping from node-a in term {term1}", await scheduler.Ask<string>("ping", TimeSpan.FromSeconds(3)));

        // node-a shuts down: its actor stops, it resigns, and only then does node-b start its copy.
        await a.StopAsync();
        _hosts.Remove(a);
        a.Dispose();
        var started = await NextStartAsync();
        Assert.Equal("node-b", started.Node);
        Assert.True(started.Term > term1);
        Assert.Equal([$"start node-a {term1}", $"stop node-a {term1}", $"start node-b {started.Term}"], _timeline.ToArray());
        var schedulerB = await b.Services.GetRequiredService<ActorRegistry>().GetAsync<Scheduler>();
        Assert.Equal($"ping from node-b in term {started.Term}", await schedulerB.Ask<string>("ping", TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task A_lost_term_stops_the_actor_and_the_node_campaigns_again()
    {
        var a = await StartHostAsync("node-a");
        var term1 = (await NextStartAsync()).Term;
        var locks = a.Services.GetRequiredService<DistributedLocks>();
        await redis.Db.KeyDeleteAsync(locks.Keys.LockKey("election:scheduler"));

        // The watchdog finds the term gone: the actor stops, and a new campaign wins a new term.
        var restarted = await NextStartAsync(TimeSpan.FromSeconds(15));
        Assert.True(restarted.Term > term1);
        Assert.Equal([$"start node-a {term1}", $"stop node-a {term1}", $"start node-a {restarted.Term}"], _timeline.ToArray());
    }

    private async Task<(string Node, long Term)> NextStartAsync(TimeSpan? within = null)
    {
        try
        {
            var parts = (await _starts.Reader.ReadAsync().AsTask().WaitAsync(within ?? TimeSpan.FromSeconds(10))).Split(' ');
            return (parts[0], long.Parse(parts[1]));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no leader-only actor started; timeline: {string.Join(", ", _timeline)}");
        }
    }

    private static async Task NextLeaderAsync(IAsyncEnumerator<LeaderInfo> leaders, string id)
    {
        while (await leaders.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))
            if (leaders.Current.LeaderId == id) return;
    }
}
