using Akka.Event;
using Lock.Actors.Redis;
using Lock.Actors.Tests.Infrastructure;
using StackExchange.Redis;

namespace Lock.Actors.Tests.Contract;

/// <summary>The store contract on the Redis store, connected as the least-privilege user.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisLockStoreContractSpec : LockStoreContract, IAsyncLifetime
{
    private readonly RedisConnection _connection;

    public RedisLockStoreContractSpec(RedisFixture redis)
    {
        _connection = RedisConnection.Open(ConfigurationOptions.Parse(redis.Configuration), NoLogger.Instance);
        Store = new RedisLockStore(_connection, 0, new LockKeys(LockSpec.NewPrefix()), TimeSpan.FromDays(1), 4, 128);
    }

    internal override ILockStore Store { get; }

    public async Task InitializeAsync() => await _connection.Ready;

    public async Task DisposeAsync() => await (await _connection.Ready).DisposeAsync();
}
