using Akka.Actor;
using Akka.Event;
using Lock.Actors.Actors.Election;
using Lock.Actors.Actors.KeyLock;
using Lock.Actors.Actors.Watching;
using Lock.Actors.Coordination;
using Lock.Actors.Diagnostics;
using Lock.Actors.Redis;
using static Lock.Actors.Actors.KeyLock.KeyLockProtocol;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors;

/// <summary>
/// The node's lock manager: validates requests, routes each key to its own <see cref="KeyLockActor"/>
/// (created on demand, stopped when idle), keeps the active-lock table, watches lock owners and
/// releases everything on shutdown.
/// <para>Behaviours: <see cref="Running"/>, then <see cref="ShuttingDown"/> (no new locks).</para>
/// </summary>
internal sealed class LockManagerActor : ReceiveActor
{
    // ---- messages from key actors, the pub/sub subscription and the shutdown task ----

    /// <summary>A key actor granted a lock: add it to the table.</summary>
    public sealed record Granted(ActiveLock Lock);

    /// <summary>A key actor's lock is released or lost: drop it from the table.</summary>
    public sealed record Ended(string Key, string Token);

    /// <summary>
    /// A key actor has been quiet for the idle timeout. <paramref name="Received"/> counts the messages
    /// it got from the manager; only when that equals what the manager sent is nothing in flight, and
    /// the actor may stop without losing a request.
    /// </summary>
    public sealed record PassivationRequested(string Key, long Received);

    /// <summary>A release of <paramref name="Key"/> was announced on Redis pub/sub (from any node).</summary>
    public sealed record ReleaseAnnounced(string Key);

    /// <summary>
    /// The connection came back, was re-subscribed or now points at another primary: a release
    /// announced meanwhile may have been missed, so every key's waiting head tries at once.
    /// </summary>
    public sealed record WakeAllWaiters
    {
        public static WakeAllWaiters Instance { get; } = new();
        private WakeAllWaiters() { }
    }

    /// <summary>The facade's Ask for <paramref name="Key"/> was cancelled or timed out; see <see cref="KeyLockProtocol.Abandon"/>.</summary>
    public sealed record AbandonAcquire(string Key, IActorRef ReplyTo);

    /// <summary>Refuse new and queued acquires, release every held lock, reply <see cref="ForceReleased"/>.</summary>
    public sealed record BeginShutdown
    {
        public static BeginShutdown Instance { get; } = new();
        private BeginShutdown() { }
    }

    /// <summary>How many key actors are alive now (diagnostics, tests, benchmarks); replies an int.</summary>
    public sealed record CountKeyActors
    {
        public static CountKeyActors Instance { get; } = new();
        private CountKeyActors() { }
    }

    private sealed class KeyChild(IActorRef actor)
    {
        public IActorRef Actor { get; } = actor;
        public long Sent { get; set; }
    }

    public static Props Props(LockSettings settings, ILockStore store, LockMetrics metrics) =>
        Akka.Actor.Props.Create<LockManagerActor>(settings, store, metrics);

    private readonly LockSettings _settings;
    private readonly ILockStore _store;
    private readonly LockMetrics _metrics;
    private readonly LockTracing _tracing;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, KeyChild> _children = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _keyOfChild = new();
    // By token: a key held shared has one entry per holder here.
    private readonly Dictionary<string, ActiveLock> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, HashSet<string>> _keysOfOwner = new();
    private long _childNames;
    private long _aggregatorNames;
    private readonly IActorRef _watches;
    private readonly IActorRef _elections;

    public LockManagerActor(LockSettings settings, ILockStore store, LockMetrics metrics)
    {
        _settings = settings;
        _store = store;
        _metrics = metrics;
        _tracing = LockTracing.For(settings);
        _watches = Context.ActorOf(WatchRegistryActor.Props(settings, store).WithDispatcher(settings.Dispatcher), "watches");
        _elections = Context.ActorOf(ElectionsActor.Props(settings, Self).WithDispatcher(settings.Dispatcher), "elections");
        Running();
    }

    // A key actor that throws has lost track of its holder and queue; restarting it empty would
    // hide that. It is stopped instead, and its lock runs out on its TTL.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Stop);

    // ---- behaviours ----

    private void Running()
    {
        Receive<Acquire>(OnAcquire);
        Receive<LeaseProtocol.AcquireLease>(OnAcquireAs);
        Receive<Campaign>(OnCampaign);
        Receive<BeginShutdown>(_ => OnBeginShutdown());
        CommonReceives();
    }

    private void ShuttingDown()
    {
        Receive<Acquire>(request => RefuseShuttingDown(request));
        Receive<LeaseProtocol.AcquireLease>(request => RefuseShuttingDown(request.Request));
        Receive<Campaign>(campaign => Sender.Tell(new ElectionFailed(campaign.Name ?? string.Empty, LockFailure.Unavailable,
            $"Election '{campaign.Name}' was not entered: the node is shutting down.")));
        Receive<BeginShutdown>(_ => ForceReleaseHeld(Sender));
        CommonReceives();
    }

    private void CommonReceives()
    {
        Receive<Release>(OnRelease);
        Receive<Extend>(OnExtend);
        Receive<IsLocked>(OnIsLocked);
        Receive<GetActiveLocks>(_ => Sender.Tell(new ActiveLocks(_active.Values.ToArray())));
        Receive<ForceReleaseAll>(_ => ForceReleaseHeld(Sender));
        Receive<Granted>(OnGranted);
        Receive<Ended>(OnEnded);
        Receive<ReleaseAnnounced>(OnReleaseAnnounced);
        Receive<WakeAllWaiters>(_ =>
        {
            foreach (var child in _children.Values) Tell(child, KeyReleased.Instance);
            _watches.Tell(WatchProtocol.ReadAll.Instance);
        });
        WatchAndResignReceives();
        Receive<AbandonAcquire>(abandon =>
        {
            if (_children.TryGetValue(abandon.Key, out var child)) Tell(child, new Abandon(abandon.ReplyTo));
        });
        Receive<PassivationRequested>(OnPassivationRequested);
        Receive<Terminated>(OnTerminated);
        Receive<CountKeyActors>(_ => Sender.Tell(_children.Count));
    }

    // ---- requests ----

    private void OnAcquire(Acquire request)
    {
        if (RequestValidator.Acquire(request, _settings) is { } problem)
        {
            Refuse(request, AcquireFailure.InvalidRequest, problem);
            return;
        }
        Forward(ChildFor(request.Key), request);
    }

    private void OnAcquireAs(LeaseProtocol.AcquireLease request)
    {
        if ((RequestValidator.Acquire(request.Request, _settings) ?? RequestValidator.Token(request.Request.Key, request.Token)) is { } problem)
        {
            Refuse(request.Request, AcquireFailure.InvalidRequest, problem);
            return;
        }
        Forward(ChildFor(request.Request.Key), request);
    }

    private void RefuseShuttingDown(Acquire request) =>
        Refuse(request, AcquireFailure.ShuttingDown, $"Lock '{request.Key}' was not acquired: the node is shutting down.");

    /// <summary>An acquire the manager answers itself, without a key actor: replied to and counted.</summary>
    private void Refuse(Acquire request, AcquireFailure reason, string message)
    {
        var key = request.Key;
        _tracing.Acquire(key ?? string.Empty, request.TraceParent, MonotonicClock.System, MonotonicClock.System.Now, LockTracing.Outcomes.Of(reason));
        Sender.Tell(new LockNotAcquired(key ?? string.Empty, reason, message));
        _metrics.NotAcquired(reason);
    }

    private void OnRelease(Release request)
    {
        if (RequestValidator.Release(request, _settings) is { } problem)
        {
            Sender.Tell(new ReleaseFailed(request.Key ?? string.Empty, LockFailure.InvalidRequest, problem));
            return;
        }
        if (_children.TryGetValue(request.Key, out var child)) Forward(child, request);
        else StoreCalls.Release(_store, _metrics, _tracing, request, Sender);
    }

    private void OnExtend(Extend request)
    {
        if (RequestValidator.Extend(request, _settings) is { } problem)
        {
            Sender.Tell(new ExtendFailed(request.Key ?? string.Empty, LockFailure.InvalidRequest, problem));
            return;
        }
        if (_children.TryGetValue(request.Key, out var child)) Forward(child, request);
        else StoreCalls.Extend(_store, _metrics, _tracing, request, request.Ttl ?? _settings.DefaultTtl, Sender);
    }

    private void OnIsLocked(IsLocked request)
    {
        if (RequestValidator.Key(request.Key, _settings) is { } problem)
        {
            Sender.Tell(new LockStatusFailed(request.Key ?? string.Empty, LockFailure.InvalidRequest, problem));
            return;
        }
        StoreCalls.Status(_store, request.Key, Sender);
    }

    // ---- watches and elections (their own actors; the manager validates and routes) ----

    private void WatchAndResignReceives()
    {
        Receive<WatchLock>(watch =>
        {
            if (RequestValidator.Watch(watch.Key, watch.Watcher, _settings) is { } problem)
                Sender.Tell(new WatchFailed(watch.Key ?? string.Empty, LockFailure.InvalidRequest, problem));
            else _watches.Tell(new WatchProtocol.AddWatch(new WatchProtocol.Watch(watch.Key, watch.Watcher, null)));
        });
        Receive<UnwatchLock>(unwatch =>
        {
            if (unwatch is { Key: not null, Watcher: not null })
                _watches.Tell(new WatchProtocol.RemoveWatch(new WatchProtocol.Watch(unwatch.Key, unwatch.Watcher, null)));
        });
        Receive<WatchLeader>(watch =>
        {
            if (RequestValidator.WatchLeader(watch.Name, watch.Watcher, _settings) is { } problem)
                Sender.Tell(new WatchFailed(watch.Name ?? string.Empty, LockFailure.InvalidRequest, problem));
            else _watches.Tell(new WatchProtocol.AddWatch(new WatchProtocol.Watch(Elections.KeyOf(watch.Name), watch.Watcher, watch.Name)));
        });
        Receive<UnwatchLeader>(unwatch =>
        {
            if (unwatch is { Name: not null, Watcher: not null })
                _watches.Tell(new WatchProtocol.RemoveWatch(new WatchProtocol.Watch(Elections.KeyOf(unwatch.Name), unwatch.Watcher, unwatch.Name)));
        });
        Receive<WatchProtocol.ChangeAnnounced>(announced => _watches.Tell(announced));
        // Valid while shutting down too: a resign is answered even after the campaigns have ended.
        Receive<Resign>(resign =>
        {
            if (resign is { Name: not null, Candidate: not null }) _elections.Forward(resign);
            else Sender.Tell(new Resigned(resign.Name ?? string.Empty));
        });
    }

    private void OnCampaign(Campaign campaign)
    {
        if (RequestValidator.Campaign(campaign, _settings) is { } problem)
            Sender.Tell(new ElectionFailed(campaign.Name ?? string.Empty, LockFailure.InvalidRequest, problem));
        else _elections.Forward(campaign);
    }

    // ---- the active-lock table and owners ----

    private void OnGranted(Granted granted)
    {
        var entry = granted.Lock;
        _active[entry.Token] = entry;
        _metrics.SetActiveLocks(_active.Count);
        if (entry.Owner is null) return;
        if (!_keysOfOwner.TryGetValue(entry.Owner, out var keys))
        {
            keys = new HashSet<string>(StringComparer.Ordinal);
            _keysOfOwner[entry.Owner] = keys;
            // Watching an owner that already stopped delivers Terminated at once, so a lock granted
            // to an owner that died meanwhile is still released.
            Context.Watch(entry.Owner);
        }
        keys.Add(entry.Key);
    }

    private void OnEnded(Ended ended)
    {
        if (!_active.Remove(ended.Token, out var entry)) return;
        _metrics.SetActiveLocks(_active.Count);
        if (entry.Owner is null || !_keysOfOwner.TryGetValue(entry.Owner, out var keys)) return;
        // The owner may hold other shares of the same key: the key stays listed for it until the last.
        if (entry.Mode == LockMode.Shared && OwnsOnKey(entry.Owner, ended.Key)) return;
        keys.Remove(ended.Key);
        if (keys.Count > 0) return;
        _keysOfOwner.Remove(entry.Owner);
        Context.Unwatch(entry.Owner);
    }

    private bool OwnsOnKey(IActorRef owner, string key)
    {
        foreach (var entry in _active.Values)
            if (entry.Key == key && Equals(entry.Owner, owner)) return true;
        return false;
    }

    private void OnTerminated(Terminated terminated)
    {
        var actor = terminated.ActorRef;
        if (_keyOfChild.Remove(actor, out var key))
        {
            // Only a key actor that failed ends up here: passivated ones are unmapped first.
            _children.Remove(key);
            foreach (var entry in _active.Values.Where(entry => entry.Key == key).ToList())
            {
                _active.Remove(entry.Token);
                _log.Error("Key actor for lock {Key} stopped unexpectedly; its lock will expire on its TTL ({Ttl})", key, entry.Ttl);
            }
            _metrics.SetActiveLocks(_active.Count);
            return;
        }
        if (!_keysOfOwner.Remove(actor, out var keys)) return;
        _log.Debug("Owner {Owner} stopped; releasing its {Count} lock(s)", actor, keys.Count);
        foreach (var ownedKey in keys)
        {
            if (_children.TryGetValue(ownedKey, out var child)) Tell(child, new OwnerStopped(actor));
        }
    }

    // ---- key actors ----

    private KeyChild ChildFor(string key)
    {
        if (_children.TryGetValue(key, out var child)) return child;
        // Keys may hold any character, so actor names are generated; a new actor for a key whose
        // previous actor is still stopping never collides with it.
        var actor = Context.ActorOf(
            KeyLockActor.Props(key, _settings, _store, _metrics).WithDispatcher(_settings.Dispatcher), "key-" + ++_childNames);
        Context.Watch(actor);
        child = new KeyChild(actor);
        _children[key] = child;
        _keyOfChild[actor] = key;
        return child;
    }

    private void Forward(KeyChild child, IFromManager message)
    {
        child.Sent++;
        child.Actor.Forward(message);
    }

    private void Tell(KeyChild child, IFromManager message)
    {
        child.Sent++;
        child.Actor.Tell(message, Self);
    }

    private void OnReleaseAnnounced(ReleaseAnnounced announced)
    {
        if (_children.TryGetValue(announced.Key, out var child)) Tell(child, KeyReleased.Instance);
    }

    private void OnPassivationRequested(PassivationRequested request)
    {
        if (!_children.TryGetValue(request.Key, out var child) || !child.Actor.Equals(Sender)) return;
        if (child.Sent != request.Received) return; // a request is on its way to it: it is not idle
        _children.Remove(request.Key);
        _keyOfChild.Remove(child.Actor);
        Context.Stop(child.Actor);
    }

    // ---- force release and shutdown ----

    private void OnBeginShutdown()
    {
        _log.Info("Lock manager shutting down: refusing new locks, releasing {Count} held lock(s)", _active.Count);
        Become(ShuttingDown);
        // Campaigns end first: their candidates hear it before their terms are released below.
        _elections.Tell(CampaignProtocol.NodeShuttingDown.Instance);
        foreach (var child in _children.Values) Tell(child, RefuseWaiters.Instance);
        ForceReleaseHeld(Sender);
    }

    private void ForceReleaseHeld(IActorRef replyTo)
    {
        if (_active.Count == 0)
        {
            replyTo.Tell(new ForceReleased(0));
            return;
        }
        var aggregator = Context.ActorOf(
            ForceReleaseAggregator.Props(replyTo, _active.Count, _settings.ForceReleaseTimeout),
            "force-release-" + ++_aggregatorNames);
        foreach (var (token, entry) in _active)
        {
            if (_children.TryGetValue(entry.Key, out var child)) Tell(child, new ForceRelease(aggregator, token));
            else aggregator.Tell(new ReleaseFailed(entry.Key, LockFailure.NotHeld, $"Lock '{entry.Key}' has no key actor."));
        }
    }
}
