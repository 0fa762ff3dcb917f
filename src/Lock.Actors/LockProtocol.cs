using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Lock.Actors.Actors.KeyLock;
using Lock.Actors.Redis;

namespace Lock.Actors;

/// <summary>
/// Every message the lock manager understands and every reply it sends.
/// Replies go to the sender, so <c>Ask</c> works; <c>using static Lock.Actors.LockProtocol;</c>
/// brings the names into scope.
/// </summary>
public static partial class LockProtocol
{
    /// <summary>How a lock is held.</summary>
    public enum LockMode
    {
        /// <summary>By one holder alone (the writer): every lock this library grants today.</summary>
        Exclusive,
        /// <summary>By several holders together (readers, or a semaphore's permits).</summary>
        Shared,
    }

    /// <summary>Why an <see cref="Acquire"/> did not get the lock.</summary>
    public enum AcquireFailure
    {
        /// <summary>The key stayed held by someone else for the whole timeout.</summary>
        Timeout,
        /// <summary>Redis failed or did not answer in time; the outcome was not a grant.</summary>
        Unavailable,
        /// <summary>The request itself was malformed (key, TTL, timeout, mode or limit), or names a limit the key's holders do not.</summary>
        InvalidRequest,
        /// <summary>The node is shutting down and takes no new locks.</summary>
        ShuttingDown,
    }

    /// <summary>Why a release, extend or status request failed.</summary>
    public enum LockFailure
    {
        /// <summary>The token does not hold the key (wrong, stale, expired or taken over).</summary>
        NotHeld,
        /// <summary>Redis failed or did not answer in time.</summary>
        Unavailable,
        /// <summary>The request itself was malformed.</summary>
        InvalidRequest,
    }

    /// <summary>
    /// Take the lock on <paramref name="Key"/>, waiting up to <paramref name="Timeout"/> while it is held
    /// (<see cref="System.Threading.Timeout.InfiniteTimeSpan"/>: until it is granted).
    /// <paramref name="Owner"/>, when given, is watched: its locks are released when it stops, and it
    /// receives <see cref="LockLost"/>.
    /// <para>
    /// <paramref name="Mode"/>: <see cref="LockMode.Exclusive"/> (the default) holds the key alone, as a
    /// writer; <see cref="LockMode.Shared"/> with no <paramref name="Limit"/> is a reader, holding it
    /// together with other readers and never with a writer; <see cref="LockMode.Shared"/> with
    /// <paramref name="Limit"/> N (N ≥ 1) is a semaphore permit, granted while fewer than N hold the key.
    /// While shared holders hold a key, a shared request naming another limit (or a reader on a
    /// semaphore, or a permit on a read lock) is refused as <see cref="AcquireFailure.InvalidRequest"/>.
    /// Once a writer waits for a key, on any node, new readers and permits wait behind it.
    /// </para>
    /// </summary>
    public sealed record Acquire(
        string Key,
        TimeSpan? Ttl = null,
        TimeSpan? Timeout = null,
        bool AutoExtend = false,
        IActorRef? Owner = null,
        LockMode Mode = LockMode.Exclusive,
        int? Limit = null) : IFromManager
    {
        // The activity current where the request is made: the parent of its acquire and hold spans (a
        // reference, not its context: that is read only when a span is recorded).
        internal Activity? TraceParent { get; init; } = Activity.Current;
    }

    /// <summary>The lock is held by the requester until <see cref="Ttl"/> passes or it is released.</summary>
    public sealed record LockAcquired(string Key, string Token, long FencingToken, TimeSpan Ttl) : IDeadLetterSuppression
    {
        /// <summary>The reply, with the token redacted.</summary>
        public override string ToString() =>
            $"LockAcquired {{ Key = {Key}, Token = {LockTokens.Redact(Token)}, FencingToken = {FencingToken}, Ttl = {Ttl} }}";
    }

    /// <summary>The lock was not granted; <see cref="Message"/> says why, naming the key.</summary>
    public sealed record LockNotAcquired(string Key, AcquireFailure Reason, string Message) : IDeadLetterSuppression;

    /// <summary>Give the lock back. Only the token that holds it releases anything.</summary>
    public sealed record Release(string Key, string Token) : IFromManager
    {
        internal Activity? TraceParent { get; init; } = Activity.Current;

        /// <summary>The request, with the token redacted.</summary>
        public override string ToString() => $"Release {{ Key = {Key}, Token = {LockTokens.Redact(Token)} }}";
    }

    /// <summary>Reply to <see cref="Release"/>: the token held the key and the lock is deleted.</summary>
    /// <param name="Key">The released key.</param>
    public sealed record LockReleased(string Key) : IDeadLetterSuppression;

    /// <summary>Reply to <see cref="Release"/> when nothing was released.</summary>
    /// <param name="Key">The key named in the request.</param>
    /// <param name="Reason">Why: the token did not hold it, Redis was unavailable, or the request was malformed.</param>
    /// <param name="Message">One sentence naming the key and the problem.</param>
    public sealed record ReleaseFailed(string Key, LockFailure Reason, string Message) : IDeadLetterSuppression;

    /// <summary>Reset the lock's TTL to <paramref name="Ttl"/> (or the TTL it was taken with).</summary>
    public sealed record Extend(string Key, string Token, TimeSpan? Ttl = null) : IFromManager
    {
        internal Activity? TraceParent { get; init; } = Activity.Current;

        /// <summary>The request, with the token redacted.</summary>
        public override string ToString() =>
            $"Extend {{ Key = {Key}, Token = {LockTokens.Redact(Token)}, Ttl = {Ttl} }}";
    }

    /// <summary>Reply to <see cref="Extend"/>: the lock now lives <paramref name="Ttl"/> from the extend.</summary>
    /// <param name="Key">The extended key.</param>
    /// <param name="Ttl">Its new TTL.</param>
    public sealed record LockExtended(string Key, TimeSpan Ttl) : IDeadLetterSuppression;

    /// <summary>Reply to <see cref="Extend"/> when the lock was not extended.</summary>
    /// <param name="Key">The key named in the request.</param>
    /// <param name="Reason">Why: the token did not hold it, Redis was unavailable, or the request was malformed.</param>
    /// <param name="Message">One sentence naming the key and the problem.</param>
    public sealed record ExtendFailed(string Key, LockFailure Reason, string Message) : IDeadLetterSuppression;

    /// <summary>Is the key held by anyone, on any node?</summary>
    public sealed record IsLocked(string Key);

    /// <summary>
    /// <paramref name="RemainingTtl"/> is null when the key is free, and also when it is held without
    /// an expiry (written by something other than this library); for shared holders it is the TTL of the
    /// last of them. <paramref name="Mode"/> is null when the key is free; <paramref name="Holders"/>
    /// counts who hold it (1 when exclusive, the readers or permits when shared, 0 when free).
    /// </summary>
    public sealed record LockStatus(string Key, bool Locked, TimeSpan? RemainingTtl, LockMode? Mode = null, int Holders = 0)
        : IDeadLetterSuppression;

    /// <summary>The reply to <see cref="IsLocked"/> when the question could not be answered.</summary>
    public sealed record LockStatusFailed(string Key, LockFailure Reason, string Message) : IDeadLetterSuppression;

    /// <summary>Ask for the locks this node holds right now.</summary>
    public sealed record GetActiveLocks
    {
        /// <summary>The one instance.</summary>
        public static GetActiveLocks Instance { get; } = new();
        private GetActiveLocks() { }
    }

    /// <summary>One entry of the manager's active-lock table.</summary>
    /// <param name="Key">The lock's key.</param>
    /// <param name="Token">The holder's token (redacted in <see cref="ToString"/>).</param>
    /// <param name="FencingToken">The grant's fencing token.</param>
    /// <param name="Owner">The actor the lock is bound to, if any.</param>
    /// <param name="AcquiredAt">When it was granted (this node's wall clock).</param>
    /// <param name="Ttl">The TTL it was taken or last extended with.</param>
    /// <param name="AutoExtend">Whether the watchdog keeps it.</param>
    /// <param name="Mode">How it is held: alone, or shared (a read lock or a permit).</param>
    public sealed record ActiveLock(
        string Key,
        string Token,
        long FencingToken,
        IActorRef? Owner,
        DateTimeOffset AcquiredAt,
        TimeSpan Ttl,
        bool AutoExtend,
        LockMode Mode = LockMode.Exclusive)
    {
        /// <summary>The entry, with the token redacted.</summary>
        public override string ToString() =>
            $"ActiveLock {{ Key = {Key}, Token = {LockTokens.Redact(Token)}, FencingToken = {FencingToken}, " +
            $"Owner = {Owner}, AcquiredAt = {AcquiredAt:O}, Ttl = {Ttl}, AutoExtend = {AutoExtend}, Mode = {Mode} }}";
    }

    /// <summary>Reply to <see cref="GetActiveLocks"/>.</summary>
    /// <param name="Locks">The locks this node holds, in no particular order.</param>
    public sealed record ActiveLocks(IReadOnlyList<ActiveLock> Locks) : IDeadLetterSuppression;

    /// <summary>Release every lock this node holds (what coordinated shutdown does).</summary>
    public sealed record ForceReleaseAll
    {
        /// <summary>The one instance.</summary>
        public static ForceReleaseAll Instance { get; } = new();
        private ForceReleaseAll() { }
    }

    /// <summary>How many held locks were deleted from Redis by a <see cref="ForceReleaseAll"/>.</summary>
    public sealed record ForceReleased(int Count) : IDeadLetterSuppression;

    /// <summary>
    /// Pushed to the lock's owner (and published on the event stream) when a lock this node held is
    /// gone without a release: its TTL ran out, or the watchdog found it expired, taken or wiped.
    /// </summary>
    public sealed record LockLost(string Key, string Token, string Reason) : IDeadLetterSuppression
    {
        /// <summary>The message, with the token redacted.</summary>
        public override string ToString() =>
            $"LockLost {{ Key = {Key}, Token = {LockTokens.Redact(Token)}, Reason = {Reason} }}";
    }
}
