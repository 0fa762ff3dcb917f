using Akka.Actor;
using Akka.Configuration;

namespace Lock.Actors;

/// <summary>
/// The <c>lock</c> section of the HOCON configuration, read once and validated.
/// Actors receive it through their Props; nothing reads <see cref="Config"/> afterwards.
/// </summary>
public sealed record LockSettings(
    string KeyPrefix,
    TimeSpan DefaultTtl,
    TimeSpan DefaultTimeout,
    TimeSpan MaxTtl,
    TimeSpan RetryInterval,
    TimeSpan IdleTimeout,
    int MaxKeyLength,
    TimeSpan OperationTimeout,
    TimeSpan FencingCounterExpiry,
    TimeSpan ForceReleaseTimeout,
    string RedisConfiguration,
    int RedisDatabase,
    string Dispatcher,
    int BatchMaxInFlight,
    int BatchMaxLocks,
    int MinReplicaAcks = 0,
    TimeSpan ReplicaAckTimeout = default,
    string? TlsCaCertificate = null,
    string? TlsClientCertificate = null,
    string? TlsClientKey = null,
    TimeSpan ElectionTtl = default,
    bool HashKeysInTelemetry = false)
{
    /// <summary>The HOCON path of the section this record is read from.</summary>
    public const string ConfigPath = "lock";

    /// <summary>Reads the settings of a system whose configuration has the library defaults injected.</summary>
    public static LockSettings Create(ActorSystem system)
    {
        DistributedLocks.InjectDefaults(system);
        return Create(system.Settings.Config.GetConfig(ConfigPath));
    }

    /// <summary>Reads the settings from a <c>lock</c> section. Throws <see cref="ConfigurationException"/> naming the bad key.</summary>
    public static LockSettings Create(Config lockSection)
    {
        if (lockSection is null || lockSection.IsEmpty)
            throw new ConfigurationException(
                $"The '{ConfigPath}' configuration section is missing; load the Lock.Actors reference configuration.");

        var settings = new LockSettings(
            KeyPrefix: ReadString(lockSection, "key-prefix"),
            DefaultTtl: ReadDuration(lockSection, "default-ttl"),
            DefaultTimeout: ReadDuration(lockSection, "default-timeout"),
            MaxTtl: ReadDuration(lockSection, "max-ttl"),
            RetryInterval: ReadDuration(lockSection, "retry-interval"),
            IdleTimeout: ReadDuration(lockSection, "idle-timeout"),
            MaxKeyLength: ReadInt(lockSection, "max-key-length"),
            OperationTimeout: ReadDuration(lockSection, "operation-timeout"),
            FencingCounterExpiry: ReadDuration(lockSection, "fencing.counter-expiry"),
            ForceReleaseTimeout: ReadDuration(lockSection, "shutdown.force-release-timeout"),
            RedisConfiguration: ReadString(lockSection, "redis.configuration"),
            RedisDatabase: ReadInt(lockSection, "redis.database"),
            Dispatcher: ReadString(lockSection, "dispatcher"),
            BatchMaxInFlight: ReadInt(lockSection, "redis.batching.max-in-flight"),
            BatchMaxLocks: ReadInt(lockSection, "redis.batching.max-locks"),
            MinReplicaAcks: ReadInt(lockSection, "redis.min-replica-acks"),
            ReplicaAckTimeout: ReadDuration(lockSection, "redis.replica-ack-timeout"),
            TlsCaCertificate: ReadOptionalPath(lockSection, "redis.tls.ca-certificate"),
            TlsClientCertificate: ReadOptionalPath(lockSection, "redis.tls.client-certificate"),
            TlsClientKey: ReadOptionalPath(lockSection, "redis.tls.client-key"),
            ElectionTtl: ReadDuration(lockSection, "election.ttl"),
            HashKeysInTelemetry: ReadBool(lockSection, "telemetry.hash-keys"));
        settings.Validate();
        return settings;
    }

    private void Validate()
    {
        Require(KeyPrefix.Length > 0, "key-prefix", "must not be empty");
        Require(HasWholeHashTagOrNone(KeyPrefix), "key-prefix",
            "an opening brace needs a closing one after it with something between: a half hash tag would put a lock and its fencing counter in different cluster slots");
        RequireAtLeastOneMillisecond(DefaultTtl, "default-ttl");
        Require(DefaultTimeout >= TimeSpan.Zero, "default-timeout", "must not be negative");
        RequireAtLeastOneMillisecond(MaxTtl, "max-ttl");
        Require(DefaultTtl <= MaxTtl, "default-ttl", $"must not exceed max-ttl ({MaxTtl})");
        RequireAtLeastOneMillisecond(RetryInterval, "retry-interval");
        RequireAtLeastOneMillisecond(IdleTimeout, "idle-timeout");
        Require(MaxKeyLength > 0, "max-key-length", "must be positive");
        RequireAtLeastOneMillisecond(OperationTimeout, "operation-timeout");
        Require(FencingCounterExpiry >= MaxTtl, "fencing.counter-expiry",
            $"must be at least max-ttl ({MaxTtl}), or a counter could expire under a held lock");
        RequireAtLeastOneMillisecond(ForceReleaseTimeout, "shutdown.force-release-timeout");
        Require(!string.IsNullOrWhiteSpace(RedisConfiguration), "redis.configuration", "must not be empty");
        Require(RedisDatabase >= 0, "redis.database", "must not be negative");
        Require(!string.IsNullOrWhiteSpace(Dispatcher), "dispatcher", "must name a dispatcher configuration");
        Require(BatchMaxInFlight >= 1, "redis.batching.max-in-flight", "must be at least 1");
        // 4 keys a lock; Lua's unpack of KEYS and the client's argument arrays stay far below limits.
        Require(BatchMaxLocks is >= 1 and <= 1000, "redis.batching.max-locks", "must be between 1 and 1000");
        Require(MinReplicaAcks >= 0, "redis.min-replica-acks", "must not be negative");
        RequireAtLeastOneMillisecond(ReplicaAckTimeout, "redis.replica-ack-timeout");
        Require((TlsClientCertificate is null) == (TlsClientKey is null), "redis.tls.client-certificate",
            "and redis.tls.client-key go together: set both for mutual TLS, or neither");
        RequireReadableFile(TlsCaCertificate, "redis.tls.ca-certificate");
        RequireReadableFile(TlsClientCertificate, "redis.tls.client-certificate");
        RequireReadableFile(TlsClientKey, "redis.tls.client-key");
        RequireAtLeastOneMillisecond(ElectionTtl, "election.ttl");
        Require(ElectionTtl <= MaxTtl, "election.ttl", $"must not exceed max-ttl ({MaxTtl})");
    }

    private static void RequireReadableFile(string? path, string key) =>
        Require(path is null || File.Exists(path), key, $"the file '{path}' does not exist");

    private static bool HasWholeHashTagOrNone(string prefix)
    {
        var open = prefix.IndexOf('{');
        return open < 0 || prefix.IndexOf('}', open + 1) > open + 1;
    }

    private static void RequireAtLeastOneMillisecond(TimeSpan value, string key) =>
        Require(value >= TimeSpan.FromMilliseconds(1), key, $"must be at least 1ms, was {value}");

    private static void Require(bool condition, string key, string problem)
    {
        if (!condition)
            throw new ConfigurationException($"Invalid setting '{ConfigPath}.{key}': {problem}.");
    }

    private static string ReadString(Config section, string key) =>
        Read(section, key, c => c.GetString(key) ?? throw new FormatException("not a string"));

    // A path that may be left empty ("" means: not set).
    private static string? ReadOptionalPath(Config section, string key) =>
        section.HasPath(key) && ReadString(section, key) is { Length: > 0 } path ? path : null;

    private static int ReadInt(Config section, string key) => Read(section, key, c => c.GetInt(key));

    private static bool ReadBool(Config section, string key) => Read(section, key, c => c.GetBoolean(key));

    private static TimeSpan ReadDuration(Config section, string key) =>
        Read(section, key, c => c.GetTimeSpan(key, null, allowInfinite: false));

    private static T Read<T>(Config section, string key, Func<Config, T> read)
    {
        if (!section.HasPath(key)) throw Missing(key);
        try
        {
            return read(section);
        }
        catch (Exception e)
        {
            throw new ConfigurationException($"Invalid setting '{ConfigPath}.{key}': {e.Message}", e);
        }
    }

    private static ConfigurationException Missing(string key) =>
        new($"Missing setting '{ConfigPath}.{key}'.");
}
