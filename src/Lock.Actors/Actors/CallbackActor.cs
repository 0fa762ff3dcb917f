using Akka.Actor;

namespace Lock.Actors.Actors;

/// <summary>
/// The facade's address for conversations of more than one reply (a campaign, a watch): a real actor,
/// so the manager can watch it and drop what belongs to it when the facade stops it, that hands every
/// message to a callback. The callback runs on the actor's thread, one message at a time.
/// </summary>
internal sealed class CallbackActor : UntypedActor
{
    private readonly Action<object> _callback;

    public CallbackActor(Action<object> callback) => _callback = callback;

    public static IActorRef Start(ActorSystem system, string purpose, Action<object> callback) =>
        ((ExtendedActorSystem)system).SystemActorOf(
            Props.Create(() => new CallbackActor(callback)), $"{purpose}-{Guid.NewGuid():N}");

    protected override void OnReceive(object message) => _callback(message);
}
