using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>
/// The lock store on StackExchange.Redis. It borrows the node's one multiplexer and never disposes it;
/// scripts run by SHA and are re-sent once when the server answers NOSCRIPT (restart, failover, flush).
/// </summary>
internal sealed class RedisLockStore : ILockStore
{
    private readonly IConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly LockKeys _keys;
    private readonly RedisValue _counterExpiryMs;
    private readonly RedisValue _releaseChannelName;
    private readonly CallBatcher<ILockCall> _calls;
    private Action<RedisChannel, RedisValue>? _subscription;
    private bool? _cluster;

    public RedisLockStore(
        IConnectionMultiplexer connection, int database, LockKeys keys, TimeSpan counterExpiry, int batchMaxInFlight, int batchMaxLocks)
    {
        _connection = connection;
        _database = connection.GetDatabase(database);
        _keys = keys;
        _counterExpiryMs = (long)counterExpiry.TotalMilliseconds;
        _releaseChannelName = keys.ReleaseChannel.ToString();
        CallTimeout = ClientCallTimeout(connection);
        _calls = new CallBatcher<ILockCall>(Send, MayBatch, batchMaxInFlight, batchMaxLocks);
    }

    public TimeSpan CallTimeout { get; }

    // The client's async timeout, plus the one-second heartbeat on which it notices an expired call.
    private static TimeSpan ClientCallTimeout(IConnectionMultiplexer connection)
    {
        try
        {
            return TimeSpan.FromMilliseconds(ConfigurationOptions.Parse(connection.Configuration).AsyncTimeout) + TimeSpan.FromSeconds(1);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return Timeout.InfiniteTimeSpan;
        }
    }

    public LockKeyNames NamesOf(string key) => _keys.NamesOf(key);

    public Task<AcquireOutcome> TryAcquireAsync(LockKeyNames key, string token, TimeSpan ttl)
    {
        var call = new AcquireCall(key, token, Milliseconds(ttl));
        _calls.Call(call);
        return call.Task;
    }

    public Task<bool> ReleaseAsync(LockKeyNames key, string token)
    {
        var call = new ReleaseCall(key, token);
        _calls.Call(call);
        return call.Task;
    }

    private Task<RedisResult> Send(IReadOnlyList<ILockCall> calls)
    {
        var keys = new RedisKey[calls.Count * 3];
        var values = new RedisValue[2 + calls.Count * 3];
        values[0] = _counterExpiryMs;
        values[1] = _releaseChannelName;
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            keys[3 * i] = call.Key.Lock;
            keys[3 * i + 1] = call.Key.Fence;
            keys[3 * i + 2] = call.Key.Wait;
            values[2 + 3 * i] = call.Operation;
            values[3 + 3 * i] = call.Token;
            values[4 + 3 * i] = call.Argument;
        }
        return EvaluateAsync(LockScripts.AcquireOrReleaseSha, LockScripts.AcquireOrRelease, keys, values);
    }

    /// <summary>One lock's status in a script's reply; -1 means its keys failed, the value saying why.</summary>
    private static long Status(RedisResult status, RedisResult value)
    {
        var code = (long)status;
        return code == -1 ? throw new RedisServerException((string?)value ?? "script error") : code;
    }

    // An acquire or release waiting to leave in a batch; completed with its own entries of the reply.
    // Continuations run where the result is set (the batch's fan-out), not queued once more.
    private interface ILockCall : IBatchedCall
    {
        LockKeyNames Key { get; }
        RedisValue Operation { get; }
        string Token { get; }
        RedisValue Argument { get; }
    }

    private sealed class AcquireCall(LockKeyNames key, string token, RedisValue ttlMs)
        : TaskCompletionSource<AcquireOutcome>, ILockCall
    {
        private static readonly RedisValue Op = "a";

        public LockKeyNames Key { get; } = key;
        public RedisValue Operation => Op;
        public string Token { get; } = token;
        public RedisValue Argument { get; } = ttlMs;

        public void Complete(RedisResult status, RedisResult value)
        {
            if (Status(status, value) == 1)
            {
                TrySetResult(AcquireOutcome.Granted((long)value));
                return;
            }
            var pttl = (long)value;
            TrySetResult(AcquireOutcome.HeldElsewhere(pttl > 0 ? TimeSpan.FromMilliseconds(pttl) : null));
        }

        public void Fail(Exception cause) => TrySetException(cause);
    }

    private sealed class ReleaseCall(LockKeyNames key, string token) : TaskCompletionSource<bool>, ILockCall
    {
        private static readonly RedisValue Op = "r";

        public LockKeyNames Key { get; } = key;
        public RedisValue Operation => Op;
        public string Token { get; } = token;
        public RedisValue Argument => Key.Key;

        public void Complete(RedisResult status, RedisResult value) => TrySetResult(Status(status, value) == 1);

        public void Fail(Exception cause) => TrySetException(cause);
    }

    public async Task<bool> ExtendAsync(LockKeyNames key, string token, TimeSpan ttl)
    {
        var result = await EvaluateAsync(
            LockScripts.ExtendSha, LockScripts.Extend,
            [key.Lock],
            [token, Milliseconds(ttl)]).ConfigureAwait(false);
        return (long)result == 1;
    }

    public async Task<KeyState> GetStateAsync(string key)
    {
        var pttl = (long)await _database.ExecuteAsync("PTTL", _keys.LockKey(key)).ConfigureAwait(false);
        return KeyState.FromPttl(pttl);
    }

    public Task SubscribeReleasesAsync(Action<string> onReleased)
    {
        _subscription = (_, message) =>
        {
            if (message.HasValue) onReleased(message!);
        };
        return _connection.GetSubscriber().SubscribeAsync(_keys.ReleaseChannel, _subscription);
    }

    public Task UnsubscribeReleasesAsync()
    {
        var subscription = Interlocked.Exchange(ref _subscription, null);
        return subscription is null
            ? Task.CompletedTask
            : _connection.GetSubscriber().UnsubscribeAsync(_keys.ReleaseChannel, subscription);
    }

    private async Task<RedisResult> EvaluateAsync(byte[] sha, string script, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await _database.ScriptEvaluateAsync(sha, keys, values).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // EVAL runs the script and puts it back in the server's cache for the next EVALSHA.
            return await _database.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
        }
    }

    // A script's keys must share one slot in a Redis Cluster, so there every lock goes on its own.
    // Known once a server has answered; until then calls are not held back.
    private bool MayBatch()
    {
        if (_cluster is { } known) return !known;
        var servers = _connection.GetServers();
        if (!servers.Any(s => s.IsConnected)) return false;
        _cluster = servers.Any(s => s.ServerType == ServerType.Cluster);
        return !_cluster.Value;
    }

    private static RedisValue Milliseconds(TimeSpan value) => (long)value.TotalMilliseconds;
}
