using StackExchange.Redis;

namespace Lock.Benchmarks.Contenders;

/// <summary>
/// The physical limit for this client: the same two round trips per cycle (SET NX PX, then a
/// compare-and-delete script by SHA), no actors, no waiting beyond one try per Redis answer.
/// </summary>
public sealed class FloorContender(IConnectionMultiplexer connection) : ILockContender
{
    /// <summary>The compare-and-delete every raw-client contender releases with.</summary>
    public const string CompareAndDelete = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
    private readonly IDatabase _db = connection.GetDatabase();
    private readonly LoadedLuaScript _release = LuaScript.Prepare(CompareAndDelete).Load(connection.GetServer(connection.GetEndPoints()[0]));

    public string Name => "floor";

    public async Task<object?> AcquireAsync(string key, TimeSpan ttl, TimeSpan wait)
    {
        var token = Guid.NewGuid().ToString("N");
        var deadline = DateTime.UtcNow + wait;
        do
        {
            if (await _db.StringSetAsync(key, token, ttl, When.NotExists)) return (key, token);
            await Task.Yield();
        } while (DateTime.UtcNow < deadline);
        return null;
    }

    public Task ReleaseAsync(object handle)
    {
        var (key, token) = ((string, string))handle;
        return _db.ScriptEvaluateAsync(_release.Hash, [key], [token]);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
