using Lock.Actors.Redis;
using StackExchange.Redis;

namespace Lock.Actors.Tests.Redis;

/// <summary>
/// The batcher's rules with a script call the test answers by hand: when calls leave, in what order,
/// how many at once, and whose call a failure fails.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CallBatcherSpec
{
    /// <summary>A call named after what it asks; its result is its entry's value.</summary>
    private sealed class NamedCall(string name) : TaskCompletionSource<string>, IBatchedCall
    {
        public string Name { get; } = name;

        public void Complete(RedisResult status, RedisResult value) =>
            TrySetResult((long)status == -1 ? throw new RedisServerException((string)value!) : (string)value!);

        public void Fail(Exception cause) => TrySetException(cause);
    }

    /// <summary>Plays the script: records each call's batch and lets the test answer it.</summary>
    private sealed class ScriptedSend
    {
        public List<(IReadOnlyList<string> Calls, TaskCompletionSource<RedisResult> Reply)> Sent { get; } = new();

        public Task<RedisResult> Send(IReadOnlyList<NamedCall> calls)
        {
            // Continuations run inside the test's Answer: the next batch has left when it returns.
            var reply = new TaskCompletionSource<RedisResult>();
            lock (Sent) Sent.Add((calls.Select(c => c.Name).ToList(), reply));
            return reply.Task;
        }

        public IReadOnlyList<string> Batch(int index)
        {
            lock (Sent) return Sent[index].Calls;
        }

        public int Count
        {
            get { lock (Sent) return Sent.Count; }
        }

        // Each call's entries: status 1 and the call's own name as its value, or -1 and an error.
        public void Answer(int index, Func<string, (long Status, string Value)>? entry = null)
        {
            (IReadOnlyList<string> Calls, TaskCompletionSource<RedisResult> Reply) sent;
            lock (Sent) sent = Sent[index];
            var entries = sent.Calls.SelectMany(call =>
            {
                var (status, value) = entry?.Invoke(call) ?? (1, call);
                return new[] { RedisResult.Create(status), RedisResult.Create((RedisValue)value) };
            }).ToArray();
            sent.Reply.SetResult(RedisResult.Create(entries));
        }
    }

    private sealed class Batcher(ScriptedSend script, int maxInFlight, int maxBatch, bool? mayBatch = true)
    {
        private readonly CallBatcher<NamedCall> _batcher = new(script.Send, () => mayBatch, maxInFlight, maxBatch);

        public Task<string> Call(string name)
        {
            var call = new NamedCall(name);
            _batcher.Call(call);
            return call.Task;
        }
    }

    [Fact]
    public async Task A_lone_call_leaves_at_once_and_calls_made_while_the_limit_is_out_leave_together_in_order()
    {
        var script = new ScriptedSend();
        var batcher = new Batcher(script, maxInFlight: 1, maxBatch: 100);

        var first = batcher.Call("a");
        Assert.Equal(["a"], script.Batch(0));

        var queued = new[] { "b", "c", "d" }.Select(batcher.Call).ToList();
        Assert.Equal(1, script.Count); // the one script call allowed is out: they wait for it

        script.Answer(0);
        Assert.Equal("a", await first);
        Assert.Equal(["b", "c", "d"], script.Batch(1));

        script.Answer(1);
        Assert.Equal(["b", "c", "d"], await Task.WhenAll(queued));
    }

    [Fact]
    public async Task Up_to_max_in_flight_calls_leave_on_their_own_before_any_batching()
    {
        var script = new ScriptedSend();
        var batcher = new Batcher(script, maxInFlight: 3, maxBatch: 100);

        var calls = new[] { "a", "b", "c", "d", "e" }.Select(batcher.Call).ToList();
        Assert.Equal(3, script.Count);
        Assert.Equal(["c"], script.Batch(2));

        script.Answer(1);
        Assert.Equal(["d", "e"], script.Batch(3));
        script.Answer(0);
        script.Answer(2);
        script.Answer(3);
        Assert.Equal(["a", "b", "c", "d", "e"], await Task.WhenAll(calls));
    }

    [Fact]
    public async Task No_batch_holds_more_than_max_locks()
    {
        var script = new ScriptedSend();
        var batcher = new Batcher(script, maxInFlight: 1, maxBatch: 2);

        var calls = new[] { "a", "b", "c", "d" }.Select(batcher.Call).ToList();
        script.Answer(0);
        Assert.Equal(["b", "c"], script.Batch(1));
        script.Answer(1);
        Assert.Equal(["d"], script.Batch(2));
        script.Answer(2);
        Assert.Equal(["a", "b", "c", "d"], await Task.WhenAll(calls));
    }

    [Fact]
    public async Task An_entry_error_fails_its_own_call_only_and_a_failed_script_call_fails_each_of_its_calls()
    {
        var script = new ScriptedSend();
        var batcher = new Batcher(script, maxInFlight: 1, maxBatch: 100);

        var first = batcher.Call("a");
        var batch = new[] { "b", "bad", "c" }.Select(batcher.Call).ToList();
        script.Sent[0].Reply.SetException(new RedisConnectionException(ConnectionFailureType.SocketClosed, "gone"));
        await Assert.ThrowsAsync<RedisConnectionException>(() => first);

        script.Answer(1, call => call == "bad" ? (-1, "WRONGTYPE not a string") : (1, call));
        Assert.Equal("b", await batch[0]);
        var error = await Assert.ThrowsAsync<RedisServerException>(() => batch[1]);
        Assert.Contains("WRONGTYPE", error.Message);
        Assert.Equal("c", await batch[2]);
    }

    [Fact]
    public async Task A_reply_of_the_wrong_shape_fails_the_calls_instead_of_leaving_them_waiting()
    {
        var script = new ScriptedSend();
        var batcher = new Batcher(script, maxInFlight: 1, maxBatch: 100);

        var call = batcher.Call("a");
        script.Sent[0].Reply.SetResult(RedisResult.Create((RedisValue)"OK"));
        await Assert.ThrowsAsync<RedisException>(() => call);
    }

    [Fact]
    public void Before_the_server_s_answer_on_slots_is_known_calls_leave_on_their_own_but_no_more_than_max_in_flight()
    {
        // Not known yet whether one script may span hash slots: never together, and a cold burst
        // is throttled as batching would throttle it.
        var script = new ScriptedSend();
        var batcher = new Batcher(script, maxInFlight: 2, maxBatch: 100, mayBatch: null);

        foreach (var call in new[] { "a", "b", "c", "d" }) batcher.Call(call);
        Assert.Equal(2, script.Count);

        script.Answer(0);
        Assert.Equal(3, script.Count);
        Assert.Equal(["c"], script.Batch(2));
    }

    [Fact]
    public void Without_batching_every_call_leaves_at_once_on_its_own()
    {
        // A Redis Cluster: a script's keys must share a slot, so locks are never put together.
        var script = new ScriptedSend();
        var batcher = new Batcher(script, maxInFlight: 1, maxBatch: 100, mayBatch: false);

        foreach (var call in new[] { "a", "b", "c" }) batcher.Call(call);
        Assert.Equal(3, script.Count);
        Assert.Equal(["b"], script.Batch(1));
    }
}
