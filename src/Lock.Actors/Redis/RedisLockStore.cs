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
    private Action<RedisChannel, RedisValue>? _subscription;

    public RedisLockStore(IConnectionMultiplexer connection, int database, LockKeys keys, TimeSpan counterExpiry)
    {
        _connection = connection;
        _database = connection.GetDatabase(database);
        _keys = keys;
        _counterExpiryMs = (long)counterExpiry.TotalMilliseconds;
        _releaseChannelName = keys.ReleaseChannel.ToString();
        CallTimeout = ClientCallTimeout(connection);
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

    public async Task<AcquireOutcome> TryAcquireAsync(string key, string token, TimeSpan ttl)
    {
        var result = await EvaluateAsync(
            LockScripts.AcquireSha, LockScripts.Acquire,
            [_keys.LockKey(key), _keys.FenceKey(key), _keys.WaitKey(key)],
            [token, Milliseconds(ttl), _counterExpiryMs]).ConfigureAwait(false);

        var reply = (RedisResult[])result!;
        var value = (long)reply[1];
        if ((long)reply[0] == 1) return AcquireOutcome.Granted(value);
        return AcquireOutcome.HeldElsewhere(value > 0 ? TimeSpan.FromMilliseconds(value) : null);
    }

    public async Task<bool> ReleaseAsync(string key, string token)
    {
        var result = await EvaluateAsync(
            LockScripts.ReleaseSha, LockScripts.Release,
            [_keys.LockKey(key), _keys.WaitKey(key)],
            [token, _releaseChannelName, key]).ConfigureAwait(false);
        return (long)result == 1;
    }

    public async Task<bool> ExtendAsync(string key, string token, TimeSpan ttl)
    {
        var result = await EvaluateAsync(
            LockScripts.ExtendSha, LockScripts.Extend,
            [_keys.LockKey(key)],
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

    private static RedisValue Milliseconds(TimeSpan value) => (long)value.TotalMilliseconds;
}
