using Akka.Actor;
using Akka.Event;

namespace Lock.Actors;

// Watching a lock: the state first, then every grant and release made on any node, in order.
public static partial class LockProtocol
{
    /// <summary>
    /// Tell <paramref name="Watcher"/> the state of <paramref name="Key"/> now, then every change made
    /// on any node, in order, as <see cref="LockStateChanged"/>, until <see cref="UnwatchLock"/> or
    /// the watcher stops. Watching a key twice with the same watcher is one watch. A malformed key is
    /// answered <see cref="WatchFailed"/> (to the sender).
    /// </summary>
    public sealed record WatchLock(string Key, IActorRef Watcher);

    /// <summary>Stop telling <paramref name="Watcher"/> about <paramref name="Key"/>; harmless when it does not watch it.</summary>
    public sealed record UnwatchLock(string Key, IActorRef Watcher);

    /// <summary>
    /// <paramref name="Key"/> is now held under <paramref name="FencingToken"/>, or (when
    /// <paramref name="Locked"/> is false) the hold under <paramref name="FencingToken"/> has ended:
    /// released, or expired on its TTL. Tokens only go up, so a watcher can order what it is told. Every
    /// hold's end is told before the next hold's start, and a watcher is never told "released" while the
    /// hold it names is still in Redis. When a notification is lost (Redis pub/sub delivers at most
    /// once), the next read of the key brings the watcher to the current state, possibly skipping a
    /// hold that began and ended meanwhile.
    /// </summary>
    public sealed record LockStateChanged(string Key, bool Locked, long? FencingToken) : IDeadLetterSuppression;

    /// <summary>The reply to a <see cref="WatchLock"/> (or <see cref="WatchLeader"/>) that cannot be served; <paramref name="Message"/> names the key.</summary>
    public sealed record WatchFailed(string Key, LockFailure Reason, string Message) : IDeadLetterSuppression;
}
