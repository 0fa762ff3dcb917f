using Akka.Actor;
using Akka.Event;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors;

/// <summary>
/// The coordinated-shutdown task that releases every lock the node holds: in phase
/// before-actor-system-terminate, the manager stops granting, refuses its waiters and force-releases
/// its table; what cannot be released in time expires on its TTL.
/// </summary>
internal sealed class ShutdownRelease
{
    private readonly IActorRef _manager;
    private readonly TimeSpan _timeout;
    private readonly ILoggingAdapter _log;
    private readonly TaskCompletionSource<int> _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ShutdownRelease(IActorRef manager, TimeSpan timeout, ILoggingAdapter log)
    {
        _manager = manager;
        _timeout = timeout;
        _log = log;
    }

    /// <summary>Completes with the number of locks released (faults if they could not be released).</summary>
    public Task<int> Released => _released.Task;

    public static ShutdownRelease Register(ActorSystem system, string taskName, IActorRef manager, LockSettings settings, ILoggingAdapter log)
    {
        var release = new ShutdownRelease(manager, settings.ForceReleaseTimeout + settings.OperationTimeout, log);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, taskName, release.RunAsync);
        return release;
    }

    private async Task<Akka.Done> RunAsync()
    {
        try
        {
            var reply = await _manager.Ask<ForceReleased>(LockManagerActor.BeginShutdown.Instance, _timeout).ConfigureAwait(false);
            _log.Info("Coordinated shutdown released {Count} lock(s)", reply.Count);
            _released.TrySetResult(reply.Count);
        }
        catch (Exception e)
        {
            _log.Warning("Coordinated shutdown could not release every lock; the rest expire on their TTL: {Error}", e.Message);
            _released.TrySetException(e);
        }
        return Akka.Done.Instance;
    }
}
