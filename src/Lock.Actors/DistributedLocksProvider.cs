using Akka.Actor;

namespace Lock.Actors;

/// <summary>Creates the <see cref="DistributedLocks"/> extension, once per ActorSystem.</summary>
public sealed class DistributedLocksProvider : ExtensionIdProvider<DistributedLocks>
{
    /// <summary>Creates the extension for <paramref name="system"/> (Akka calls this once per system).</summary>
    /// <param name="system">The ActorSystem the extension serves.</param>
    public override DistributedLocks CreateExtension(ExtendedActorSystem system) => new(system);
}
