using Medallion.Threading.Redis;
using StackExchange.Redis;

namespace Lock.Benchmarks.Contenders;

/// <summary>madelson's DistributedLock.Redis (RedisDistributedLock) on the shared connection.</summary>
public sealed class DistributedLockContender(IConnectionMultiplexer connection) : ILockContender
{
    private readonly IDatabase _db = connection.GetDatabase();

    public string Name => "DistributedLock.Redis";

    public async Task<object?> AcquireAsync(string key, TimeSpan ttl, TimeSpan wait)
    {
        var @lock = new RedisDistributedLock(key, _db, options => options.Expiry(ttl));
        return await @lock.TryAcquireAsync(wait);
    }

    public Task ReleaseAsync(object handle) => ((RedisDistributedLockHandle)handle).DisposeAsync().AsTask();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
