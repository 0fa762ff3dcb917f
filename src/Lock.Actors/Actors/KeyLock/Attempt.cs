namespace Lock.Actors.Actors.KeyLock;

/// <summary>The head waiter's acquire call to Redis, while it is in flight.</summary>
internal sealed class Attempt(Waiter waiter, long sentAt)
{
    public Waiter Waiter { get; } = waiter;

    /// <summary>When the call left: a grant's validity is counted from here, never from the answer.</summary>
    public long SentAt { get; } = sentAt;

    /// <summary>
    /// The waiter was answered (deadline, owner stopped, shutdown) while the call was in flight: a late
    /// grant is given back at once.
    /// </summary>
    public bool Abandoned { get; set; }

    /// <summary>A release of the key was announced while the call was in flight: a "held" answer may be stale.</summary>
    public bool KeyReleasedMeanwhile { get; set; }
}
