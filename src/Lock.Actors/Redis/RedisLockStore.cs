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
    private readonly CallBatcher<AcquireCall, AcquireOutcome> _acquires;
    private readonly CallBatcher<ReleaseCall, bool> _releases;
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
        _acquires = new CallBatcher<AcquireCall, AcquireOutcome>(SendAcquires, DecodeAcquire, MayBatch, batchMaxInFlight, batchMaxLocks);
        _releases = new CallBatcher<ReleaseCall, bool>(SendReleases, DecodeRelease, MayBatch, batchMaxInFlight, batchMaxLocks);
    }

    private readonly record struct AcquireCall(LockKeyNames Key, string Token, TimeSpan Ttl);

    private readonly record struct ReleaseCall(LockKeyNames Key, string Token);

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

    public Task<AcquireOutcome> TryAcquireAsync(LockKeyNames key, string token, TimeSpan ttl) =>
        _acquires.Call(new AcquireCall(key, token, ttl));

    public Task<bool> ReleaseAsync(LockKeyNames key, string token) => _releases.Call(new ReleaseCall(key, token));

    private Task<RedisResult> SendAcquires(IReadOnlyList<AcquireCall> calls)
    {
        var keys = new RedisKey[calls.Count * 3];
        var values = new RedisValue[1 + calls.Count * 2];
        values[0] = _counterExpiryMs;
        for (var i = 0; i < calls.Count; i++)
        {
            var (key, token, ttl) = calls[i];
            keys[3 * i] = key.Lock;
            keys[3 * i + 1] = key.Fence;
            keys[3 * i + 2] = key.Wait;
            values[1 + 2 * i] = token;
            values[2 + 2 * i] = Milliseconds(ttl);
        }
        return EvaluateAsync(LockScripts.AcquireSha, LockScripts.Acquire, keys, values);
    }

    private static AcquireOutcome DecodeAcquire(RedisResult status, RedisResult value)
    {
        if (Status(status, value) == 1) return AcquireOutcome.Granted((long)value);
        var pttl = (long)value;
        return AcquireOutcome.HeldElsewhere(pttl > 0 ? TimeSpan.FromMilliseconds(pttl) : null);
    }

    private Task<RedisResult> SendReleases(IReadOnlyList<ReleaseCall> calls)
    {
        var keys = new RedisKey[calls.Count * 2];
        var values = new RedisValue[1 + calls.Count * 2];
        values[0] = _releaseChannelName;
        for (var i = 0; i < calls.Count; i++)
        {
            var (key, token) = calls[i];
            keys[2 * i] = key.Lock;
            keys[2 * i + 1] = key.Wait;
            values[1 + 2 * i] = token;
            values[2 + 2 * i] = key.Key;
        }
        return EvaluateAsync(LockScripts.ReleaseSha, LockScripts.Release, keys, values);
    }

    private static bool DecodeRelease(RedisResult status, RedisResult value) => Status(status, value) == 1;

    /// <summary>One lock's status in a script's reply; -1 means its keys failed, the value saying why.</summary>
    private static long Status(RedisResult status, RedisResult value)
    {
        var code = (long)status;
        return code == -1 ? throw new RedisServerException((string?)value ?? "script error") : code;
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
