using System.Diagnostics;

namespace Lock.Actors.Tests.Infrastructure.Topology;

/// <summary>
/// A Sentinel deployment on loopback, as production runs it in small: a primary, one replica and
/// three sentinels (quorum 2), started from redis-server and stopped after. The replica replicates as
/// an ACL user of its own, so a test can cut replication (that user is switched off and its link
/// killed; sentinels and clients still reach the primary) and then kill the primary: a failover that
/// loses the writes made since the cut. Failure detection is shortened
/// (<see cref="DownAfter"/>) so a failover takes seconds.
/// </summary>
public sealed class SentinelSet : IAsyncDisposable
{
    public const string ServiceName = "lockprimary";

    /// <summary>sentinel down-after-milliseconds: how long a silent primary takes to be judged down.</summary>
    public static readonly TimeSpan DownAfter = TimeSpan.FromMilliseconds(1000);

    /// <summary>sentinel failover-timeout.</summary>
    public static readonly TimeSpan FailoverTimeout = TimeSpan.FromMilliseconds(3000);

    private readonly string _directory;
    private readonly List<TopologyNode> _sentinels = new();

    // The user the replica replicates as: switching it off cuts replication and nothing else.
    private const string ReplicationUser = "replication";
    private const string ReplicationPassword = "replication-secret";

    private SentinelSet(string directory, TopologyNode primary, TopologyNode replica)
    {
        _directory = directory;
        Primary = primary;
        Replica = replica;
    }

    public TopologyNode Primary { get; }

    public TopologyNode Replica { get; }

    public IReadOnlyList<TopologyNode> Sentinels => _sentinels;

    /// <summary>The configuration string a lock node uses: the sentinels and the service name.</summary>
    public string Configuration =>
        string.Join(",", _sentinels.Select(s => s.Address))
        + $",serviceName={ServiceName},abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    /// <summary>The failure-detection settings, for test output and README figures.</summary>
    public static string DetectionSettings =>
        $"sentinel down-after-milliseconds {DownAfter.TotalMilliseconds:0}, failover-timeout {FailoverTimeout.TotalMilliseconds:0}, quorum 2 of 3";

    public static async Task<SentinelSet> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("lock-sentinel-").FullName;
        var primaryPort = TopologyNode.FreePort();
        var primary = await TopologyNode.StartAsync(primaryPort, DataNodeArguments(primaryPort, directory));
        await RedisCli.RunAsync("-p", primaryPort.ToString(),
            "ACL", "SETUSER", ReplicationUser, "on", ">" + ReplicationPassword, "+psync", "+replconf", "+ping");
        var replicaPort = TopologyNode.FreePort();
        var replica = await TopologyNode.StartAsync(replicaPort,
        [
            .. DataNodeArguments(replicaPort, directory), "--replicaof", "127.0.0.1", primaryPort.ToString(),
            "--masteruser", ReplicationUser, "--masterauth", ReplicationPassword,
        ]);
        var set = new SentinelSet(directory, primary, replica);
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var port = TopologyNode.FreePort();
                var file = Path.Combine(directory, $"sentinel-{port}.conf");
                await File.WriteAllTextAsync(file, $"""
                    port {port}
                    bind 127.0.0.1
                    dir {directory}
                    sentinel monitor {ServiceName} 127.0.0.1 {primaryPort} 2
                    sentinel down-after-milliseconds {ServiceName} {DownAfter.TotalMilliseconds:0}
                    sentinel failover-timeout {ServiceName} {FailoverTimeout.TotalMilliseconds:0}
                    sentinel parallel-syncs {ServiceName} 1

                    """);
                set._sentinels.Add(await TopologyNode.StartAsync(port, [file, "--sentinel"]));
            }
            await set.WaitUntilReadyAsync();
            return set;
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }
    }

    private static string[] DataNodeArguments(int port, string directory) =>
    [
        "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", directory, "--enable-debug-command", "local",
        // The replica syncs at once instead of after the default 5 s wait for more replicas.
        "--repl-diskless-sync-delay", "0",
    ];

    /// <summary>Replication is up and every sentinel knows the replica and the other two sentinels.</summary>
    private async Task WaitUntilReadyAsync()
    {
        await Until(async () => await RedisCli.InfoFieldAsync(Replica.Port, "replication", "master_link_status") == "up",
            "the replica to sync");
        foreach (var sentinel in _sentinels)
        {
            await Until(async () =>
            {
                var info = await RedisCli.InfoFieldAsync(sentinel.Port, "sentinel", "master0");
                return info is not null && info.Contains("slaves=1") && info.Contains("sentinels=3");
            }, $"sentinel {sentinel.Port} to see the replica and the other sentinels");
        }
    }

    /// <summary>
    /// Cuts replication: the primary refuses the replica's user and drops its link, so the writes
    /// made from now on exist on the primary only. Returns once the replica sees its link down.
    /// </summary>
    public async Task CutReplicationAsync()
    {
        await RedisCli.RunAsync("-p", Primary.Port.ToString(), "ACL", "SETUSER", ReplicationUser, "off");
        await RedisCli.RunAsync("-p", Primary.Port.ToString(), "CLIENT", "KILL", "USER", ReplicationUser);
        await Until(async () => await RedisCli.InfoFieldAsync(Replica.Port, "replication", "master_link_status") == "down",
            "the replica to lose its link");
    }

    /// <summary>The port of the primary the sentinels name now.</summary>
    public async Task<int> CurrentPrimaryPortAsync()
    {
        var reply = await RedisCli.RunAsync("-p", _sentinels[0].Port.ToString(), "SENTINEL", "get-master-addr-by-name", ServiceName);
        return int.Parse(reply.Split('\n')[^1].Trim());
    }

    /// <summary>Waits until the sentinels have promoted the replica.</summary>
    public Task WaitForFailoverAsync(TimeSpan within) =>
        Until(async () => await CurrentPrimaryPortAsync() == Replica.Port
                          && await RedisCli.InfoFieldAsync(Replica.Port, "replication", "role") == "master",
            "the sentinels to promote the replica", within);

    /// <summary>
    /// After a failover: restarts the killed primary (empty) as a replica of the promoted one, as an
    /// operator would, and waits until it has synced.
    /// </summary>
    public async Task RejoinOldPrimaryAsReplicaAsync()
    {
        await Primary.StartAgainAsync();
        await RedisCli.RunAsync("-p", Primary.Port.ToString(), "REPLICAOF", "127.0.0.1", Replica.Port.ToString());
        await Until(async () => await RedisCli.InfoFieldAsync(Primary.Port, "replication", "master_link_status") == "up",
            "the old primary to sync from the new one");
    }

    /// <summary>The replica has every write the primary has made so far.</summary>
    public Task WaitForReplicationAsync() =>
        Until(async () =>
        {
            var primaryOffset = await RedisCli.InfoFieldAsync(Primary.Port, "replication", "master_repl_offset");
            var replicaOffset = await RedisCli.InfoFieldAsync(Replica.Port, "replication", "slave_repl_offset");
            return primaryOffset is not null && primaryOffset == replicaOffset;
        }, "the replica to catch up");

    private static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(20);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (InvalidOperationException) when (clock.Elapsed < limit)
            {
                // A node that is not answering yet.
            }
            if (clock.Elapsed > limit) throw new TimeoutException($"Waited {limit.TotalSeconds:0}s for {what}.");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sentinel in _sentinels) await sentinel.DisposeAsync();
        await Replica.DisposeAsync();
        await Primary.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
