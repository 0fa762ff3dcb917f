using Akka.Actor;
using Lock.Actors.Actors.KeyLock;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Coordination;

/// <summary>
/// What the coordination lease asks of the lock engine, and what it hears back: a lock held under the
/// lease owner's stable identity, and reports of how long it is surely valid.
/// </summary>
internal static class LeaseProtocol
{
    /// <summary>
    /// Acquire on behalf of a holder with a stable identity: the lock's token is <paramref name="Token"/>,
    /// so the same identity asking again is granted; the watchdog extends every
    /// <paramref name="ExtendInterval"/>; and the owner hears <see cref="LeaseValid"/> after the grant
    /// and after each extend.
    /// </summary>
    public sealed record AcquireLease(Acquire Request, string Token, TimeSpan ExtendInterval) : IFromManager;

    /// <summary>
    /// To the owner of an <see cref="AcquireLease"/> lock: the lock is surely held until the monotonic
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp <paramref name="ValidUntil"/>.
    /// </summary>
    public sealed record LeaseValid(string Key, string Token, long FencingToken, long ValidUntil);
}
