using Akka.Actor;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Coordination;

/// <summary>
/// The owner actor of a <see cref="RedisLease"/>'s lock: it receives the watchdog's validity reports
/// and <see cref="LockLost"/>, and hands them to the lease (which is not an actor).
/// </summary>
internal sealed class LeaseOwnerActor : ReceiveActor
{
    public static Props Props(RedisLease lease) => Akka.Actor.Props.Create<LeaseOwnerActor>(lease);

    public LeaseOwnerActor(RedisLease lease)
    {
        Receive<LeaseProtocol.LeaseValid>(lease.OnValid);
        Receive<LockLost>(lease.OnLost);
    }
}
