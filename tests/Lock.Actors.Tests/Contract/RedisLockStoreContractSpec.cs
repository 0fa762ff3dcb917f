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

    public async Task InitializeAsync()
    {
        // Ready completes when the first connect attempt has ended (the store connects in the background);
        // a contract step that subscribes needs the connection up, so wait for it if that attempt missed.
        var connection = await _connection.Ready;
        if (connection.IsConnected) return;
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionRestored += (_, _) => restored.TrySetResult();
        if (!connection.IsConnected) await restored.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync() => await (await _connection.Ready).DisposeAsync();
}
