namespace Lock.Actors.Actors.KeyLock;

/// <summary>
/// When a holder's lock is extended: every <c>ExtendInterval</c> (a third of the TTL unless a lease
/// names it), one extend at a time, and after a failed extend again soon, whatever retry-interval is.
/// </summary>
internal sealed class Watchdog(TimeSpan? extendInterval)
{
    // A tenth of the TTL, at most a quarter second: several more tries before the TTL runs out
    // (failover, CLUSTERDOWN, a restart), without hammering a Redis that is refusing.
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>When the next extend is due (<see cref="MonotonicClock"/> time).</summary>
    public long NextExtendAt { get; private set; }

    /// <summary>The watchdog's extend is in flight: no other is sent, and the holder's tick watches validity.</summary>
    public bool ExtendPending { get; private set; }

    /// <summary>The next extend comes a full period after <paramref name="now"/>.</summary>
    public void Schedule(long now, TimeSpan ttl) => NextExtendAt = now + MonotonicClock.Ticks(extendInterval ?? ttl / 3);

    public void Sent() => ExtendPending = true;

    /// <summary>Its extend was answered; <paramref name="ttl"/> is the lock's TTL now.</summary>
    public void Answered(long now, TimeSpan ttl)
    {
        ExtendPending = false;
        Schedule(now, ttl);
    }

    /// <summary>Its extend failed; the next try comes soon, and no later than <paramref name="validUntil"/>.</summary>
    public void Failed(long now, TimeSpan ttl, long validUntil)
    {
        ExtendPending = false;
        NextExtendAt = Math.Min(now + MonotonicClock.Ticks(RetryDelay(ttl)), validUntil);
    }

    /// <summary>How soon a call that Redis did not take is tried again, for a lock of <paramref name="ttl"/>.</summary>
    public static TimeSpan RetryDelay(TimeSpan ttl)
    {
        var delay = ttl / 10;
        return delay > MaxRetryDelay ? MaxRetryDelay : delay;
    }
}
