using Akka.Actor;

namespace Lock.Actors.Tests.Infrastructure;

/// <summary>One more lock node in a test: its ActorSystem and its lock extension.</summary>
public sealed record Node(ActorSystem System, DistributedLocks Locks)
{
    public IActorRef Manager => Locks.Manager;

    public LockService Service => Locks.Service;
}
