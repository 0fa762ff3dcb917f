using System.Globalization;
using System.Text;
using Akka.Configuration;
using StackExchange.Redis;

namespace Lock.Actors;

/// <summary>
/// Options of <see cref="DistributedLocksHostingExtensions.WithDistributedLocks(Akka.Hosting.AkkaConfigurationBuilder, DistributedLocksOptions)"/>.
/// Only the values set here are written over the reference configuration; everything left null
/// keeps its default from <c>reference.conf</c> (or from the application's own HOCON).
/// </summary>
public sealed class DistributedLocksOptions
{
    /// <summary><c>lock.key-prefix</c>: put before every lock key in Redis.</summary>
    public string? KeyPrefix { get; set; }

    /// <summary><c>lock.default-ttl</c>: a lock's TTL when the acquire names none.</summary>
    public TimeSpan? DefaultTtl { get; set; }

    /// <summary><c>lock.default-timeout</c>: how long an acquire waits when it names no timeout.</summary>
    public TimeSpan? DefaultTimeout { get; set; }

    /// <summary><c>lock.max-ttl</c>: the longest TTL an acquire or extend may ask for.</summary>
    public TimeSpan? MaxTtl { get; set; }

    /// <summary><c>lock.retry-interval</c>: how often a waiter tries again when no release notification comes.</summary>
    public TimeSpan? RetryInterval { get; set; }

    /// <summary><c>lock.idle-timeout</c>: how long a key actor with nothing to do lives on.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary><c>lock.max-key-length</c>: the longest key accepted, in characters.</summary>
    public int? MaxKeyLength { get; set; }

    /// <summary><c>lock.operation-timeout</c>: how long one Redis call may take before it counts as failed.</summary>
    public TimeSpan? OperationTimeout { get; set; }

    /// <summary><c>lock.shutdown.force-release-timeout</c>: how long coordinated shutdown waits for the release of every lock.</summary>
    public TimeSpan? ForceReleaseTimeout { get; set; }

    /// <summary><c>lock.election.ttl</c>: a term's TTL when a campaign names none.</summary>
    public TimeSpan? ElectionTtl { get; set; }

    /// <summary>A StackExchange.Redis configuration string; the extension then opens and owns the connection.</summary>
    public string? RedisConfiguration { get; set; }

    /// <summary><c>lock.redis.database</c>: the Redis database number.</summary>
    public int? RedisDatabase { get; set; }

    /// <summary><c>lock.redis.min-replica-acks</c>: replicas that must confirm a grant (Redis WAIT) before it is handed out.</summary>
    public int? MinReplicaAcks { get; set; }

    /// <summary><c>lock.redis.replica-ack-timeout</c>: how long a grant waits for those confirmations.</summary>
    public TimeSpan? ReplicaAckTimeout { get; set; }

    /// <summary><c>lock.redis.tls.ca-certificate</c>: PEM file of a CA trusted for the server's chain (turns TLS on).</summary>
    public string? TlsCaCertificate { get; set; }

    /// <summary><c>lock.redis.tls.client-certificate</c>: PEM certificate this node presents (mutual TLS; with <see cref="TlsClientKey"/>).</summary>
    public string? TlsClientCertificate { get; set; }

    /// <summary><c>lock.redis.tls.client-key</c>: PEM private key of <see cref="TlsClientCertificate"/>.</summary>
    public string? TlsClientKey { get; set; }

    /// <summary>
    /// Takes the application's existing multiplexer from its services instead of opening one
    /// (it is never disposed by the lock subsystem). Wins over <see cref="RedisConfiguration"/>.
    /// </summary>
    public Func<IServiceProvider, IConnectionMultiplexer>? ConnectionFactory { get; set; }

    /// <summary>The HOCON of the values that are set; empty when none is.</summary>
    public Config ToConfig()
    {
        var hocon = new StringBuilder();
        void Write(string key, string? value)
        {
            if (value is not null) hocon.Append(LockSettings.ConfigPath).Append('.').Append(key).Append(" = ").AppendLine(value);
        }

        Write("key-prefix", Quote(KeyPrefix));
        Write("default-ttl", Duration(DefaultTtl));
        Write("default-timeout", Duration(DefaultTimeout));
        Write("max-ttl", Duration(MaxTtl));
        Write("retry-interval", Duration(RetryInterval));
        Write("idle-timeout", Duration(IdleTimeout));
        Write("max-key-length", MaxKeyLength?.ToString(CultureInfo.InvariantCulture));
        Write("operation-timeout", Duration(OperationTimeout));
        Write("shutdown.force-release-timeout", Duration(ForceReleaseTimeout));
        Write("election.ttl", Duration(ElectionTtl));
        Write("redis.configuration", Quote(RedisConfiguration));
        Write("redis.database", RedisDatabase?.ToString(CultureInfo.InvariantCulture));
        Write("redis.min-replica-acks", MinReplicaAcks?.ToString(CultureInfo.InvariantCulture));
        Write("redis.replica-ack-timeout", Duration(ReplicaAckTimeout));
        Write("redis.tls.ca-certificate", Quote(TlsCaCertificate));
        Write("redis.tls.client-certificate", Quote(TlsClientCertificate));
        Write("redis.tls.client-key", Quote(TlsClientKey));
        return hocon.Length == 0 ? Config.Empty : ConfigurationFactory.ParseString(hocon.ToString());
    }

    private static string? Quote(string? value) =>
        value is null ? null : "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string? Duration(TimeSpan? value) =>
        value is null ? null : ((long)value.Value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
}
