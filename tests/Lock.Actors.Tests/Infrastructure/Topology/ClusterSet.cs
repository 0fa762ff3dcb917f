using System.Diagnostics;

namespace Lock.Actors.Tests.Infrastructure.Topology;

/// <summary>
/// A Redis Cluster on loopback: three primaries with one replica each, made with
/// <c>redis-cli --cluster create</c> and stopped after. Failure detection is shortened
/// (<see cref="NodeTimeout"/>) so a replica takes over in seconds, and a shard that is down does not
/// take the others down with it (<c>cluster-require-full-coverage no</c>).
/// </summary>
public sealed class ClusterSet : IAsyncDisposable
{
    /// <summary>cluster-node-timeout: how long a silent primary takes to be judged failed.</summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromMilliseconds(1000);

    private readonly string _directory;
    private readonly List<TopologyNode> _nodes;

    private ClusterSet(string directory, List<TopologyNode> nodes)
    {
        _directory = directory;
        _nodes = nodes;
    }

    public IReadOnlyList<TopologyNode> Nodes => _nodes;

    /// <summary>The configuration string a lock node uses: every node of the cluster.</summary>
    public string Configuration =>
        string.Join(",", _nodes.Select(n => n.Address)) + ",abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    public static string DetectionSettings =>
        $"cluster-node-timeout {NodeTimeout.TotalMilliseconds:0}, cluster-require-full-coverage no, 3 primaries + 3 replicas";

    public static async Task<ClusterSet> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("lock-cluster-").FullName;
        var nodes = new List<TopologyNode>();
        var set = new ClusterSet(directory, nodes);
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var port = TopologyNode.FreePort();
                nodes.Add(await TopologyNode.StartAsync(port,
                [
                    "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", directory, "--cluster-enabled", "yes", "--cluster-config-file", $"nodes-{port}.conf",
                    "--cluster-node-timeout", NodeTimeout.TotalMilliseconds.ToString("0"),
                    "--cluster-require-full-coverage", "no", "--enable-debug-command", "local",
                    // A replica syncs at once instead of after the default 5 s wait for more replicas;
                    // one that never synced is never promoted.
                    "--repl-diskless-sync-delay", "0",
                ]));
            }
            await RedisCli.RunAsync(["--cluster", "create", .. nodes.Select(n => n.Address), "--cluster-replicas", "1", "--cluster-yes"]);
            foreach (var node in nodes) await set.UntilHealthyAsync(node);
            foreach (var node in nodes) await set.UntilSyncedAsync(node);
            return set;
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }
    }

    /// <summary>The node that serves <paramref name="redisKey"/>'s slot as primary now.</summary>
    public async Task<TopologyNode> PrimaryOfAsync(string redisKey)
    {
        var live = _nodes.First(n => n.IsRunning);
        var slot = int.Parse(await RedisCli.RunAsync("-p", live.Port.ToString(), "CLUSTER", "KEYSLOT", redisKey));
        foreach (var line in (await RedisCli.RunAsync("-p", live.Port.ToString(), "CLUSTER", "NODES")).Split('\n'))
        {
            var fields = line.Split(' ');
            if (!fields[2].Contains("master") || fields[2].Contains("fail")) continue;
            foreach (var range in fields.Skip(8))
            {
                var bounds = range.Split('-');
                var low = int.Parse(bounds[0]);
                var high = bounds.Length > 1 ? int.Parse(bounds[1]) : low;
                if (slot >= low && slot <= high)
                    return _nodes.Single(n => fields[1].StartsWith(n.Address + "@", StringComparison.Ordinal));
            }
        }
        throw new InvalidOperationException($"No primary serves slot {slot} of {redisKey}.");
    }

    /// <summary>Waits until the live nodes agree that every slot is served again (a replica took over).</summary>
    public async Task WaitUntilHealthyAsync(TimeSpan within)
    {
        foreach (var node in _nodes.Where(n => n.IsRunning)) await UntilHealthyAsync(node, within);
    }

    // A replica that has finished its first sync (a primary passes at once).
    private async Task UntilSyncedAsync(TopologyNode node)
    {
        var clock = Stopwatch.StartNew();
        while (await RedisCli.InfoFieldAsync(node.Port, "replication", "role") == "slave"
               && await RedisCli.InfoFieldAsync(node.Port, "replication", "master_link_status") != "up")
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"Replica {node.Port} did not sync within 20 s.");
            await Task.Delay(50);
        }
    }

    private async Task UntilHealthyAsync(TopologyNode node, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(20);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var info = await RedisCli.RunAsync("-p", node.Port.ToString(), "CLUSTER", "INFO");
            if (info.Contains("cluster_state:ok") && info.Contains("cluster_slots_ok:16384")) return;
            if (clock.Elapsed > limit)
                throw new TimeoutException($"Cluster node {node.Port} not healthy after {limit.TotalSeconds:0}s: {info}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
