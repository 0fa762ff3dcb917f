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
        Assert.Equal(["akka.actor.default-dispatcher", "akka.actor.default-dispatcher"], await DispatchersOfLockActorsAsync(this, Manager));

    /// <summary>Takes and releases a lock, and returns the dispatcher ids of the manager and of the key's actor.</summary>
    internal static async Task<string[]> DispatchersOfLockActorsAsync(LockSpec spec, IActorRef lockManager)
    {
        lockManager.Tell(new Acquire("dispatched"), spec.TestActor);
        var acquired = await spec.ExpectMsgAsync<LockAcquired>();
        var manager = (ActorCell)((ActorRefWithCell)lockManager).Underlying;
        var keyActor = (ActorCell)((ActorRefWithCell)Assert.Single(manager.GetChildren())).Underlying;
        lockManager.Tell(new Release("dispatched", acquired.Token), spec.TestActor);
        await spec.ExpectMsgAsync<LockReleased>();
        return [manager.Dispatcher.Id, keyActor.Dispatcher.Id];
    }
}

[Collection(RedisCollection.Name)]
public sealed class IsolatedDispatcherSpec(RedisFixture redis, ITestOutputHelper output)
    : LockSpec(redis, output, "lock.dispatcher = \"lock.isolated-dispatcher\"")
{
    [Fact]
    public async Task Lock_actors_run_on_threads_of_their_own_when_configured() =>
        Assert.Equal(["lock.isolated-dispatcher", "lock.isolated-dispatcher"], await DefaultDispatcherSpec.DispatchersOfLockActorsAsync(this, Manager));
}
