using RedLockNet;
using RedLockNet.SERedis;
using RedLockNet.SERedis.Configuration;
using StackExchange.Redis;

namespace Lock.Benchmarks.Contenders;

/// <summary>RedLock.net against a single endpoint, on the shared connection.</summary>
public sealed class RedLockContender(IConnectionMultiplexer connection) : ILockContender
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(10);
    private readonly RedLockFactory _factory = RedLockFactory.Create(new List<RedLockMultiplexer> { new((ConnectionMultiplexer)connection) });

    public string Name => "RedLock.net";

    public async Task<object?> AcquireAsync(string key, TimeSpan ttl, TimeSpan wait)
    {
        var redLock = await _factory.CreateLockAsync(key, ttl, wait, Retry);
        if (redLock.IsAcquired) return redLock;
        redLock.Dispose();
        return null;
    }

    public async Task ReleaseAsync(object handle) => await ((IRedLock)handle).DisposeAsync();

    public ValueTask DisposeAsync()
    {
        _factory.Dispose();
        return ValueTask.CompletedTask;
    }
}
