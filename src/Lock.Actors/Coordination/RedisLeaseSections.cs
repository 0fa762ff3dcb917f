using System.Collections.Concurrent;
using Akka.Configuration;

namespace Lock.Actors.Coordination;

/// <summary>
/// The config sections of <see cref="RedisLeaseOption"/>s with values of their own, each under a path
/// of its own. Akka.Cluster.Hosting's singleton and sharding options take a lease option's config path
/// and never apply its values, so the lock extension puts these sections into the ActorSystem's
/// configuration as it starts, before any singleton asks for its lease.
/// </summary>
internal static class RedisLeaseSections
{
    private static readonly ConcurrentDictionary<string, string> Sections = new(StringComparer.Ordinal);

    public static void Add(string path, string hocon) => Sections[path] = hocon;

    /// <summary>Every section registered in this process (an option made for another ActorSystem is harmless here).</summary>
    public static Config All() =>
        Sections.IsEmpty ? Config.Empty : ConfigurationFactory.ParseString(string.Join(Environment.NewLine, Sections.Values));
}
