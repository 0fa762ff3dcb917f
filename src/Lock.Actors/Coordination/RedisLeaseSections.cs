using System.Collections.Concurrent;
using Akka.Configuration;

namespace Lock.Actors.Coordination;

/// <summary>
/// The config sections of <c>RedisLeaseOption</c>s (Lock.Actors.Hosting) with values of their own, each under a path
/// of its own. Akka.Cluster.Hosting's singleton and sharding options take a lease option's config path
/// and never apply its values, so the lock extension puts these sections into the ActorSystem's
/// configuration as it starts, before any singleton asks for its lease. The hosting package's
/// <c>RedisLeaseOption</c> registers here; an application without Akka.Hosting may too.
/// </summary>
public static class RedisLeaseSections
{
    private static readonly ConcurrentDictionary<string, string> Sections = new(StringComparer.Ordinal);

    /// <summary>Registers (or replaces) the HOCON of the whole section at <paramref name="path"/>.</summary>
    /// <param name="path">The section's path, under which a lease is looked up by its config path.</param>
    /// <param name="hocon">HOCON of the section, every key written under <paramref name="path"/>.</param>
    public static void Add(string path, string hocon)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(hocon);
        Sections[path] = hocon;
    }

    /// <summary>Every section registered in this process (an option made for another ActorSystem is harmless here).</summary>
    public static Config All() =>
        Sections.IsEmpty ? Config.Empty : ConfigurationFactory.ParseString(string.Join(Environment.NewLine, Sections.Values));
}
