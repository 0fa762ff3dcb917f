using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>
/// Coalesces concurrent calls of one kind (acquire, release) into one script call that handles many
/// keys. While fewer than <c>maxInFlight</c> script calls are out, a call is sent at once, on its
/// caller's thread, so a lone caller pays nothing; beyond that, calls queue and leave together, as one
/// script call, when one in flight comes back. Under load this turns N round trips, N client
/// completions and N script runs into one each.
/// <para>
/// Calls leave in the order they were made (one key's release is never overtaken by a later call for
/// the same key), and each call gets its own reply: one key's failure in a batch fails that call only.
/// </para>
/// </summary>
internal sealed class CallBatcher<TCall, TResult>
{
    /// <summary>Runs the script for <paramref name="calls"/>; its reply holds two entries per call, in order.</summary>
    public delegate Task<RedisResult> Send(IReadOnlyList<TCall> calls);

    /// <summary>The result of one call from its two entries of the reply; throws when they hold an error.</summary>
    public delegate TResult Decode(RedisResult status, RedisResult value);

    private readonly object _gate = new();
    private readonly Queue<Pending> _queued = new();
    private readonly Send _send;
    private readonly Decode _decode;
    private readonly Func<bool> _mayBatch;
    private readonly int _maxInFlight;
    private readonly int _maxBatch;
    private int _inFlight;
    private bool _draining;

    public CallBatcher(Send send, Decode decode, Func<bool> mayBatch, int maxInFlight, int maxBatch)
    {
        _send = send;
        _decode = decode;
        _mayBatch = mayBatch;
        _maxInFlight = maxInFlight;
        _maxBatch = maxBatch;
    }

    public Task<TResult> Call(TCall call)
    {
        var pending = new Pending(call);
        bool drain;
        lock (_gate)
        {
            _queued.Enqueue(pending);
            drain = TryClaimDrain();
        }
        if (drain) Drain();
        return pending.Task;
    }

    // With the gate held: whether this thread becomes the one that sends what is queued.
    private bool TryClaimDrain()
    {
        if (_draining || _queued.Count == 0) return false;
        // Without batching (a Redis Cluster: a script's keys must share a slot) every call leaves at once.
        if (_inFlight >= _maxInFlight && _mayBatch()) return false;
        _draining = true;
        return true;
    }

    // One thread at a time sends, outside the gate, so calls leave in the order they were made and
    // nobody waits on the gate while the client writes.
    private void Drain()
    {
        while (true)
        {
            Pending[] batch;
            lock (_gate)
            {
                var batching = _mayBatch();
                if (_queued.Count == 0 || (batching && _inFlight >= _maxInFlight))
                {
                    _draining = false;
                    return;
                }
                batch = new Pending[batching ? Math.Min(_queued.Count, _maxBatch) : 1];
                for (var i = 0; i < batch.Length; i++) batch[i] = _queued.Dequeue();
                _inFlight++;
            }
            Start(batch);
        }
    }

    private void Start(Pending[] batch)
    {
        Task<RedisResult> reply;
        try
        {
            var calls = new TCall[batch.Length];
            for (var i = 0; i < batch.Length; i++) calls[i] = batch[i].Call;
            reply = _send(calls);
        }
        catch (Exception e)
        {
            reply = Task.FromException<RedisResult>(e);
        }
        // The client completes its tasks off its reader thread already; the fan-out runs right there.
        reply.ContinueWith(static (task, state) => ((Batch)state!).Owner.Completed(task, ((Batch)state).Calls),
            new Batch(this, batch), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Completed(Task<RedisResult> reply, Pending[] batch)
    {
        bool drain;
        lock (_gate)
        {
            _inFlight--;
            drain = TryClaimDrain();
        }
        // What queued meanwhile leaves first; then the replies go out.
        if (drain) Drain();

        if (Entries(reply, batch.Length) is not { } entries)
        {
            var cause = reply.Status switch
            {
                TaskStatus.Faulted => reply.Exception!.InnerException ?? reply.Exception,
                TaskStatus.Canceled => new TaskCanceledException(reply),
                _ => new RedisException($"Unexpected script reply: {reply.Result}"),
            };
            foreach (var pending in batch) pending.TrySetException(cause);
            return;
        }
        for (var i = 0; i < batch.Length; i++)
        {
            try
            {
                batch[i].TrySetResult(_decode(entries[2 * i], entries[2 * i + 1]));
            }
            catch (Exception e)
            {
                batch[i].TrySetException(e);
            }
        }
    }

    // The reply's entries, or null when the call failed (or, never expected, answered out of shape).
    private static RedisResult[]? Entries(Task<RedisResult> reply, int calls) =>
        reply.IsCompletedSuccessfully && reply.Result is { Resp2Type: ResultType.Array } result
        && (RedisResult[])result! is { } entries && entries.Length == 2 * calls
            ? entries
            : null;

    private sealed record Batch(CallBatcher<TCall, TResult> Owner, Pending[] Calls);

    // Continuations run where the result is set (the fan-out above), not queued once more.
    private sealed class Pending(TCall call) : TaskCompletionSource<TResult>
    {
        public TCall Call { get; } = call;
    }
}
