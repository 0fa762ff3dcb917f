using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>
/// The lock store on StackExchange.Redis. It borrows the node's one multiplexer and never disposes it;
/// scripts run by SHA and are re-sent once when the server answers NOSCRIPT (restart, failover, flush).
/// </summary>
internal sealed partial class RedisLockStore : ILockStore
{
    private readonly RedisConnection _redis;
    private readonly int _databaseNumber;
    // Set once the connection's first attempt has ended; until then calls wait for it (bounded).
    private IDatabase? _database;
    private readonly LockKeys _keys;
    private readonly RedisValue _counterExpiryMs;
    // How long a waiting writer, or a reader's turn after a writer, counts without being renewed.
    private readonly RedisValue _queueTtlMs;
    private readonly RedisValue _releaseChannelName;
    private readonly RedisValue _changeChannelName;
    private ChannelMessageQueue? _changes;
    private readonly CallBatcher<ILockCall> _calls;
    private Action<RedisChannel, RedisValue>? _subscription;
    private readonly RedisKey[] _slotProbeKeys;
    // Whether locks of different hash slots may share a script call: 0 not known yet, 1 yes, -1 no.
    private int _crossSlot;
    private readonly int _minReplicaAcks;
    private readonly long _replicaAckTimeoutMs;
    private int _probing;

    public RedisLockStore(
        RedisConnection redis, int database, LockKeys keys, TimeSpan counterExpiry, int batchMaxInFlight, int batchMaxLocks,
        int minReplicaAcks = 0, TimeSpan replicaAckTimeout = default, TimeSpan? queueTtl = null)
    {
        _queueTtlMs = (long)(queueTtl ?? DefaultQueueTtl).TotalMilliseconds;
        _redis = redis;
        _databaseNumber = database;
        _minReplicaAcks = minReplicaAcks;
        _replicaAckTimeoutMs = (long)replicaAckTimeout.TotalMilliseconds;
        _keys = keys;
        _counterExpiryMs = (long)counterExpiry.TotalMilliseconds;
        _releaseChannelName = keys.ReleaseChannel.ToString();
        _changeChannelName = keys.ChangeChannel.ToString();
        // Two lock names whose hash tags fall in different slots (9555 and 5424).
        _slotProbeKeys = [keys.LockKey("slot-probe-a"), keys.LockKey("slot-probe-b")];
        CallTimeout = redis.CallTimeout;
        _calls = new CallBatcher<ILockCall>(Send, MayBatch, batchMaxInFlight, batchMaxLocks);
    }

    public TimeSpan CallTimeout { get; }

    /// <summary>
    /// How long a refused writer counts as waiting (each retry renews it) and how long a reader's turn
    /// after a writer is kept for it, unless the settings say otherwise (<see cref="QueueTtlFor"/>).
    /// </summary>
    public static readonly TimeSpan DefaultQueueTtl = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The queue TTL for a retry interval: three retries' worth, at least a second. A writer that stops
    /// asking (timed out, crashed) blocks new readers no longer than this.
    /// </summary>
    public static TimeSpan QueueTtlFor(TimeSpan retryInterval) =>
        retryInterval * 3 > DefaultQueueTtl ? retryInterval * 3 : DefaultQueueTtl;

    public string? ConfigurationProblem => _redis.Problem;

    public LockKeyNames NamesOf(string key) => _keys.NamesOf(key);

    public Task<AcquireOutcome> TryAcquireAsync(LockKeyNames key, string token, TimeSpan ttl, bool waited = false)
    {
        // A setting the server cannot honour (WAIT refused): acquires fail with it rather than against it.
        if (_redis.CheckProblem is { } problem) return Task.FromException<AcquireOutcome>(new RedisException(problem));
        var call = new AcquireCall(key, token, Milliseconds(ttl), waited);
        _calls.Call(call);
        return call.Task;
    }

    public Task<bool> ReleaseAsync(LockKeyNames key, string token)
    {
        var call = new ReleaseCall(key, token);
        _calls.Call(call);
        return call.Task;
    }

    public Task WithdrawAsync(LockKeyNames key, string token)
    {
        var call = new ReleaseCall(key, token, withdraw: true);
        _calls.Call(call);
        return call.Task;
    }

    public Task<AcquireOutcome[]> TryAcquireSharedAsync(LockKeyNames key, IReadOnlyList<SharedAcquire> requests)
    {
        if (_redis.CheckProblem is { } problem) return Task.FromException<AcquireOutcome[]>(new RedisException(problem));
        var call = new SharedAcquireCall(key, requests);
        _calls.Call(call);
        return call.Task;
    }

    // The script's arguments: five for the call, then four per lock (LockScripts.AcquireOrRelease).
    private const int HeaderValues = 5;
    private const int ValuesPerLock = 4;

    private Task<RedisResult> Send(IReadOnlyList<ILockCall> calls)
    {
        var locks = 0;
        foreach (var call in calls) locks += call.Locks;
        var keys = new RedisKey[locks * LockKeyNames.ScriptKeyCount];
        var values = new RedisValue[HeaderValues + locks * ValuesPerLock];
        values[0] = _counterExpiryMs;
        values[1] = _releaseChannelName;
        values[2] = FencingTokens.ReseedWindowMicroseconds;
        values[3] = _changeChannelName;
        values[4] = _queueTtlMs;
        var at = 0;
        foreach (var call in calls)
        {
            for (var i = 0; i < call.Locks; i++, at++)
            {
                call.Key.WriteScriptKeys(keys, at);
                var v = HeaderValues + ValuesPerLock * at;
                call.Write(i, out values[v], out values[v + 1], out values[v + 2], out values[v + 3]);
            }
        }
        var reply = EvaluateAsync(LockScripts.AcquireOrReleaseSha, LockScripts.AcquireOrRelease, keys, values);
        return _minReplicaAcks > 0 ? ConfirmGrantsAsync(calls, reply) : reply;
    }

    /// <summary>
    /// With min-replica-acks on: one WAIT for the grants of a script call, on the connection that made
    /// them (WAIT counts that connection's writes). Grants too few replicas confirmed are given back and
    /// answered as not confirmed; the rest of the reply stands.
    /// </summary>
    private async Task<RedisResult> ConfirmGrantsAsync(IReadOnlyList<ILockCall> calls, Task<RedisResult> script)
    {
        var reply = await script.ConfigureAwait(false);
        var locks = 0;
        foreach (var call in calls) locks += call.Locks;
        if (reply.Resp2Type != ResultType.Array || (RedisResult[])reply! is not { } entries || entries.Length != 2 * locks)
            return reply;
        // Each grant as (its lock's index in the reply, its key, its token).
        var granted = new List<(int Index, LockKeyNames Key, string Token)>();
        var at = 0;
        foreach (var call in calls)
        {
            for (var i = 0; i < call.Locks; i++, at++)
                if (call.IsAcquire && entries[2 * at].Resp2Type == ResultType.Integer && (long)entries[2 * at] == 1)
                    granted.Add((at, call.Key, call.TokenOf(i)));
        }
        if (granted.Count == 0) return reply;

        long acknowledged;
        try
        {
            acknowledged = (long)await (await DatabaseAsync().ConfigureAwait(false))
                .ExecuteAsync("WAIT", _minReplicaAcks, _replicaAckTimeoutMs).ConfigureAwait(false);
        }
        catch
        {
            // Unconfirmed and unanswered: give the grants back rather than leave them to their TTL.
            foreach (var grant in granted) GiveBack(grant.Key, grant.Token);
            throw;
        }
        if (acknowledged >= _minReplicaAcks) return reply;

        var why = RedisResult.Create((RedisValue)(
            $"{acknowledged} of the {_minReplicaAcks} replicas required by lock.redis.min-replica-acks acknowledged the grant " +
            $"within lock.redis.replica-ack-timeout ({_replicaAckTimeoutMs} ms); it was given back"));
        var rewritten = (RedisResult[])entries.Clone();
        foreach (var grant in granted)
        {
            rewritten[2 * grant.Index] = RedisResult.Create((RedisValue)Unconfirmed);
            rewritten[2 * grant.Index + 1] = why;
            GiveBack(grant.Key, grant.Token);
        }
        return RedisResult.Create(rewritten);
    }

    // Best effort: a give-back that fails leaves the lock to its TTL.
    private void GiveBack(LockKeyNames key, string token) =>
        _ = ReleaseAsync(key, token).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);

    // A reply status of our own (never sent by the script): granted, but not confirmed by enough replicas.
    private const long Unconfirmed = 2;

    /// <summary>
    /// With min-replica-acks on, whether the server runs WAIT at all (some hosted services refuse it):
    /// null when it does, else a sentence naming the setting. Connection problems surface as exceptions.
    /// </summary>
    public async Task<string?> CheckReplicaAcksAsync()
    {
        if (_minReplicaAcks == 0) return null;
        try
        {
            await (await DatabaseAsync().ConfigureAwait(false)).ExecuteAsync("WAIT", 0, 0).ConfigureAwait(false);
            return null;
        }
        catch (RedisServerException e)
        {
            return $"lock.redis.min-replica-acks is {_minReplicaAcks}, but Redis refuses WAIT ({e.Message}): set it to 0 or allow WAIT.";
        }
    }

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
            [key.Lock, key.Shared, key.Limit],
            [token, Milliseconds(ttl)]).ConfigureAwait(false);
        return (long)result == 1;
    }

    public async Task<KeyState> GetStateAsync(string key)
    {
        var names = _keys.NamesOf(key);
        var reply = (RedisResult[])(await EvaluateAsync(LockScripts.StateSha, LockScripts.State, [names.Lock, names.Shared], []).ConfigureAwait(false))!;
        var (pttl, holders, sharedPttl) = ((long)reply[0], (int)reply[1], (long)reply[2]);
        return holders > 0 ? KeyState.SharedBy(holders, sharedPttl) : KeyState.FromPttl(pttl);
    }

    public async Task<WatchedState> WatchAsync(LockKeyNames key, TimeSpan markerTtl)
    {
        var reply = (RedisResult[])(await EvaluateAsync(
            LockScripts.WatchSha, LockScripts.Watch,
            [key.Lock, key.Fence, key.Watch],
            [Milliseconds(markerTtl)]).ConfigureAwait(false))!;
        var value = (string?)reply[0];
        var counter = (string?)reply[1];
        var pttl = (long)reply[2];
        var locked = !string.IsNullOrEmpty(value);
        return new WatchedState(
            locked,
            long.TryParse(counter, out var fence) ? fence : null,
            LockTokens.LabelOf(value),
            locked && pttl >= 0 ? TimeSpan.FromMilliseconds(pttl) : null);
    }

    public async Task SubscribeChangesAsync(Action<string, LockChange> onChange)
    {
        var connection = await _redis.ConnectedAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        // A queue, not a handler: the client then hands messages over one at a time, in order.
        var queue = await connection.GetSubscriber().SubscribeAsync(_keys.ChangeChannel).ConfigureAwait(false);
        queue.OnMessage(message =>
        {
            if (message.Message.HasValue && LockChange.Parse(((ReadOnlyMemory<byte>)message.Message).Span) is { } change &&
                _keys.KeyOf(change.LockKey) is { } key)
                onChange(key, change);
        });
        _changes = queue;
    }

    public Task UnsubscribeChangesAsync() =>
        Interlocked.Exchange(ref _changes, null) is { } queue ? queue.UnsubscribeAsync() : Task.CompletedTask;

    public async Task SubscribeReleasesAsync(Action<string> onReleased)
    {
        var connection = await _redis.ConnectedAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        _subscription = (_, message) =>
        {
            if (message.HasValue) onReleased(message!);
        };
        await connection.GetSubscriber().SubscribeAsync(_keys.ReleaseChannel, _subscription).ConfigureAwait(false);
    }

    public Task UnsubscribeReleasesAsync()
    {
        var subscription = Interlocked.Exchange(ref _subscription, null);
        return subscription is null || !_redis.Ready.IsCompletedSuccessfully
            ? Task.CompletedTask
            : _redis.Ready.Result.GetSubscriber().UnsubscribeAsync(_keys.ReleaseChannel, subscription);
    }

    private async ValueTask<IDatabase> DatabaseAsync()
    {
        if (_database is { } database) return database;
        var connection = await _redis.ConnectedAsync(CallTimeout).ConfigureAwait(false);
        var chosen = connection.GetDatabase(_databaseNumber);
        if (_databaseNumber != 0)
        {
            // When SELECT is denied the client quietly stays in database 0: nothing is sent before
            // the user is known to be allowed into the configured one.
            _databaseCheck ??= CheckDatabaseAsync(chosen);
            if (await _databaseCheck.ConfigureAwait(false) is { } problem)
            {
                _redis.ReportProblem(problem);
                throw new RedisException(problem);
            }
        }
        return _database = chosen;
    }

    private Task<string?>? _databaseCheck;

    private async Task<string?> CheckDatabaseAsync(IDatabase database)
    {
        try
        {
            await database.ScriptEvaluateAsync(LockScripts.SelectProbe, values: [_databaseNumber]).ConfigureAwait(false);
            return null;
        }
        catch (RedisServerException e)
        {
            return $"lock.redis.database is {_databaseNumber}, but Redis does not let this user select it ({e.Message}): " +
                   "grant +select, or use database 0.";
        }
        catch (Exception)
        {
            // Not answered (not connected yet): ask again on the next call.
            _databaseCheck = null;
            throw;
        }
    }

    private async Task<RedisResult> EvaluateAsync(byte[] sha, string script, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            var database = await DatabaseAsync().ConfigureAwait(false);
            RedisResult result;
            try
            {
                result = await database.ScriptEvaluateAsync(sha, keys, values).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                // EVAL runs the script and puts it back in the server's cache for the next EVALSHA.
                result = await database.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
            }
            _redis.Succeeded();
            return result;
        }
        catch (Exception e) when (_redis.Observe(e) is { } problem)
        {
            // Redis named a configuration problem (credentials, TLS, ACL): say that, not the client's words.
            throw new RedisException(problem, e);
        }
    }

    // Locks of different hash slots share a script call only once the server has run a script whose
    // keys lie in two slots. The keys decide, not the client's server-type detection: an ACL without
    // cluster|nodes makes a Cluster look standalone, and a batch across slots then fails with CROSSSLOT.
    // Until the probe has answered, every lock goes on its own.
    private bool? MayBatch()
    {
        var known = Volatile.Read(ref _crossSlot);
        if (known != 0) return known > 0;
        // Asked under the batcher's gate, often on the client's reader thread: the probe is only
        // queued here, never started, so no Redis write happens while the gate is held.
        if (Interlocked.Exchange(ref _probing, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static store => _ = store.ProbeCrossSlotAsync(), this, preferLocal: false);
        return null;
    }

    private async Task ProbeCrossSlotAsync()
    {
        try
        {
            await EvaluateAsync(LockScripts.SlotProbeSha, LockScripts.SlotProbe, _slotProbeKeys, []).ConfigureAwait(false);
            Volatile.Write(ref _crossSlot, 1);
        }
        catch (Exception e) when (e is RedisServerException or RedisCommandException)
        {
            // CROSSSLOT from a Cluster, or the client refusing a multi-slot call: never batch.
            Volatile.Write(ref _crossSlot, -1);
        }
        catch (Exception)
        {
            // Not connected yet: a later call asks again.
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    private static RedisValue Milliseconds(TimeSpan value) => (long)value.TotalMilliseconds;
}
