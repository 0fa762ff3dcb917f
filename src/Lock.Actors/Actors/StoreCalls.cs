using Akka.Actor;
using Lock.Actors.Actors.KeyLock;
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
    public static void Release(ILockStore store, LockMetrics metrics, LockTracing tracing, Release request, IActorRef replyTo)
    {
        var key = request.Key;
        var startedAt = MonotonicClock.System.Now;
        void Trace(string outcome) => tracing.Release(key, request.TraceParent, MonotonicClock.System, startedAt, outcome, fencingToken: null);
        store.ReleaseAsync(store.NamesOf(key), request.Token).PipeTo(
            replyTo,
            success: released =>
            {
                Trace(released ? LockTracing.Outcomes.Released : LockTracing.Outcomes.NotHeld);
                return released
                    ? Counted(new LockReleased(key), metrics.Released)
                    : new ReleaseFailed(key, LockFailure.NotHeld, $"Lock '{key}' is not held by this token.");
            },
            failure: cause =>
            {
                Trace(LockTracing.Outcomes.Unavailable);
                return new ReleaseFailed(key, LockFailure.Unavailable,
                    $"Redis was unavailable while releasing lock '{key}': {cause.Message}");
            });
    }

    public static void Extend(ILockStore store, LockMetrics metrics, LockTracing tracing, Extend request, TimeSpan ttl, IActorRef replyTo)
    {
        var key = request.Key;
        var startedAt = MonotonicClock.System.Now;
        void Trace(string outcome) => tracing.Extend(key, request.TraceParent, MonotonicClock.System, startedAt, outcome, fencingToken: null, byWatchdog: false);
        store.ExtendAsync(store.NamesOf(key), request.Token, ttl).PipeTo(
            replyTo,
            success: extended =>
            {
                Trace(extended ? LockTracing.Outcomes.Extended : LockTracing.Outcomes.NotHeld);
                return extended
                    ? Counted(new LockExtended(key, ttl), metrics.Extended)
                    : new ExtendFailed(key, LockFailure.NotHeld, $"Lock '{key}' is not held by this token.");
            },
            failure: cause =>
            {
                Trace(LockTracing.Outcomes.Unavailable);
                return new ExtendFailed(key, LockFailure.Unavailable,
                    $"Redis was unavailable while extending lock '{key}': {cause.Message}");
            });
    }

    public static void Status(ILockStore store, string key, IActorRef replyTo) =>
        store.GetStateAsync(key).PipeTo(
            replyTo,
            success: state => new LockStatus(key, state.Locked, state.RemainingTtl, state.Mode, state.Holders),
            failure: cause => new LockStatusFailed(key, LockFailure.Unavailable,
                $"Redis was unavailable while reading lock '{key}': {cause.Message}"));

    private static object Counted(object reply, Action count)
    {
        count();
        return reply;
    }
}
