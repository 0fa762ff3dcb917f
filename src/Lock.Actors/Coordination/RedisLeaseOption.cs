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
    public override string ConfigPath => RedisLease.ConfigPath;

    public override Type Class => typeof(RedisLease);

    /// <summary>How often the holder extends the lease (the watchdog's period).</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>The lease's TTL: without a successful heartbeat for this long it is free for others.</summary>
    public TimeSpan? HeartbeatTimeout { get; set; }

    /// <summary>How long an acquire or release may take before it faults as unknown.</summary>
    public TimeSpan? LeaseOperationTimeout { get; set; }

    public override void Apply(AkkaConfigurationBuilder builder, Setup? setup = null)
    {
        var hocon = new StringBuilder();
        void Write(string key, TimeSpan? value)
        {
            if (value is { } set)
                hocon.Append(ConfigPath).Append('.').Append(key).Append(" = ")
                    .Append(((long)set.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)).AppendLine("ms");
        }

        Write("heartbeat-interval", HeartbeatInterval);
        Write("heartbeat-timeout", HeartbeatTimeout);
        Write("lease-operation-timeout", LeaseOperationTimeout);
        if (hocon.Length > 0) builder.AddHocon(ConfigurationFactory.ParseString(hocon.ToString()), HoconAddMode.Prepend);
        builder.AddHocon(DistributedLocks.DefaultConfig(), HoconAddMode.Append);
    }
}
