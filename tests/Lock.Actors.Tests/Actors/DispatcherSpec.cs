using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

/// <summary>The manager and its key actors run on lock.dispatcher: Akka's default one unless configured.</summary>
[Collection(RedisCollection.Name)]
public sealed class DefaultDispatcherSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    [Fact]
    public async Task Lock_actors_run_on_the_default_dispatcher() =>
        Assert.Equal(Enumerable.Repeat("akka.actor.default-dispatcher", 4), await DispatchersOfLockActorsAsync(this, Manager));

    /// <summary>
    /// Takes and releases a lock, and returns the dispatcher ids of the manager, the key's actor, the
    /// watch registry and the elections.
    /// </summary>
    internal static async Task<string[]> DispatchersOfLockActorsAsync(LockSpec spec, IActorRef lockManager)
    {
        lockManager.Tell(new Acquire("dispatched"), spec.TestActor);
        var acquired = await spec.ExpectMsgAsync<LockAcquired>();
        var manager = (ActorCell)((ActorRefWithCell)lockManager).Underlying;
        string DispatcherOf(Func<string, bool> name) =>
            ((ActorCell)((ActorRefWithCell)Assert.Single(manager.GetChildren(), c => name(c.Path.Name))).Underlying).Dispatcher.Id;
        var dispatchers = new[]
        {
            manager.Dispatcher.Id, DispatcherOf(n => n.StartsWith("key-", StringComparison.Ordinal)),
            DispatcherOf(n => n == "watches"), DispatcherOf(n => n == "elections"),
        };
        lockManager.Tell(new Release("dispatched", acquired.Token), spec.TestActor);
        await spec.ExpectMsgAsync<LockReleased>();
        return dispatchers;
    }
}

[Collection(RedisCollection.Name)]
public sealed class IsolatedDispatcherSpec(RedisFixture redis, ITestOutputHelper output)
    : LockSpec(redis, output, "lock.dispatcher = \"lock.isolated-dispatcher\"")
{
    [Fact]
    public async Task Lock_actors_run_on_threads_of_their_own_when_configured() =>
        Assert.Equal(Enumerable.Repeat("lock.isolated-dispatcher", 4), await DefaultDispatcherSpec.DispatchersOfLockActorsAsync(this, Manager));
}
