using Lock.Actors.Diagnostics;

namespace Lock.Actors.Actors.KeyLock;

/// <summary>
/// The node's FIFO queue of waiters for one key. Only the head talks to Redis; the others wait for it.
/// Keeps the waiters gauge in step with its length.
/// </summary>
internal sealed class WaiterQueue(LockMetrics metrics)
{
    private readonly LinkedList<Waiter> _waiters = new();

    public int Count => _waiters.Count;

    public Waiter? Head => _waiters.First?.Value;

    public void Add(Waiter waiter)
    {
        _waiters.AddLast(waiter);
        metrics.AddWaiters(1);
    }

    public bool Remove(Waiter waiter)
    {
        if (!_waiters.Remove(waiter)) return false;
        metrics.AddWaiters(-1);
        return true;
    }

    public bool Contains(Waiter waiter) => _waiters.Contains(waiter);

    /// <summary>The waiters from the head on, without removing them.</summary>
    public IEnumerable<Waiter> InOrder() => _waiters;

    /// <summary>Removes every waiter that matches, in queue order, and hands each to <paramref name="removed"/>.</summary>
    public void RemoveWhere<TState>(Func<Waiter, TState, bool> match, TState state, Action<Waiter, TState> removed)
    {
        for (var node = _waiters.First; node is not null;)
        {
            var next = node.Next;
            if (match(node.Value, state))
            {
                _waiters.Remove(node);
                metrics.AddWaiters(-1);
                removed(node.Value, state);
            }
            node = next;
        }
    }

    /// <summary>The earliest of <paramref name="deadlineOf"/> over the queue; long.MaxValue when empty.</summary>
    public long Earliest(Func<Waiter, long> deadlineOf)
    {
        var earliest = long.MaxValue;
        foreach (var waiter in _waiters) earliest = Math.Min(earliest, deadlineOf(waiter));
        return earliest;
    }

    /// <summary>Forgets every waiter, for an actor that stops.</summary>
    public void Clear()
    {
        metrics.AddWaiters(-_waiters.Count);
        _waiters.Clear();
    }
}
