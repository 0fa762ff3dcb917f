using Akka.Actor;
using Lock.Actors.Diagnostics;
using Lock.Actors.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors;

/// <summary>
/// Store calls whose outcome changes no actor's state: the reply is piped straight to the requester.
/// Used for tokens this node does not hold (another node's, or stale) and for status questions.
/// </summary>
internal static class StoreCalls
{
    public static void Release(ILockStore store, LockMetrics metrics, string key, string token, IActorRef replyTo) =>
        store.ReleaseAsync(store.NamesOf(key), token).PipeTo(
            replyTo,
            success: released => released
                ? Counted(new LockReleased(key), metrics.Released)
                : new ReleaseFailed(key, LockFailure.NotHeld, $"Lock '{key}' is not held by this token."),
            failure: cause => new ReleaseFailed(key, LockFailure.Unavailable,
                $"Redis was unavailable while releasing lock '{key}': {cause.Message}"));

    public static void Extend(ILockStore store, LockMetrics metrics, string key, string token, TimeSpan ttl, IActorRef replyTo) =>
        store.ExtendAsync(store.NamesOf(key), token, ttl).PipeTo(
            replyTo,
            success: extended => extended
                ? Counted(new LockExtended(key, ttl), metrics.Extended)
                : new ExtendFailed(key, LockFailure.NotHeld, $"Lock '{key}' is not held by this token."),
            failure: cause => new ExtendFailed(key, LockFailure.Unavailable,
                $"Redis was unavailable while extending lock '{key}': {cause.Message}"));

    public static void Status(ILockStore store, string key, IActorRef replyTo) =>
        store.GetStateAsync(key).PipeTo(
            replyTo,
            success: state => new LockStatus(key, state.Locked, state.RemainingTtl),
            failure: cause => new LockStatusFailed(key, LockFailure.Unavailable,
                $"Redis was unavailable while reading lock '{key}': {cause.Message}"));

    private static object Counted(object reply, Action count)
    {
        count();
        return reply;
    }
}
