using Akka.Actor;

namespace Lock.Actors;

/// <summary>Creates the <see cref="DistributedLocks"/> extension, once per ActorSystem.</summary>
public sealed class DistributedLocksProvider : ExtensionIdProvider<DistributedLocks>
{
    public override DistributedLocks CreateExtension(ExtendedActorSystem system) => new(system);
}
