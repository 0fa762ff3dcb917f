using Akka.Actor;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Infrastructure.Topology;

/// <summary>
/// Base of the specs on a topology of their own (a Sentinel set, a Cluster): lock nodes are
/// ActorSystems on it, under one key prefix, terminated with the test before the topology stops.
/// </summary>
public abstract class TopologySpec(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<ActorSystem> _systems = new();

    protected ITestOutputHelper Output { get; } = output;

    protected string Prefix { get; } = LockSpec.NewPrefix();

    /// <summary>The configuration string of the topology under test.</summary>
    protected abstract string Configuration { get; }

    public abstract Task InitializeAsync();

    protected abstract ValueTask StopTopologyAsync();

    public async Task DisposeAsync()
    {
        foreach (var system in _systems) await system.Terminate();
        await StopTopologyAsync();
    }

    /// <summary>A lock node on the topology, subscribed to release notifications.</summary>
    protected async Task<DistributedLocks> NodeAsync(string name, string extraConfig = "", string? configuration = null)
    {
        var system = ActorSystem.Create(name, LockSpec.NodeConfig(configuration ?? Configuration, Prefix, extraConfig));
        _systems.Add(system);
        var locks = DistributedLocks.Get(system);
        await locks.Subscribed.WaitAsync(TimeSpan.FromSeconds(15));
        return locks;
    }

    /// <summary>
    /// An owner actor on <paramref name="node"/>'s system that records every LockLost it is sent; the
    /// list is read under its own lock.
    /// </summary>
    protected IActorRef LossRecorder(DistributedLocks node, List<LockLost> lost) =>
        _systems.Single(s => DistributedLocks.Get(s) == node).ActorOf(Props.Create(() => new Recorder(lost)));

    private sealed class Recorder : ReceiveActor
    {
        public Recorder(List<LockLost> lost) => Receive<LockLost>(loss => { lock (lost) lost.Add(loss); });
    }

    protected static Task<object> AskAsync(DistributedLocks node, object request) =>
        node.Manager.Ask<object>(request, TimeSpan.FromSeconds(40));

    protected static async Task<LockAcquired> AcquireAsync(DistributedLocks node, Acquire request) =>
        Assert.IsType<LockAcquired>(await AskAsync(node, request));
}
