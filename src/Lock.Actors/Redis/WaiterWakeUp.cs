using Akka.Actor;
using Akka.Event;
using Lock.Actors.Actors;
using Lock.Actors.Actors.Watching;

namespace Lock.Actors.Redis;

/// <summary>
/// Wakes waiters when a lock is released anywhere: the node's pub/sub subscriptions to release
/// notifications, each routed to the manager (and from there to the key's actor, whose waiting head
/// tries at once), and to the changes of watched locks (routed to their watch actors). Together with
/// <see cref="TopologyWatch"/> (every head tries again after a reconnect or a promotion) this is why
/// waiters do not poll.
/// </summary>
internal sealed class WaiterWakeUp
{
    private readonly ILockStore _store;

    private WaiterWakeUp(ILockStore store, Task subscribed)
    {
        _store = store;
        Subscribed = subscribed;
    }

    /// <summary>Completes when release notifications are subscribed.</summary>
    public Task Subscribed { get; }

    /// <summary>Subscribes in the background, trying again every retry-interval until it is done or the system stops.</summary>
    public static WaiterWakeUp Start(ILockStore store, IActorRef manager, TimeSpan retryInterval, Task terminated, ILoggingAdapter log) =>
        new(store, SubscribeUntilDoneAsync(store, manager, retryInterval, terminated, log));

    // The pub/sub connection may come up after the interactive one (or Redis may be down at start),
    // and a fail-fast connection refuses SUBSCRIBE until then: keep trying. Once subscribed, the
    // client re-subscribes by itself after reconnects. Until then waiters use lock.retry-interval.
    private static async Task SubscribeUntilDoneAsync(ILockStore store, IActorRef manager, TimeSpan retryInterval, Task terminated, ILoggingAdapter log)
    {
        var warned = false;
        bool releases = false, changes = false;
        while (!terminated.IsCompleted)
        {
            try
            {
                // Each once: a second subscription of the same channel would deliver every message twice.
                if (!releases)
                    await store.SubscribeReleasesAsync(key => manager.Tell(new LockManagerActor.ReleaseAnnounced(key))).ConfigureAwait(false);
                releases = true;
                if (!changes)
                    await store.SubscribeChangesAsync((key, change) => manager.Tell(new WatchProtocol.ChangeAnnounced(key, change))).ConfigureAwait(false);
                changes = true;
                if (warned) log.Info("Release notifications subscribed");
                return;
            }
            catch (Exception e)
            {
                if (!warned)
                    log.Warning("Release notifications are not subscribed yet ({Error}); retrying, waiters fall back to lock.retry-interval", e.Message);
                warned = true;
                await Task.WhenAny(terminated, Task.Delay(retryInterval)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Unsubscribes, waiting at most <paramref name="timeout"/>; a connection already gone has nothing left to drop.</summary>
    public void Stop(TimeSpan timeout)
    {
        try
        {
            Task.WhenAll(_store.UnsubscribeReleasesAsync(), _store.UnsubscribeChangesAsync()).Wait(timeout);
        }
        catch (Exception)
        {
            // The connection may already be gone; nothing is left to unsubscribe from.
        }
    }
}
