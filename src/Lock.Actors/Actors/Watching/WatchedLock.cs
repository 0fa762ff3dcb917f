using Lock.Actors.Redis;

namespace Lock.Actors.Actors.Watching;

/// <summary>
/// One lock as its watchers know it, and the rule that keeps what they are told true and in order.
/// Two sources feed it and may arrive in either order: announcements (pub/sub, in publish order) and
/// reads of the key (the interactive connection). Fencing tokens order them: a grant of token t comes
/// after everything with a lower token, and its end after its grant. A read is the truth when no
/// announcement arrived while it was in flight (everything announced before was published before it
/// ran); otherwise it is placed by its token like an announcement.
/// </summary>
internal sealed class WatchedLock
{
    /// <summary>What watchers were told last; null until the first read.</summary>
    public LockView? Current { get; private set; }

    /// <summary>A grant or release announced by the script that made it; adds what to tell to <paramref name="told"/>.</summary>
    public void Announced(LockChange change, List<LockView> told) =>
        Place(new LockView(change.Locked, change.FencingToken, change.Label), told);

    /// <summary>
    /// A read of the key. <paramref name="newerThanAnnouncements"/>: no announcement arrived while it was
    /// in flight. Returns false when the read cannot be placed (no token to order it by): read again.
    /// </summary>
    public bool Read(WatchedState state, bool newerThanAnnouncements, List<LockView> told)
    {
        var read = new LockView(state.Locked, state.FencingToken, state.Label);
        if (Current is not { } current)
        {
            Tell(read, told);
            return true;
        }
        if (!newerThanAnnouncements)
        {
            if (read.FencingToken is null) return false;
            Place(read, told);
            return true;
        }
        if (read.Locked)
        {
            if (current.Locked && current.FencingToken != read.FencingToken) Ended(current, told);
            if (!current.Locked || current.FencingToken != read.FencingToken) Tell(read, told);
        }
        else if (current.Locked)
        {
            // The hold it knew has ended (and any that came after it: a lost announcement merges them).
            Tell(read with { FencingToken = Max(current.FencingToken, read.FencingToken), Label = current.Label }, told);
        }
        else if (Max(current.FencingToken, read.FencingToken) != current.FencingToken)
        {
            // A whole hold began and ended unannounced: nothing to tell now, but order by it from here.
            Current = current with { FencingToken = read.FencingToken };
        }
        return true;
    }

    private void Place(LockView next, List<LockView> told)
    {
        if (Current is not { } current) return;
        if (next.FencingToken is not { } token || current.FencingToken is not { } known)
        {
            // Without tokens to order by (a counter that expired), only a change of state is news.
            if (current.Locked != next.Locked) Tell(next, told);
            return;
        }
        if (token > known)
        {
            // A later hold: the one watchers know has ended (its release was not announced: it expired,
            // or the announcement was lost). The end of a hold whose grant was not seen: the grant came first.
            if (current.Locked) Ended(current, told);
            if (!next.Locked) Tell(next with { Locked = true }, told);
            Tell(next, told);
        }
        else if (token == known && current.Locked && !next.Locked)
        {
            Tell(next with { Label = current.Label }, told);
        }
        // Anything else is older than what watchers know already.
    }

    private void Ended(LockView hold, List<LockView> told) => Tell(hold with { Locked = false }, told);

    private void Tell(LockView view, List<LockView> told)
    {
        Current = view;
        told.Add(view);
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
