using Akka.Actor;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors;

/// <summary>
/// Subscribes the <see cref="LockService"/> facade to <see cref="LockLost"/> on the event stream, so
/// a handle's Lost token is cancelled even though the facade itself is not an actor.
/// </summary>
internal sealed class LockLostListener : ReceiveActor
{
    public static Props Props(LockService service) => Akka.Actor.Props.Create<LockLostListener>(service);

    public LockLostListener(LockService service)
    {
        Receive<LockLost>(service.OnLockLost);
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(LockLost));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
