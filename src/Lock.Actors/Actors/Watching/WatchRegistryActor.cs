using Akka.Actor;
using static Lock.Actors.Actors.Watching.WatchProtocol;

namespace Lock.Actors.Actors.Watching;

/// <summary>
/// The node's watches: one <see cref="KeyWatchActor"/> per watched key, alive while any watch on it
/// is. It watches the watchers, so a watcher that stops loses its watches, and it alone starts and
/// stops key watch actors, so no watch is ever sent to one that is stopping.
/// </summary>
internal sealed class WatchRegistryActor : ReceiveActor
{
    public static Props Props(LockSettings settings, Redis.ILockStore store) =>
        Akka.Actor.Props.Create(() => new WatchRegistryActor(settings, store));

    private readonly LockSettings _settings;
    private readonly Redis.ILockStore _store;
    private readonly Dictionary<string, (IActorRef Actor, int Watches)> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, HashSet<Watch>> _byWatcher = new();
    private long _childNames;

    public WatchRegistryActor(LockSettings settings, Redis.ILockStore store)
    {
        _settings = settings;
        _store = store;
        Receive<AddWatch>(add => Add(add.Watch));
        Receive<RemoveWatch>(remove => Remove(remove.Watch));
        Receive<ChangeAnnounced>(announced =>
        {
            if (_keys.TryGetValue(announced.Key, out var entry)) entry.Actor.Tell(announced);
        });
        Receive<ReadAll>(readAll =>
        {
            foreach (var entry in _keys.Values) entry.Actor.Tell(readAll);
        });
        Receive<Terminated>(terminated =>
        {
            if (!_byWatcher.TryGetValue(terminated.ActorRef, out var watches)) return;
            foreach (var watch in watches.ToArray()) Remove(watch);
        });
    }

    private void Add(Watch watch)
    {
        if (!_byWatcher.TryGetValue(watch.Watcher, out var watches))
        {
            watches = [];
            _byWatcher[watch.Watcher] = watches;
            // A watcher that already stopped is reported at once, and its watch removed.
            Context.Watch(watch.Watcher);
        }
        if (!watches.Add(watch)) return;
        if (!_keys.TryGetValue(watch.Key, out var entry))
        {
            var actor = Context.ActorOf(
                KeyWatchActor.Props(watch.Key, _settings, _store).WithDispatcher(_settings.Dispatcher), "watch-" + ++_childNames);
            entry = (actor, 0);
        }
        _keys[watch.Key] = (entry.Actor, entry.Watches + 1);
        entry.Actor.Tell(new AddWatch(watch));
    }

    private void Remove(Watch watch)
    {
        if (!_byWatcher.TryGetValue(watch.Watcher, out var watches) || !watches.Remove(watch)) return;
        if (watches.Count == 0)
        {
            _byWatcher.Remove(watch.Watcher);
            Context.Unwatch(watch.Watcher);
        }
        var entry = _keys[watch.Key];
        if (entry.Watches > 1)
        {
            _keys[watch.Key] = (entry.Actor, entry.Watches - 1);
            entry.Actor.Tell(new RemoveWatch(watch));
            return;
        }
        _keys.Remove(watch.Key);
        Context.Stop(entry.Actor);
    }
}
