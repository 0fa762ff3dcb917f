using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>
/// Coalesces concurrent calls (acquires and releases of different keys) into one script call that
/// handles them all. While fewer than <c>maxInFlight</c> script calls are out, a call is sent at once, on its
/// caller's thread, so a lone caller pays nothing; beyond that, calls queue and leave together, as one
/// script call, when one in flight comes back. Under load this turns N round trips, N client
/// completions and N script runs into one each.
/// <para>
/// Calls leave in the order they were made (one key's release is never overtaken by a later call for
/// the same key), and each call gets its own reply: one key's failure in a batch fails that call only.
/// </para>
/// </summary>
internal sealed class CallBatcher<TCall> where TCall : class, IBatchedCall
{
    /// <summary>Runs the script for <paramref name="calls"/>; its reply holds two entries per lock of each call, in order.</summary>
    public delegate Task<RedisResult> Send(IReadOnlyList<TCall> calls);

    private readonly object _gate = new();
    private readonly Queue<TCall> _queued = new();
    private readonly Send _send;
    // true: calls may share a script call; false: never (a Cluster), each leaves at once; null: not
    // known yet, each leaves on its own but no more than max-in-flight at a time.
    private readonly Func<bool?> _mayBatch;
    private readonly int _maxInFlight;
    private readonly int _maxBatch;
    private int _inFlight;
    private bool _draining;

    public CallBatcher(Send send, Func<bool?> mayBatch, int maxInFlight, int maxBatch)
    {
        _send = send;
        _mayBatch = mayBatch;
        _maxInFlight = maxInFlight;
        _maxBatch = maxBatch;
    }

    /// <summary>Sends <paramref name="call"/> now or with the next batch; it is completed through <see cref="IBatchedCall"/>.</summary>
    public void Call(TCall call)
    {
        bool drain;
        lock (_gate)
        {
            _queued.Enqueue(call);
            drain = TryClaimDrain();
        }
        if (drain) Drain();
    }

    // With the gate held: whether this thread becomes the one that sends what is queued.
    private bool TryClaimDrain()
    {
        if (_draining || !CanSend(_mayBatch())) return false;
        _draining = true;
        return true;
    }

    // Not knowing yet is throttled as batching is: a cold burst leaves as at most max-in-flight single
    // calls rather than all at once (each first call is answered NOSCRIPT and sends the whole script).
    // With the gate held: something is queued and may leave now. Without batching (a Redis Cluster:
    // a script's keys must share a slot) every call leaves at once, whatever is in flight.
    private bool CanSend(bool? batching) => _queued.Count > 0 && (batching == false || _inFlight < _maxInFlight);

    // One thread at a time sends, outside the gate, so calls leave in the order they were made and
    // nobody waits on the gate while the client writes.
    private void Drain()
    {
        while (true)
        {
            TCall[] batch;
            lock (_gate)
            {
                var batching = _mayBatch();
                if (!CanSend(batching))
                {
                    _draining = false;
                    return;
                }
                batch = new TCall[batching == true ? Math.Min(_queued.Count, _maxBatch) : 1];
                for (var i = 0; i < batch.Length; i++) batch[i] = _queued.Dequeue();
                _inFlight++;
            }
            Start(batch);
        }
    }

    private void Start(TCall[] batch)
    {
        Task<RedisResult> reply;
        try
        {
            reply = _send(batch);
        }
        catch (Exception e)
        {
            reply = Task.FromException<RedisResult>(e);
        }
        // The client completes its tasks off its reader thread already; the fan-out runs right there.
        reply.ContinueWith(static (task, state) => ((Batch)state!).Owner.Completed(task, ((Batch)state).Calls),
            new Batch(this, batch), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Completed(Task<RedisResult> reply, TCall[] batch)
    {
        bool drain;
        lock (_gate)
        {
            _inFlight--;
            drain = TryClaimDrain();
        }
        // What queued meanwhile leaves first; then the replies go out.
        if (drain) Drain();

        var locks = 0;
        foreach (var call in batch) locks += call.Locks;
        if (Entries(reply, locks) is not { } entries)
        {
            var cause = reply.Status switch
            {
                TaskStatus.Faulted => reply.Exception!.InnerException ?? reply.Exception,
                TaskStatus.Canceled => new TaskCanceledException(reply),
                _ => new RedisException($"Unexpected script reply: {reply.Result}"),
            };
            foreach (var call in batch) call.Fail(cause);
            return;
        }
        var at = 0;
        foreach (var call in batch)
        {
            try
            {
                call.Complete(entries, at);
            }
            catch (Exception e)
            {
                call.Fail(e);
            }
            at += 2 * call.Locks;
        }
    }

    // The reply's entries, or null when the call failed (or, never expected, answered out of shape).
    private static RedisResult[]? Entries(Task<RedisResult> reply, int locks) =>
        reply.IsCompletedSuccessfully && reply.Result is { Resp2Type: ResultType.Array } result
        && (RedisResult[])result! is { } entries && entries.Length == 2 * locks
            ? entries
            : null;

    private sealed record Batch(CallBatcher<TCall> Owner, TCall[] Calls);
}
