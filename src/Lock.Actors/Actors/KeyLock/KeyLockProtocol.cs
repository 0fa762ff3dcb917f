using Akka.Actor;

namespace Lock.Actors.Actors.KeyLock;

/// <summary>
/// A message the manager sends or forwards to a key actor. The manager counts what it sends per child,
/// the child counts what it receives by this marker, and a child asks to passivate with its count: only
/// when both agree is nothing on its way, so no request is lost to passivation. The manager's send
/// methods take only this type, so a message cannot reach a child uncounted.
/// </summary>
internal interface IFromManager;

/// <summary>The manager's messages to a key actor, beyond the public requests it forwards.</summary>
internal static class KeyLockProtocol
{
    /// <summary>Someone released the key (pub/sub), or the connection came back: the head may try at once.</summary>
    public sealed record KeyReleased : IFromManager
    {
        public static KeyReleased Instance { get; } = new();
        private KeyReleased() { }
    }

    /// <summary>A watched owner stopped: its waiters leave the queue and its lock is released.</summary>
    public sealed record OwnerStopped(IActorRef Owner) : IFromManager;

    /// <summary>Release the local holder's lock under <paramref name="Token"/> and tell <paramref name="ReplyTo"/> the outcome.</summary>
    public sealed record ForceRelease(IActorRef ReplyTo, string Token) : IFromManager;

    /// <summary>
    /// The requester behind <paramref name="ReplyTo"/> stopped waiting (its Ask was cancelled or timed
    /// out): drop its request, or give the lock back if it was granted into the void.
    /// </summary>
    public sealed record Abandon(IActorRef ReplyTo) : IFromManager;

    /// <summary>The node is shutting down: every queued waiter is refused.</summary>
    public sealed record RefuseWaiters : IFromManager
    {
        public static RefuseWaiters Instance { get; } = new();
        private RefuseWaiters() { }
    }
}
