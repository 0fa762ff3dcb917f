using System.Globalization;
using System.Text;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Hosting.Coordination;

namespace Lock.Actors.Coordination;

/// <summary>
/// The Akka.Hosting option for <see cref="RedisLease"/>: give it where a lease option is taken
/// (a singleton's or sharding's lease implementation, the split-brain resolver's lease-majority).
/// Only the values set here are written over the defaults.
/// </summary>
public sealed class RedisLeaseOption : LeaseOptionBase
{
    private TimeSpan? _heartbeatInterval;
    private TimeSpan? _heartbeatTimeout;
    private TimeSpan? _leaseOperationTimeout;
    private string _configPath = RedisLease.ConfigPath;

    /// <summary>
    /// <c>akka.coordination.lease.redis</c> while no value is set; with values, a path of this option's
    /// own (<c>akka.coordination.lease.redis-…</c>), whose section the lock extension adds to the
    /// configuration as it starts: so the option works where only its path is taken (Akka.Cluster.Hosting's
    /// singleton and sharding options), without <see cref="Apply"/>.
    /// </summary>
    public override string ConfigPath => _configPath;

    /// <summary>The lease implementation: <see cref="RedisLease"/>.</summary>
    public override Type Class => typeof(RedisLease);

    /// <summary>How often the holder extends the lease (the watchdog's period).</summary>
    public TimeSpan? HeartbeatInterval
    {
        get => _heartbeatInterval;
        set { _heartbeatInterval = value; Register(); }
    }

    /// <summary>The lease's TTL: without a successful heartbeat for this long it is free for others.</summary>
    public TimeSpan? HeartbeatTimeout
    {
        get => _heartbeatTimeout;
        set { _heartbeatTimeout = value; Register(); }
    }

    /// <summary>How long an acquire or release may take before it faults as unknown.</summary>
    public TimeSpan? LeaseOperationTimeout
    {
        get => _leaseOperationTimeout;
        set { _leaseOperationTimeout = value; Register(); }
    }

    /// <summary>
    /// Writes the set values over the defaults at <c>akka.coordination.lease.redis</c> (every Redis lease
    /// of the system then uses them) and at this option's own path.
    /// </summary>
    public override void Apply(AkkaConfigurationBuilder builder, Setup? setup = null)
    {
        var hocon = Values(RedisLease.ConfigPath);
        if (_configPath != RedisLease.ConfigPath) hocon += Section(_configPath);
        if (hocon.Length > 0) builder.AddHocon(ConfigurationFactory.ParseString(hocon), HoconAddMode.Prepend);
        builder.AddHocon(DistributedLocks.DefaultConfig(), HoconAddMode.Append);
    }

    // A path per combination of values: options with equal values share a section.
    private void Register()
    {
        if (_heartbeatInterval is null && _heartbeatTimeout is null && _leaseOperationTimeout is null)
        {
            _configPath = RedisLease.ConfigPath;
            return;
        }
        _configPath = $"{RedisLease.ConfigPath}-{Millis(_heartbeatInterval)}-{Millis(_heartbeatTimeout)}-{Millis(_leaseOperationTimeout)}";
        RedisLeaseSections.Add(_configPath, Section(_configPath));
    }

    /// <summary>A whole section at <paramref name="path"/>: the Redis lease's defaults with the set values over them.</summary>
    private string Section(string path)
    {
        var defaults = DistributedLocks.DefaultConfig().GetConfig(RedisLease.ConfigPath);
        var hocon = new StringBuilder();
        hocon.Append(path).Append(".lease-class = \"").Append(defaults.GetString("lease-class")).AppendLine("\"");
        hocon.Append(path).Append(".heartbeat-interval = ").AppendLine(Duration(_heartbeatInterval ?? defaults.GetTimeSpan("heartbeat-interval")));
        hocon.Append(path).Append(".heartbeat-timeout = ").AppendLine(Duration(_heartbeatTimeout ?? defaults.GetTimeSpan("heartbeat-timeout")));
        hocon.Append(path).Append(".lease-operation-timeout = ").AppendLine(Duration(_leaseOperationTimeout ?? defaults.GetTimeSpan("lease-operation-timeout")));
        return hocon.ToString();
    }

    private string Values(string path)
    {
        var hocon = new StringBuilder();
        void Write(string key, TimeSpan? value)
        {
            if (value is { } set) hocon.Append(path).Append('.').Append(key).Append(" = ").AppendLine(Duration(set));
        }

        Write("heartbeat-interval", _heartbeatInterval);
        Write("heartbeat-timeout", _heartbeatTimeout);
        Write("lease-operation-timeout", _leaseOperationTimeout);
        return hocon.ToString();
    }

    private static string Millis(TimeSpan? value) =>
        value is { } set ? ((long)set.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) : "default";

    private static string Duration(TimeSpan value) =>
        ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
}
