namespace Lock.Actors.Actors.KeyLock;

/// <summary>
/// The acquire call to Redis for the head of the queue, while it is in flight: the head alone when it
/// wants the key exclusively, or the run of shared waiters at the head, which go in one call.
/// </summary>
internal sealed class Attempt(Waiter head, long sentAt, Waiter[]? shared = null)
{
    public Waiter Head { get; } = head;

    /// <summary>The shared waiters the call asks for, head first; null for an exclusive attempt.</summary>
    public Waiter[]? Shared { get; } = shared;

    /// <summary>When the call left: a grant's validity is counted from here, never from the answer.</summary>
    public long SentAt { get; } = sentAt;

    /// <summary>
    /// Every waiter it asks for was answered (deadline, owner stopped, shutdown) while the call was in
    /// flight: nobody waits for its answer, and a late grant is given back at once.
    /// </summary>
    public bool Abandoned
    {
        get
        {
            if (Shared is null) return Head.Left;
            foreach (var waiter in Shared)
                if (!waiter.Left) return false;
            return true;
        }
    }

    public bool Includes(Waiter waiter) => waiter == Head || Shared is not null && Array.IndexOf(Shared, waiter) >= 0;

    /// <summary>A release of the key was announced while the call was in flight: a "held" answer may be stale.</summary>
    public bool KeyReleasedMeanwhile { get; set; }
}
