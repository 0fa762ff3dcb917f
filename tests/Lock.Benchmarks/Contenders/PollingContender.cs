using StackExchange.Redis;

namespace Lock.Benchmarks.Contenders;

/// <summary>The original service's algorithm, plainly: SET NX, and while it fails, sleep 100 ms and retry.</summary>
public sealed class PollingContender(IConnectionMultiplexer connection) : ILockContender
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly IDatabase _db = connection.GetDatabase();

    public string Name => "poll-100ms";

    public async Task<object?> AcquireAsync(string key, TimeSpan ttl, TimeSpan wait)
    {
        var token = Guid.NewGuid().ToString("N");
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            if (await _db.StringSetAsync(key, token, ttl, When.NotExists)) return (key, token);
            if (DateTime.UtcNow >= deadline) return null;
            await Task.Delay(PollInterval);
        }
    }

    public Task ReleaseAsync(object handle)
    {
        var (key, token) = ((string, string))handle;
        return _db.ScriptEvaluateAsync(FloorContender.CompareAndDelete, [key], [token]);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
