using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Coordination;

/// <summary>
/// A two-node Akka.Cluster in one process (loopback ports) running a Cluster Singleton with
/// <c>use-lease = akka.coordination.lease.redis</c>: the singleton runs on one node at a time, and
/// when the oldest leaves it moves only after the lease was released.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ClusterSingletonLeaseSpec(RedisFixture redis, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(output: output), IAsyncLifetime
{
    private const string SystemName = "singleton-cluster";
    private readonly string _prefix = LockSpec.NewPrefix();
    private readonly List<ActorSystem> _systems = new();
    private Akka.TestKit.TestProbe _events = null!;

    private sealed record SingletonEvent(string Node, string Kind, long At, long FencingToken = 0, string? LeaseHolder = null);

    /// <summary>The singleton: records when it runs, with the lease's holder and fencing token at that moment.</summary>
    private sealed class RecordingSingleton : ReceiveActor
    {
        private readonly IActorRef _events;
        private readonly string _node;
        private long _startedAt;

        public RecordingSingleton(IActorRef events, string node)
        {
            _events = events;
            _node = node;
            Receive<ActiveLocks>(table =>
            {
                var lease = table.Locks.SingleOrDefault(l => l.Key.StartsWith("lease:", StringComparison.Ordinal));
                _events.Tell(new SingletonEvent(_node, "start", _startedAt, lease?.FencingToken ?? 0, lease?.Token));
            });
        }

        protected override void PreStart()
        {
            _startedAt = Stopwatch.GetTimestamp();
            DistributedLocks.Get(Context.System).Manager.Tell(GetActiveLocks.Instance);
        }

        protected override void PostStop() => _events.Tell(new SingletonEvent(_node, "stop", Stopwatch.GetTimestamp()));
    }

    public Task InitializeAsync()
    {
        _events = CreateTestProbe();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var system in _systems) await system.Terminate();
    }

    private ActorSystem StartNode(string node)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.cluster.singleton.use-lease = "akka.coordination.lease.redis"
            akka.cluster.singleton.lease-retry-interval = 200ms
            akka.coordination.lease.redis {
              heartbeat-interval = 300ms
              heartbeat-timeout = 1500ms
              lease-operation-timeout = 3s
            }
            akka.loglevel = INFO
            """).WithFallback(LockSpec.NodeConfig(redis.Configuration, _prefix));
        var system = ActorSystem.Create(SystemName, config);
        _systems.Add(system);
        system.ActorOf(ClusterSingletonManager.Props(
                Props.Create(() => new RecordingSingleton(_events.Ref, node)),
                PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system)),
            "recorder");
        return system;
    }

    [Fact]
    public async Task The_singleton_runs_on_one_node_at_a_time_and_moves_only_after_the_lease_is_released()
    {
        var oldest = StartNode("node-a");
        var oldestCluster = Cluster.Get(oldest);
        await oldestCluster.JoinAsync(oldestCluster.SelfAddress);
        var younger = StartNode("node-b");
        await Cluster.Get(younger).JoinAsync(oldestCluster.SelfAddress);

        var startA = await _events.ExpectMsgAsync<SingletonEvent>(TimeSpan.FromSeconds(30));
        Assert.Equal(("node-a", "start"), (startA.Node, startA.Kind));
        // Only one instance: node-b's manager is up but does not start a second one.
        await _events.ExpectNoMsgAsync(TimeSpan.FromSeconds(1));

        await oldestCluster.LeaveAsync();

        // Hand-over: node-a's instance stops, node-b's starts (delivery order proves nothing; the clock does).
        var handOver = new[]
        {
            await _events.ExpectMsgAsync<SingletonEvent>(TimeSpan.FromSeconds(45)),
            await _events.ExpectMsgAsync<SingletonEvent>(TimeSpan.FromSeconds(45)),
        };
        var events = handOver.Prepend(startA).ToList();
        foreach (var e in events) Output?.WriteLine($"{e.Node} {e.Kind} fencing={e.FencingToken} holder={e.LeaseHolder}");
        var stopA = Assert.Single(events, e => e is { Node: "node-a", Kind: "stop" });
        var startB = Assert.Single(events, e => e is { Node: "node-b", Kind: "start" });

        // Each instance ran under the lease, held by its own node, with a later fencing token for the later one.
        Assert.Contains(oldestCluster.SelfAddress.Port!.Value.ToString(), startA.LeaseHolder);
        Assert.Contains(Cluster.Get(younger).SelfAddress.Port!.Value.ToString(), startB.LeaseHolder);
        Assert.True(startB.FencingToken > startA.FencingToken, "fencing token of the second instance must be higher");

        // At no moment did two instances run.
        Assert.True(stopA.At < startB.At, "node-b's singleton started before node-a's stopped");
        var running = 0;
        foreach (var e in events.OrderBy(e => e.At))
        {
            running += e.Kind == "start" ? 1 : -1;
            Assert.InRange(running, 0, 1);
        }
    }
}
