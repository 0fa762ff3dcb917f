namespace Lock.Actors.Actors.KeyLock;

/// <summary>
/// Releases that Redis did not take (unreachable, refusing) and that are tried again, promptly, until
/// each lock has surely expired: a brief outage must not block the key for the rest of its TTL.
/// </summary>
internal sealed class ReleaseRetries
{
    private readonly List<(ReleaseCall Call, long RetryAt)> _pending = new();

    public bool IsEmpty => _pending.Count == 0;

    /// <summary>Keeps <paramref name="call"/> for another try; false when its lock has surely expired by now.</summary>
    public bool Add(ReleaseCall call, long now, out long retryAt)
    {
        retryAt = 0;
        if (now >= call.ValidUntil) return false;
        retryAt = now + MonotonicClock.Ticks(Watchdog.RetryDelay(MonotonicClock.TicksToSpan(call.ValidUntil - now)));
        _pending.Add((call with { ReplyTo = null }, retryAt));
        return true;
    }

    /// <summary>The lock under <paramref name="token"/> was let go after all: no more tries for it.</summary>
    public void Forget(string token)
    {
        // Called on every release: nothing to do (and nothing to allocate) in the usual case.
        if (_pending.Count == 0) return;
        _pending.RemoveAll(entry => entry.Call.Token == token);
    }

    /// <summary>Removes and returns the calls due by <paramref name="now"/> whose locks may still exist.</summary>
    public List<ReleaseCall> TakeDue(long now)
    {
        var due = new List<ReleaseCall>();
        _pending.RemoveAll(entry =>
        {
            if (entry.RetryAt > now) return false;
            if (now < entry.Call.ValidUntil) due.Add(entry.Call);
            return true;
        });
        return due;
    }

    /// <summary>The earliest pending retry; long.MaxValue when none.</summary>
    public long NextRetryAt => _pending.Count == 0 ? long.MaxValue : _pending.Min(entry => entry.RetryAt);
}
