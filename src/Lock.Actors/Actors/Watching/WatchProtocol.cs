using Akka.Actor;
using Lock.Actors.Redis;

namespace Lock.Actors.Actors.Watching;

/// <summary>What the manager, the watch registry and the per-key watch actors say to each other.</summary>
internal static class WatchProtocol
{
    /// <summary>
    /// One watch: <paramref name="Watcher"/> is told about <paramref name="Key"/>, as lock states, or as
    /// the leader of <paramref name="LeaderName"/> when that is given.
    /// </summary>
    public sealed record Watch(string Key, IActorRef Watcher, string? LeaderName);

    /// <summary>Add a watch (the registry to a key's watch actor, or the manager to the registry).</summary>
    public sealed record AddWatch(Watch Watch);

    /// <summary>Remove a watch; harmless when there is none.</summary>
    public sealed record RemoveWatch(Watch Watch);

    /// <summary>A change of <paramref name="Key"/> announced on Redis pub/sub (from any node).</summary>
    public sealed record ChangeAnnounced(string Key, LockChange Change);

    /// <summary>Announcements may have been missed (reconnect, failover): every watched key is read again.</summary>
    public sealed record ReadAll
    {
        public static ReadAll Instance { get; } = new();
        private ReadAll() { }
    }
}
