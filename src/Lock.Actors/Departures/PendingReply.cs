using Akka.Actor;

namespace Lock.Actors.Departures;

/// <summary>
/// The facade's reply address for one request: an actor reference whose <see cref="Reply"/> completes
/// with the first message told to it. This is what Akka's Ask builds, minus what the facade does not
/// need on every call: registering a temporary actor (nothing looks this one up by path) and the
/// completion hook that unregisters it, a thread-pool work item per request. The caller's
/// continuation still runs on the thread pool, never on the thread of the actor that replied.
/// </summary>
internal sealed class PendingReply(ActorPath path) : ActorRefBase
{
    private readonly TaskCompletionSource<object> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A unique temporary path, so replies, logs and Abandon requests tell requests apart.</summary>
    public override ActorPath Path { get; } = path;

    public Task<object> Reply => _reply.Task;

    // Later messages (there are none in the protocol) are dropped, as with Ask.
    protected override void TellInternal(object message, IActorRef sender) => _reply.TrySetResult(message);
}
