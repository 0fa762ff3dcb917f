using Akka.Actor;
using Akka.Event;
using Lock.Actors.Coordination;
using Lock.Actors.Departures;
using Lock.Actors.Diagnostics;
using Lock.Actors.Redis;
using static Lock.Actors.Actors.KeyLock.KeyLockProtocol;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.KeyLock;

/// <summary>
/// Owns one key on this node: the local holder, the FIFO queue of local waiters, and the single Redis
/// conversation for the key (only the head of the queue talks to Redis, one attempt at a time).
/// <para>
/// States, each a behaviour that handles only what is valid in it:
/// <list type="bullet">
/// <item><see cref="Idle"/>: nothing held or wanted here; stops after the idle timeout.</item>
/// <item><see cref="Acquiring"/>: the head waiter's attempt is in flight.</item>
/// <item><see cref="Waiting"/>: waiters, the key held elsewhere (or Redis failing); a release
/// notification or the retry tick starts the next attempt.</item>
/// <item><see cref="Held"/>: a local exclusive holder, maybe waiters; the watchdog extends.</item>
/// <item><see cref="Releasing"/>: the exclusive holder's release is in flight or being retried.</item>
/// <item><see cref="Sharing"/>: one or more local shared holders (readers or permits), each extended and
/// released on its own; meanwhile the queue goes on as in Acquiring and Waiting, since more shared
/// waiters may be granted, and a writer at the head must register its wait in Redis.</item>
/// </list>
/// Whatever is valid in every state (calls for other nodes' tokens, late answers, stale ticks) is in
/// <see cref="Anytime"/>. Every Redis call comes back as a private message; nothing here blocks.
/// </para>
/// <para>
/// The behaviour is a delegate field switched by <see cref="GoTo"/>, not Akka's Become: a key actor
/// changes state four times per acquire and release, and Become allocates on each switch (README,
/// "Where we depart from idiomatic Akka.NET"). Timers follow <see cref="KeptTick"/>'s policy.
/// </para>
/// </summary>
internal sealed partial class KeyLockActor : UntypedActor, IWithTimers
{
    // ---- private messages and timer keys ----

    private sealed record AttemptCompleted(Attempt Attempt, AcquireOutcome Outcome);
    private sealed record SharedAttemptCompleted(Attempt Attempt, AcquireOutcome[] Outcomes);
    private sealed record AttemptFaulted(Attempt Attempt, Exception Cause);
    private sealed record ReleaseCompleted(ReleaseCall Call, bool Released);
    private sealed record ReleaseFaulted(ReleaseCall Call, Exception Cause);
    private sealed record ExtendCompleted(ExtendCall Call, bool Extended);
    private sealed record ExtendFaulted(ExtendCall Call, Exception Cause);

    private sealed class RetryTick { public static readonly RetryTick Instance = new(); }
    private sealed class DeadlineTick { public static readonly DeadlineTick Instance = new(); }
    private sealed class HolderTick { public static readonly HolderTick Instance = new(); }
    private sealed class IdleTick { public static readonly IdleTick Instance = new(); }
    private sealed class ReleaseRetryTick { public static readonly ReleaseRetryTick Instance = new(); }

    public static Props Props(string key, LockSettings settings, ILockStore store, LockMetrics metrics, MonotonicClock? clock = null) =>
        Akka.Actor.Props.Create<KeyLockActor>(key, settings, store, metrics, clock ?? MonotonicClock.System);

    private readonly string _key;
    private readonly LockKeyNames _names;
    private readonly LockSettings _settings;
    private readonly ILockStore _store;
    private readonly LockMetrics _metrics;
    private readonly LockTracing _tracing;
    private readonly MonotonicClock _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly WaiterQueue _waiters;
    private readonly ReleaseRetries _releaseRetries = new();
    private readonly Func<Waiter, long> _effectiveDeadline;

    private Holder? _holder;        // Held and Releasing
    private readonly List<Holder> _shared = new();  // Sharing (empty in every other state)
    private Attempt? _attempt;      // Acquiring
    private long _retryAt;          // Waiting: when the head tries again without a notification
    private long _quietSince;       // Idle: since when
    private int _callsInFlight;     // releases and extends, in any state
    private long _fromManager;      // messages received from the manager (see IFromManager)

    private KeptTick _retryTick = null!, _deadlineTick = null!, _holderTick = null!, _idleTick = null!, _releaseRetryTick = null!;
    private readonly UntypedReceive _idle, _acquiring, _waiting, _held, _releasing, _sharing;
    private UntypedReceive _behaviour;

    public KeyLockActor(string key, LockSettings settings, ILockStore store, LockMetrics metrics, MonotonicClock clock)
    {
        _key = key;
        _names = store.NamesOf(key);
        _settings = settings;
        _store = store;
        _metrics = metrics;
        _tracing = LockTracing.For(settings);
        _clock = clock;
        _waiters = new WaiterQueue(metrics);
        _effectiveDeadline = EffectiveDeadline;
        _idle = Idle;
        _acquiring = Acquiring;
        _waiting = Waiting;
        _held = Held;
        _releasing = Releasing;
        _sharing = Sharing;
        _behaviour = _idle;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var horizon = MonotonicClock.Ticks(_settings.IdleTimeout > TimeSpan.FromSeconds(1) ? _settings.IdleTimeout : TimeSpan.FromSeconds(1));
        _retryTick = new KeptTick(Timers, RetryTick.Instance, _clock, horizon);
        _deadlineTick = new KeptTick(Timers, DeadlineTick.Instance, _clock, horizon);
        _holderTick = new KeptTick(Timers, HolderTick.Instance, _clock, horizon);
        _idleTick = new KeptTick(Timers, IdleTick.Instance, _clock, horizon);
        _releaseRetryTick = new KeptTick(Timers, ReleaseRetryTick.Instance, _clock, horizon);
        GoIdle();
    }

    protected override void PostStop() => _waiters.Clear();

    protected override bool AroundReceive(Receive receive, object message)
    {
        if (message is IFromManager) _fromManager++;
        return base.AroundReceive(receive, message);
    }

    protected override void OnReceive(object message) => _behaviour(message);

    private void GoTo(UntypedReceive state) => _behaviour = state;

    // ---- states ----

    private void Idle(object message)
    {
        switch (message)
        {
            case Acquire request: Enqueue(request, null, null); ServeQueue(); break;
            case LeaseProtocol.AcquireLease request: Enqueue(request.Request, request.Token, request.ExtendInterval); ServeQueue(); break;
            case IdleTick: OnIdleTick(); break;
            default: Anytime(message); break;
        }
    }

    private void Acquiring(object message)
    {
        switch (message)
        {
            case Acquire request: EnqueueBehind(request, null, null); break;
            case LeaseProtocol.AcquireLease request: EnqueueBehind(request.Request, request.Token, request.ExtendInterval); break;
            case AttemptCompleted completed: OnAttemptCompleted(completed); break;
            case SharedAttemptCompleted completed: OnSharedAttemptCompleted(completed); break;
            case AttemptFaulted faulted: OnAttemptFaulted(faulted); break;
            case KeyReleased: _attempt!.KeyReleasedMeanwhile = true; break;
            default: WaitersMessage(message); break;
        }
    }

    private void Waiting(object message)
    {
        switch (message)
        {
            case Acquire request: EnqueueBehind(request, null, null); break;
            case LeaseProtocol.AcquireLease request: EnqueueBehind(request.Request, request.Token, request.ExtendInterval); break;
            case KeyReleased: ServeQueue(); break;
            case RetryTick:
                _retryTick.Arrived();
                if (_clock.Now >= _retryAt) ServeQueue();
                else _retryTick.EnsureBy(_retryAt);
                break;
            default:
                WaitersMessage(message);
                if (_waiters.Count == 0) GoIdle();
                break;
        }
    }

    private void Held(object message)
    {
        var holder = _holder!;
        switch (message)
        {
            case Acquire request: EnqueueBehind(request, null, null); break;
            case LeaseProtocol.AcquireLease request when request.Token == holder.Token:
                // The same identity asking again while it holds the lock: re-entrant.
                Sender.Tell(new LockAcquired(_key, holder.Token, holder.FencingToken, holder.Ttl));
                ReportValidity(holder);
                break;
            case LeaseProtocol.AcquireLease request: EnqueueBehind(request.Request, request.Token, request.ExtendInterval); break;
            case Release request when request.Token == holder.Token: ReleaseHolder(holder, Sender, ReleaseCause.Request, request.TraceParent); break;
            case ForceRelease request when request.Token == holder.Token: ReleaseHolder(holder, request.ReplyTo, ReleaseCause.Forced); break;
            case Extend request when request.Token == holder.Token:
                StartExtend(new ExtendCall(holder.Token, request.Ttl ?? holder.Ttl, Sender, _clock.Now, holder.FencingToken, request.TraceParent));
                break;
            case ExtendCompleted completed when completed.Call.Token == holder.Token: OnHolderExtended(holder, completed); break;
            case ExtendFaulted faulted when faulted.Call.Token == holder.Token: OnHolderExtendFaulted(holder, faulted); break;
            case HolderTick: _holderTick.Arrived(); OnWatchdogTick(holder); break;
            case OwnerStopped stopped when Equals(holder.Owner, stopped.Owner):
                WaitersMessage(message);
                ReleaseHolder(holder, null, ReleaseCause.OwnerStopped);
                break;
            case Abandon abandon when Equals(holder.GrantedTo, abandon.ReplyTo):
                _log.Debug("Lock {Key} was granted to a requester that had stopped waiting; releasing it", _key);
                WaitersMessage(message);
                ReleaseHolder(holder, null, ReleaseCause.Abandoned);
                break;
            default: WaitersMessage(message); break;
        }
    }

    private void Releasing(object message)
    {
        var holder = _holder!;
        switch (message)
        {
            case Acquire request: EnqueueBehind(request, null, null); break;
            case LeaseProtocol.AcquireLease request: EnqueueBehind(request.Request, request.Token, request.ExtendInterval); break;
            // Asked again (a handle whose release failed, or the shutdown): one more try, answered.
            case Release request when request.Token == holder.Token: ReleaseHolder(holder, Sender, ReleaseCause.Request, request.TraceParent); break;
            case ForceRelease request when request.Token == holder.Token: ReleaseHolder(holder, request.ReplyTo, ReleaseCause.Forced); break;
            case ReleaseCompleted completed when completed.Call.Token == holder.Token: OnHolderReleased(holder, completed); break;
            case HolderTick:
                _holderTick.Arrived();
                // Not confirmed by the end of the lock's validity: it has surely expired in Redis by
                // now, but nobody could confirm that it was let go.
                if (_clock.Now >= holder.ValidUntil) LoseHolder(holder, "its release did not reach Redis before its TTL ran out");
                else _holderTick.EnsureBy(holder.ValidUntil);
                break;
            default: WaitersMessage(message); break;
        }
    }

    private void Sharing(object message)
    {
        switch (message)
        {
            case Acquire request: EnqueueWhileSharing(request, null, null); break;
            case LeaseProtocol.AcquireLease request: EnqueueWhileSharing(request.Request, request.Token, request.ExtendInterval); break;
            case AttemptCompleted completed: OnAttemptCompleted(completed); break;
            case SharedAttemptCompleted completed: OnSharedAttemptCompleted(completed); break;
            case AttemptFaulted faulted: OnAttemptFaulted(faulted); break;
            case KeyReleased when _attempt is { } attempt: attempt.KeyReleasedMeanwhile = true; break;
            case KeyReleased: if (_waiters.Count > 0) ServeQueue(); break;
            case RetryTick:
                _retryTick.Arrived();
                if (_attempt is not null || _waiters.Count == 0) break;
                if (_clock.Now >= _retryAt) ServeQueue();
                else _retryTick.EnsureBy(_retryAt);
                break;
            case Release request when SharedHolder(request.Token) is { } holder:
                ReleaseHolder(holder, Sender, ReleaseCause.Request, request.TraceParent);
                break;
            case ForceRelease request when SharedHolder(request.Token) is { } holder: ReleaseHolder(holder, request.ReplyTo, ReleaseCause.Forced); break;
            case Extend request when SharedHolder(request.Token) is { Releasing: false } holder:
                StartExtend(new ExtendCall(holder.Token, request.Ttl ?? holder.Ttl, Sender, _clock.Now, holder.FencingToken, request.TraceParent));
                break;
            case ExtendCompleted completed when SharedHolder(completed.Call.Token) is { Releasing: false } holder: OnHolderExtended(holder, completed); break;
            case ExtendFaulted faulted when SharedHolder(faulted.Call.Token) is { Releasing: false } holder: OnHolderExtendFaulted(holder, faulted); break;
            case ReleaseCompleted completed when SharedHolder(completed.Call.Token) is { Releasing: true } holder: OnHolderReleased(holder, completed); break;
            case HolderTick:
                _holderTick.Arrived();
                foreach (var holder in _shared.ToArray()) OnSharedHolderTick(holder);
                break;
            case OwnerStopped stopped:
                WaitersMessage(message);
                ReleaseSharedWhere(static (holder, owner) => Equals(holder.Owner, owner), stopped.Owner, ReleaseCause.OwnerStopped);
                break;
            case Abandon abandon:
                WaitersMessage(message);
                ReleaseSharedWhere(static (holder, replyTo) => Equals(holder.GrantedTo, replyTo), abandon.ReplyTo, ReleaseCause.Abandoned);
                break;
            default: WaitersMessage(message); break;
        }
    }

    /// <summary>What every state with waiters does with the queue's messages.</summary>
    private void WaitersMessage(object message)
    {
        switch (message)
        {
            case DeadlineTick: _deadlineTick.Arrived(); ExpireWaiters(); break;
            case OwnerStopped stopped: DropWaiters(static (waiter, owner) => Equals(waiter.Owner, owner), stopped.Owner); break;
            case Abandon abandon: DropWaiters(static (waiter, replyTo) => Equals(waiter.ReplyTo, replyTo), abandon.ReplyTo); break;
            case RefuseWaiters: RefuseAll(); break;
            default: Anytime(message); break;
        }
    }

    /// <summary>Valid in every state: nothing here depends on the holder or the queue.</summary>
    private void Anytime(object message)
    {
        switch (message)
        {
            // Not our holder's token (another node's, or a stale one): Redis decides.
            case Release request: StoreCalls.Release(_store, _metrics, _tracing, request, Sender); break;
            case Extend request: StoreCalls.Extend(_store, _metrics, _tracing, request, request.Ttl ?? _settings.DefaultTtl, Sender); break;
            case ForceRelease request:
                request.ReplyTo.Tell(new ReleaseFailed(_key, LockFailure.NotHeld, $"Lock '{_key}' is not held on this node."));
                break;
            case ReleaseCompleted completed: OnReleaseAnswered(completed.Call, completed.Released); break;
            case ReleaseFaulted faulted: OnReleaseFaulted(faulted); break;
            case ExtendCompleted completed: OnExtendAnswered(completed.Call, completed.Extended); break;
            case ExtendFaulted faulted: OnExtendAnswered(faulted.Call, faulted.Cause); break;
            case ReleaseRetryTick: _releaseRetryTick.Arrived(); RetryReleases(); break;
            // Ticks and notices that this state has no use for.
            case RetryTick: _retryTick.Arrived(); break;
            case DeadlineTick: _deadlineTick.Arrived(); break;
            case HolderTick: _holderTick.Arrived(); break;
            case IdleTick: _idleTick.Arrived(); break;
            case KeyReleased or OwnerStopped or Abandon or RefuseWaiters: break;
            default: Unhandled(message); break;
        }
    }

    // ---- transitions ----

    /// <summary>
    /// Nothing held here and no attempt in flight: the head of the queue tries (Acquiring), after the
    /// waiters that left or ran out of time are answered; with no waiter left the actor is Idle.
    /// </summary>
    private void ServeQueue()
    {
        var now = _clock.Now;
        while (_waiters.Head is { } head)
        {
            if (head.IsGone)
            {
                _waiters.Remove(head);
                continue;
            }
            if (head.Deadline < now && (head.HeardFromStore || head.LastFault is not null))
            {
                _waiters.Remove(head);
                if (head.HeardFromStore) NotAcquired(head, AcquireFailure.Timeout, $"Lock '{_key}' stayed held elsewhere for the whole timeout.");
                else NotAcquired(head, AcquireFailure.Unavailable, $"Redis was unavailable while acquiring lock '{_key}': {head.LastFault}");
                continue;
            }
            if (head.Mode == LockMode.Exclusive && SharedReleaseInFlight())
            {
                // A release of ours may have landed in Redis with its answer still on the way: a writer
                // granted now would find that holder still counted here. It tries once the answers are in.
                GoWaiting(_settings.RetryInterval);
                return;
            }
            StartAttempt(head, now);
            return;
        }
        Rest();
    }

    /// <summary>No waiter left and no attempt in flight: Sharing while shared holders remain, else Idle.</summary>
    private void Rest()
    {
        if (_shared.Count > 0) GoTo(_sharing);
        else GoIdle();
    }

    private void GoIdle()
    {
        GoTo(_idle);
        _quietSince = _clock.Now;
        _idleTick.EnsureBy(_quietSince + MonotonicClock.Ticks(_settings.IdleTimeout));
    }

    private void GoWaiting(TimeSpan retryIn)
    {
        GoTo(_shared.Count > 0 ? _sharing : _waiting);
        _retryAt = _clock.Now + MonotonicClock.Ticks(retryIn < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : retryIn);
        _retryTick.EnsureBy(_retryAt);
        ArmDeadline();
    }

    private void OnIdleTick()
    {
        _idleTick.Arrived();
        var quietUntil = _quietSince + MonotonicClock.Ticks(_settings.IdleTimeout);
        if (_callsInFlight > 0 || !_releaseRetries.IsEmpty) quietUntil = _clock.Now + MonotonicClock.Ticks(_settings.IdleTimeout);
        if (_clock.Now < quietUntil)
        {
            _idleTick.EnsureBy(quietUntil);
            return;
        }
        Context.Parent.Tell(new LockManagerActor.PassivationRequested(_key, _fromManager));
    }
}
