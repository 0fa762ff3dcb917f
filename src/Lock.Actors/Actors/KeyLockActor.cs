using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Lock.Actors.Diagnostics;
using Lock.Actors.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors;

/// <summary>
/// Owns one key on this node: the local holder, the FIFO queue of local waiters, and the single Redis
/// conversation for the key (only the head of the queue talks to Redis, one call at a time).
/// <para>
/// Behaviours: <see cref="Idle"/> (nothing held or wanted), <see cref="Contending"/> (waiters, no
/// holder), <see cref="Holding"/> (a local holder, maybe waiters). Every Redis call is piped back as
/// a private message; nothing here blocks.
/// </para>
/// <para>
/// This is an <see cref="UntypedActor"/> whose behaviour is a cached delegate in a field, picked by
/// <see cref="Settle"/> after every message, not a ReceiveActor switched with Become: a key actor
/// changes behaviour on every acquire and release, and ReceiveActor's Become rebuilds its handler
/// set each time (measured: about 30 KB and 0.15 ms per acquire + release cycle); even
/// UntypedActor's Become allocates a wrapper per switch.
/// </para>
/// </summary>
internal sealed class KeyLockActor : UntypedActor, IWithTimers
{
    // ---- messages from the manager ----

    /// <summary>Someone released the key (pub/sub): the head may try at once.</summary>
    public sealed record KeyReleased
    {
        public static KeyReleased Instance { get; } = new();
        private KeyReleased() { }
    }

    /// <summary>A watched owner stopped: its waiters leave the queue and its lock is released.</summary>
    public sealed record OwnerStopped(IActorRef Owner);

    /// <summary>Release the local holder's lock and tell <paramref name="ReplyTo"/> the outcome.</summary>
    public sealed record ForceRelease(IActorRef ReplyTo);

    /// <summary>
    /// The requester behind <paramref name="ReplyTo"/> stopped waiting (its Ask was cancelled or timed
    /// out): drop its request, or give the lock back if it was granted into the void.
    /// </summary>
    public sealed record Abandon(IActorRef ReplyTo);

    /// <summary>
    /// An acquire on behalf of a holder with a stable identity (the coordination lease): the lock's
    /// token is <paramref name="Token"/>, so the same identity asking again is granted; the watchdog
    /// extends every <paramref name="ExtendInterval"/>; and the owner hears <see cref="HolderValid"/>
    /// after the grant and each extend.
    /// </summary>
    public sealed record AcquireAs(Acquire Request, string Token, TimeSpan ExtendInterval);

    /// <summary>
    /// To the owner of an <see cref="AcquireAs"/> lock: the lock is surely held until the monotonic
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp <paramref name="ValidUntil"/>.
    /// </summary>
    public sealed record HolderValid(string Key, string Token, long FencingToken, long ValidUntil);

    /// <summary>The node is shutting down: every queued waiter is refused.</summary>
    public sealed record RefuseWaiters
    {
        public static RefuseWaiters Instance { get; } = new();
        private RefuseWaiters() { }
    }

    // ---- private messages and timer keys ----

    private sealed record AttemptCompleted(Attempt Attempt, AcquireOutcome Outcome);
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

    private sealed class Waiter(
        IActorRef replyTo, IActorRef? owner, TimeSpan ttl, bool autoExtend, long arrivedAt, long deadline,
        string? token = null, TimeSpan? extendInterval = null)
    {
        public long ArrivedAt { get; } = arrivedAt;
        public TimeSpan? ExtendInterval { get; } = extendInterval;
        public bool ReportsValidity { get; } = token is not null;
        public IActorRef ReplyTo { get; } = replyTo;
        public IActorRef? Owner { get; } = owner;
        public TimeSpan Ttl { get; } = ttl;
        public bool AutoExtend { get; } = autoExtend;
        public long Deadline { get; } = deadline;

        // One token per waiter, kept across its retries: a retry whose earlier reply was lost finds
        // its own token in Redis and is granted instead of waiting for itself.
        public string Token { get; } = token ?? LockTokens.New();

        // Set once Redis has answered any attempt of this waiter: from then on a missed deadline is
        // a timeout (the key was held), before it an outage.
        public bool HeardFromStore { get; set; }

        // Why this waiter's last attempt failed (Redis unreachable, refusing); named in its
        // Unavailable answer when the deadline comes before Redis answers again.
        public string? LastFault { get; set; }

        // An owner that already stopped: nobody would use the lock. A best-effort local check (remote
        // refs never report it) that saves a grant; correctness rests on the manager watching owners.
#pragma warning disable CS0618 // IsTerminated is discouraged as a liveness signal; here it is only a shortcut
        public bool IsGone => Owner is IInternalActorRef { IsTerminated: true };
#pragma warning restore CS0618
    }

    private sealed class Attempt(Waiter waiter, long sentAt)
    {
        public Waiter Waiter { get; } = waiter;
        public long SentAt { get; } = sentAt;

        // The waiter was answered (deadline, owner stopped, shutdown) while this call was in flight;
        // a late grant must be given back at once.
        public bool Abandoned { get; set; }
    }

    private sealed class Holder(Waiter waiter, long fencingToken, long validUntil)
    {
        public string Token { get; } = waiter.Token;
        public long FencingToken { get; } = fencingToken;
        public IActorRef? Owner { get; } = waiter.Owner;
        public IActorRef GrantedTo { get; } = waiter.ReplyTo;
        public bool AutoExtend { get; } = waiter.AutoExtend;
        public TimeSpan? ExtendInterval { get; } = waiter.ExtendInterval;
        public bool ReportsValidity { get; } = waiter.ReportsValidity;
        public bool ExtendPending { get; set; }
        public TimeSpan Ttl { get; set; } = waiter.Ttl;

        // Monotonic time until which the lock is surely still ours: measured from when the acquire
        // or extend was *sent*, so it never outlives the key in Redis.
        public long ValidUntil { get; set; } = validUntil;
        public bool Releasing { get; set; }

        // When the watchdog extends next (AutoExtend only).
        public long NextExtendAt { get; set; }

        public void ScheduleNextExtend() => NextExtendAt = Stopwatch.GetTimestamp() + Ticks(ExtendInterval ?? Ttl / 3);
    }

    private enum ReleaseCause { Request, OwnerStopped, Abandoned, Forced }

    // ValidUntil: the monotonic time until which the lock may still be in Redis under Token; a release
    // that failed is retried until then.
    private sealed record ReleaseCall(string Token, IActorRef? ReplyTo, ReleaseCause Cause, long ValidUntil);

    private sealed record ExtendCall(string Token, TimeSpan Ttl, IActorRef? ReplyTo, long SentAt);

    public static Props Props(string key, LockSettings settings, ILockStore store, LockMetrics metrics) =>
        Akka.Actor.Props.Create<KeyLockActor>(key, settings, store, metrics);

    private readonly string _key;
    private readonly LockKeyNames _names;
    // How far ahead a tick may be set (see Arm), in Stopwatch ticks.
    private readonly long _tickHorizon;
    private readonly LockSettings _settings;
    private readonly ILockStore _store;
    private readonly LockMetrics _metrics;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkedList<Waiter> _waiters = new();
    // Releases that Redis did not take (unreachable, refusing) and that are tried again.
    private readonly List<ReleaseCall> _releaseRetries = new();
    private int _waitersReported;

    private Holder? _holder;
    private Attempt? _attempt;
    private bool _releasedDuringAttempt;
    private int _callsInFlight;
    private bool _idleTimerArmed;
    private bool _quiet;
    private long _quietSince;
    private long _fromManager;

    // When the pending deadline and holder ticks fire (Stopwatch timestamps); long.MaxValue: none pending.
    private long _deadlineTickAt = long.MaxValue;
    private long _holderTickAt = long.MaxValue;
    private readonly UntypedReceive _idle;
    private readonly UntypedReceive _contending;
    private readonly UntypedReceive _holding;
    private UntypedReceive _behaviour;

    public KeyLockActor(string key, LockSettings settings, ILockStore store, LockMetrics metrics)
    {
        _key = key;
        _names = store.NamesOf(key);
        _settings = settings;
        _tickHorizon = Ticks(settings.IdleTimeout > TimeSpan.FromSeconds(1) ? settings.IdleTimeout : TimeSpan.FromSeconds(1));
        _store = store;
        _metrics = metrics;
        _idle = Idle;
        _contending = Contending;
        _holding = Holding;
        _behaviour = _idle;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    // ---- behaviours ----

    // The behaviour is a field, switched by Settle; Akka's Become would allocate on every switch.
    protected override void OnReceive(object message) => _behaviour(message);

    private void Idle(object message)
    {
        switch (message)
        {
            case Acquire request: OnAcquire(request); break;
            case AcquireAs request: OnAcquireAs(request); break;
            default: Common(message); break;
        }
    }

    private void Contending(object message)
    {
        switch (message)
        {
            case Acquire request: OnAcquire(request); break;
            case AcquireAs request: OnAcquireAs(request); break;
            case RetryTick: TryHead(); break;
            default: Common(message); break;
        }
    }

    private void Holding(object message)
    {
        switch (message)
        {
            case Acquire request: OnAcquire(request); break;
            case AcquireAs request: OnAcquireAs(request); break;
            default: Common(message); break;
        }
    }

    private void Common(object message)
    {
        switch (message)
        {
            case Release request: OnRelease(request); break;
            case Extend request: OnExtend(request); break;
            case KeyReleased: OnKeyReleased(); break;
            case OwnerStopped stopped: OnOwnerStopped(stopped); break;
            case ForceRelease request: OnForceRelease(request); break;
            case RefuseWaiters: OnRefuseWaiters(); break;
            case Abandon abandon: OnAbandon(abandon); break;
            case DeadlineTick: OnDeadline(); break;
            case HolderTick: OnHolderTick(); break;
            case AttemptCompleted completed: OnAttemptCompleted(completed); break;
            case AttemptFaulted faulted: OnAttemptFaulted(faulted); break;
            case ReleaseCompleted completed: OnReleaseCompleted(completed); break;
            case ReleaseFaulted faulted: OnReleaseFaulted(faulted); break;
            case ExtendCompleted completed: OnExtendCompleted(completed); break;
            case ExtendFaulted faulted: OnExtendFaulted(faulted); break;
            case IdleTick: OnIdleTick(); break;
            case ReleaseRetryTick: OnReleaseRetryTick(); break;
            // A tick that belonged to a behaviour we already left.
            case RetryTick: break;
            default: Unhandled(message); break;
        }
    }

    /// <summary>Picks the behaviour that matches the state, and keeps the idle timer in step with it.</summary>
    private void Settle()
    {
        _behaviour = _holder is not null ? _holding : _waiters.Count > 0 ? _contending : _idle;

        _metrics.AddWaiters(_waiters.Count - _waitersReported);
        _waitersReported = _waiters.Count;

        // The idle timer is armed once and never cancelled on the hot path: when it fires it checks
        // how long the actor has really been quiet.
        var quiet = _holder is null && _attempt is null && _waiters.Count == 0 && _callsInFlight == 0 && _releaseRetries.Count == 0;
        if (quiet && !_quiet) _quietSince = Stopwatch.GetTimestamp();
        _quiet = quiet;
        if (quiet && !_idleTimerArmed)
        {
            Timers.StartSingleTimer(IdleTick.Instance, IdleTick.Instance, _settings.IdleTimeout);
            _idleTimerArmed = true;
        }
    }

    protected override void PostStop() => _metrics.AddWaiters(-_waitersReported);

    protected override bool AroundReceive(Receive receive, object message)
    {
        if (message is Acquire or AcquireAs or Release or Extend or KeyReleased or OwnerStopped or ForceRelease or RefuseWaiters or Abandon)
            _fromManager++;
        var handled = base.AroundReceive(receive, message);
        Settle();
        return handled;
    }

    // ---- acquire ----

    private void OnAcquire(Acquire request) => Enqueue(request, token: null, extendInterval: null);

    private void OnAcquireAs(AcquireAs request)
    {
        if (_holder is { Releasing: false } holder && holder.Token == request.Token)
        {
            // The same identity asking again while it holds the lock: re-entrant.
            Sender.Tell(new LockAcquired(_key, holder.Token, holder.FencingToken, holder.Ttl));
            ReportValidity(holder);
            return;
        }
        Enqueue(request.Request, request.Token, request.ExtendInterval);
    }

    private void Enqueue(Acquire request, string? token, TimeSpan? extendInterval)
    {
        var now = Stopwatch.GetTimestamp();
        var waiter = new Waiter(
            Sender, request.Owner, request.Ttl ?? _settings.DefaultTtl, request.AutoExtend,
            now, now + Ticks(request.Timeout ?? _settings.DefaultTimeout), token, extendInterval);
        _waiters.AddLast(waiter);
        if (_holder is null && _attempt is null) TryHead();
        else ArmDeadline();
    }

    /// <summary>Starts the head waiter's attempt, after dropping waiters that are gone or out of time.</summary>
    private void TryHead()
    {
        if (_holder is not null || _attempt is not null) return;
        Timers.Cancel(RetryTick.Instance);
        var now = Stopwatch.GetTimestamp();
        while (_waiters.First is { Value: var head })
        {
            if (head.IsGone)
            {
                _waiters.RemoveFirst();
                continue;
            }
            if (head.Deadline < now && head.LastFault is { } fault && !head.HeardFromStore)
            {
                _waiters.RemoveFirst();
                NotAcquired(head, AcquireFailure.Unavailable, $"Redis was unavailable while acquiring lock '{_key}': {fault}");
                continue;
            }
            if (head.Deadline < now && head.HeardFromStore)
            {
                _waiters.RemoveFirst();
                NotAcquired(head, AcquireFailure.Timeout, $"Lock '{_key}' stayed held elsewhere for the whole timeout.");
                continue;
            }

            var attempt = new Attempt(head, now);
            _attempt = attempt;
            _releasedDuringAttempt = false;
            _store.TryAcquireAsync(_names, head.Token, head.Ttl).PipeResultTo(
                Self, attempt,
                static (call, outcome) => new AttemptCompleted(call, outcome),
                static (call, cause) => new AttemptFaulted(call, cause));
            break;
        }
        ArmDeadline();
    }

    private void OnAttemptCompleted(AttemptCompleted completed)
    {
        var (attempt, outcome) = completed;
        _attempt = null;
        var waiter = attempt.Waiter;
        waiter.HeardFromStore = true;

        if (outcome.Acquired)
        {
            if (attempt.Abandoned || waiter.IsGone)
            {
                // Nobody will use this lock: give it back now rather than leave it until its TTL.
                _waiters.Remove(waiter);
                _log.Debug("Lock {Key} was granted after its requester left; releasing it", _key);
                StartRelease(new ReleaseCall(waiter.Token, null, ReleaseCause.Forced, attempt.SentAt + Ticks(waiter.Ttl)));
                return;
            }
            Grant(waiter, attempt, outcome.FencingToken);
            return;
        }

        if (outcome.Unconfirmed is { } why && !attempt.Abandoned)
        {
            // Granted, but too few replicas confirmed it, and given back: a failover could lose it.
            // Like an unreachable Redis: keep trying within the waiter's timeout, then Unavailable.
            OnAttemptFaulted(new AttemptFaulted(attempt, new InvalidOperationException(why)));
            return;
        }

        if (attempt.Abandoned || _releasedDuringAttempt)
        {
            // Nobody to serve with this answer, or the key came free meanwhile: next attempt now.
            TryHead();
            return;
        }

        // Held elsewhere. The release notification wakes us; this timer covers a lost notification
        // and a holder that lets its lock expire instead of releasing it.
        var wait = outcome.HolderTtl is { } holderTtl && holderTtl < _settings.RetryInterval
            ? holderTtl
            : _settings.RetryInterval;
        Timers.StartSingleTimer(RetryTick.Instance, RetryTick.Instance, wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait);
        ArmDeadline();
    }

    private void OnAttemptFaulted(AttemptFaulted faulted)
    {
        _attempt = null;
        var waiter = faulted.Attempt.Waiter;
        if (!faulted.Attempt.Abandoned && _waiters.Contains(waiter))
        {
            if (waiter.LastFault is null)
                _log.Warning("Redis failed while acquiring lock {Key}: {Error}", _key, faulted.Cause.Message);
            waiter.LastFault = faulted.Cause.Message;
            waiter.HeardFromStore = false;
            if (Stopwatch.GetTimestamp() < waiter.Deadline)
            {
                // Redis may be failing over or reconnecting: the waiter keeps its place within its
                // own timeout, and the head tries again shortly (a reconnect wakes it at once).
                Timers.StartSingleTimer(RetryTick.Instance, RetryTick.Instance,
                    _settings.RetryInterval < MaxFaultRetryDelay ? _settings.RetryInterval : MaxFaultRetryDelay);
                ArmDeadline();
                return;
            }
            _waiters.Remove(waiter);
            NotAcquired(waiter, AcquireFailure.Unavailable,
                $"Redis was unavailable while acquiring lock '{_key}': {faulted.Cause.Message}");
        }
        TryHead();
    }

    // How soon a head whose attempt failed tries again, whatever the retry-interval.
    private static readonly TimeSpan MaxFaultRetryDelay = TimeSpan.FromMilliseconds(250);

    private void Grant(Waiter waiter, Attempt attempt, long fencingToken)
    {
        _waiters.Remove(waiter);
        var holder = new Holder(waiter, fencingToken, attempt.SentAt + Ticks(waiter.Ttl));
        holder.ScheduleNextExtend();
        _holder = holder;
        // The table first: whoever hears of the grant and then asks the manager finds it listed.
        Context.Parent.Tell(new LockManagerActor.Granted(new ActiveLock(
            _key, holder.Token, fencingToken, holder.Owner, DateTimeOffset.UtcNow, holder.Ttl, holder.AutoExtend)));
        waiter.ReplyTo.Tell(new LockAcquired(_key, holder.Token, fencingToken, holder.Ttl));
        _metrics.Acquired(waiter.ArrivedAt);
        if (_log.IsDebugEnabled)
            _log.Debug("Acquired lock {Key} fencing {FencingToken} token {Token}", _key, fencingToken, LockTokens.Redact(holder.Token));
        ReportValidity(holder);
        ArmHolderTimer(holder);
        ArmDeadline();
    }

    private void ReportValidity(Holder holder)
    {
        if (holder.ReportsValidity)
            holder.Owner?.Tell(new HolderValid(_key, holder.Token, holder.FencingToken, holder.ValidUntil));
    }

    // ---- deadlines ----

    /// <summary>One timer, due no later than the earliest deadline in the queue (see <see cref="Arm"/>).</summary>
    private void ArmDeadline()
    {
        if (_waiters.Count == 0) return;
        var earliest = long.MaxValue;
        foreach (var waiter in _waiters) earliest = Math.Min(earliest, EffectiveDeadline(waiter));
        // The attempt in flight is answered, or failed by the client, before any deadline; the timer
        // is armed (if still needed) when it comes back.
        if (_attempt is { Abandoned: false } attempt && _store.CallTimeout != Timeout.InfiniteTimeSpan
            && earliest >= attempt.SentAt + Ticks(_store.CallTimeout)) return;
        Arm(DeadlineTick.Instance, ref _deadlineTickAt, earliest);
    }

    // A waiter whose attempt has only just been sent gets one retry-interval for Redis to answer,
    // so a timeout of zero still means "try once" and is not cut off by its own deadline.
    private long EffectiveDeadline(Waiter waiter) =>
        _attempt is { Abandoned: false } attempt && attempt.Waiter == waiter
            ? Math.Max(waiter.Deadline, attempt.SentAt + Ticks(_settings.RetryInterval))
            : waiter.Deadline;

    private void OnDeadline()
    {
        _deadlineTickAt = long.MaxValue;
        var now = Stopwatch.GetTimestamp();
        // An attempt unanswered for a retry-interval, whoever it was for: Redis is not answering,
        // so a waiter that never heard from it is refused as unavailable, not as held elsewhere.
        var storeSilent = _attempt is { } current && now - current.SentAt >= Ticks(_settings.RetryInterval);
        for (var node = _waiters.First; node is not null;)
        {
            var next = node.Next;
            var waiter = node.Value;
            if (EffectiveDeadline(waiter) <= now)
            {
                _waiters.Remove(node);
                if (_attempt is { } attempt && attempt.Waiter == waiter) attempt.Abandoned = true;
                if (!waiter.HeardFromStore && waiter.LastFault is { } fault)
                    NotAcquired(waiter, AcquireFailure.Unavailable,
                        $"Redis was unavailable while acquiring lock '{_key}': {fault}");
                else if (storeSilent || !waiter.HeardFromStore && _attempt is not null)
                    NotAcquired(waiter, AcquireFailure.Unavailable, _store.ConfigurationProblem is { } problem
                        ? $"Redis was unavailable while acquiring lock '{_key}': {problem}"
                        : $"Redis did not answer in time while acquiring lock '{_key}'.");
                else
                    NotAcquired(waiter, AcquireFailure.Timeout,
                        $"Lock '{_key}' stayed held for the whole timeout.");
            }
            node = next;
        }
        ArmDeadline();
    }

    private void NotAcquired(Waiter waiter, AcquireFailure reason, string message)
    {
        waiter.ReplyTo.Tell(new LockNotAcquired(_key, reason, message));
        _metrics.NotAcquired(reason);
    }

    // ---- holding: watchdog and expiry ----

    /// <summary>
    /// The holder's one timer (see <see cref="Arm"/>), due at the next watchdog extend or, when there
    /// is no watchdog or its extend is still in flight, at the end of the lock's validity.
    /// </summary>
    private void ArmHolderTimer(Holder holder) =>
        Arm(HolderTick.Instance, ref _holderTickAt,
            holder.AutoExtend && !holder.ExtendPending && !holder.Releasing ? holder.NextExtendAt : holder.ValidUntil);

    /// <summary>
    /// Makes sure <paramref name="tick"/> comes no later than <paramref name="due"/>. A pending tick that
    /// comes in time is kept, and ticks are not cancelled when nothing needs them any more: a start and
    /// a cancel per acquire were a measurable share of an uncontended cycle. A tick that finds nothing
    /// due re-arms for what is left. No tick is set further ahead than the idle timeout (at least a
    /// second): a pending or cancelled tick keeps its actor reachable from the scheduler until it
    /// fires, and this way it has fired by the time an idle actor is stopped.
    /// </summary>
    private void Arm(object tick, ref long tickAt, long due)
    {
        if (tickAt <= due) return;
        tickAt = Math.Min(due, Stopwatch.GetTimestamp() + _tickHorizon);
        Timers.StartSingleTimer(tick, tick, Until(tickAt));
    }

    private void OnHolderTick()
    {
        _holderTickAt = long.MaxValue;
        if (_holder is not { } holder) return;
        var now = Stopwatch.GetTimestamp();
        if (holder.Releasing)
        {
            // A release not confirmed by the end of the lock's validity: the key has surely expired
            // in Redis by now, but nobody could confirm it was let go.
            if (now < holder.ValidUntil) ArmHolderTimer(holder);
            else LoseHolder("its release did not reach Redis before its TTL ran out");
            return;
        }
        if (!holder.AutoExtend || holder.ExtendPending)
        {
            if (now < holder.ValidUntil) ArmHolderTimer(holder);
            // Without a watchdog the TTL is simply over. With one, Redis has not answered its extend
            // in time: the lock may be someone else's now, whatever the late answer says.
            else LoseHolder(holder.AutoExtend
                ? "Redis did not answer the watchdog's extend before the TTL ran out"
                : "its TTL ran out before it was released");
            return;
        }
        if (now >= holder.NextExtendAt)
        {
            holder.ExtendPending = true;
            StartExtend(new ExtendCall(holder.Token, holder.Ttl, null, now));
        }
        ArmHolderTimer(holder);
    }

    /// <summary>The lock is gone without a release: tell the owner and the event stream, then serve the queue.</summary>
    private void LoseHolder(string reason)
    {
        var holder = _holder!;
        _holder = null;
        Context.Parent.Tell(new LockManagerActor.Ended(_key, holder.Token));
        _metrics.Lost(byWatchdog: holder.AutoExtend);
        var lost = new LockLost(_key, holder.Token, reason);
        holder.Owner?.Tell(lost);
        Context.System.EventStream.Publish(lost);
        _log.Warning("Lost lock {Key} fencing {FencingToken}: {Reason}", _key, holder.FencingToken, reason);
        TryHead();
    }

    // ---- extend ----

    private void OnExtend(Extend request)
    {
        if (_holder is { Releasing: false } holder && holder.Token == request.Token)
        {
            StartExtend(new ExtendCall(holder.Token, request.Ttl ?? holder.Ttl, Sender, Stopwatch.GetTimestamp()));
            return;
        }
        // Not our holder's token (another node's, or a stale one): Redis decides.
        StoreCalls.Extend(_store, _metrics, request.Key, request.Token, request.Ttl ?? _settings.DefaultTtl, Sender);
    }

    private void StartExtend(ExtendCall call)
    {
        _callsInFlight++;
        _store.ExtendAsync(_names, call.Token, call.Ttl).PipeResultTo(
            Self, call,
            static (call, extended) => new ExtendCompleted(call, extended),
            static (call, cause) => new ExtendFaulted(call, cause));
    }

    private void OnExtendCompleted(ExtendCompleted completed)
    {
        _callsInFlight--;
        var call = completed.Call;
        if (completed.Extended) _metrics.Extended();
        call.ReplyTo?.Tell(completed.Extended
            ? new LockExtended(_key, call.Ttl)
            : new ExtendFailed(_key, LockFailure.NotHeld, $"Lock '{_key}' is not held by this token (expired, released or taken over)."));

        if (_holder is not { Releasing: false } holder || holder.Token != call.Token) return;
        if (call.ReplyTo is null) holder.ExtendPending = false;
        if (completed.Extended)
        {
            holder.Ttl = call.Ttl;
            holder.ValidUntil = Math.Max(holder.ValidUntil, call.SentAt + Ticks(call.Ttl));
            if (call.ReplyTo is null) holder.ScheduleNextExtend();
            ReportValidity(holder);
            ArmHolderTimer(holder);
        }
        else
        {
            LoseHolder("the watchdog found it no longer held in Redis (expired, taken over or deleted)");
        }
    }

    private void OnExtendFaulted(ExtendFaulted faulted)
    {
        _callsInFlight--;
        var call = faulted.Call;
        call.ReplyTo?.Tell(new ExtendFailed(_key, LockFailure.Unavailable,
            $"Redis was unavailable while extending lock '{_key}': {faulted.Cause.Message}"));

        if (_holder is not { Releasing: false } holder || holder.Token != call.Token) return;
        if (call.ReplyTo is null) holder.ExtendPending = false;
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), holder.ValidUntil);
        if (left <= TimeSpan.Zero)
        {
            LoseHolder($"it could not be extended before its TTL ran out: {faulted.Cause.Message}");
            return;
        }
        if (holder.AutoExtend)
        {
            // Keep trying while the lock is still surely ours, and promptly: a brief refusal
            // (failover, CLUSTERDOWN, a restart) must not outlast the TTL because the watchdog
            // waited. Independent of retry-interval, which paces waiters, not holders.
            var retry = ExtendRetryDelay(holder.Ttl);
            if (left < retry) retry = left;
            holder.NextExtendAt = Stopwatch.GetTimestamp() + Ticks(retry);
            ArmHolderTimer(holder);
        }
    }

    // ---- release ----

    private void OnRelease(Release request)
    {
        if (_holder is { Releasing: false } holder && holder.Token == request.Token)
        {
            StartRelease(new ReleaseCall(holder.Token, Sender, ReleaseCause.Request, holder.ValidUntil));
            return;
        }
        StoreCalls.Release(_store, _metrics, request.Key, request.Token, Sender);
    }

    private void OnForceRelease(ForceRelease request)
    {
        if (_holder is { Releasing: false } holder)
            StartRelease(new ReleaseCall(holder.Token, request.ReplyTo, ReleaseCause.Forced, holder.ValidUntil));
        else
            request.ReplyTo.Tell(new ReleaseFailed(_key, LockFailure.NotHeld, $"Lock '{_key}' is not held on this node."));
    }

    private void StartRelease(ReleaseCall call)
    {
        if (_holder is { } holder && holder.Token == call.Token) holder.Releasing = true;
        _callsInFlight++;
        _store.ReleaseAsync(_names, call.Token).PipeResultTo(
            Self, call,
            static (call, released) => new ReleaseCompleted(call, released),
            static (call, cause) => new ReleaseFaulted(call, cause));
    }

    private void OnReleaseCompleted(ReleaseCompleted completed)
    {
        _callsInFlight--;
        var call = completed.Call;
        if (completed.Released) _metrics.Released();
        if (_holder is { } holder && holder.Token == call.Token)
        {
            _holder = null;
            Context.Parent.Tell(new LockManagerActor.Ended(_key, holder.Token));
            if (!completed.Released)
            {
                _metrics.Lost(byWatchdog: false);
                Context.System.EventStream.Publish(new LockLost(_key, holder.Token, "it was gone from Redis when released"));
            }
            if (_log.IsDebugEnabled)
                _log.Debug("Released lock {Key} fencing {FencingToken} ({Cause})", _key, holder.FencingToken, call.Cause);
        }
        call.ReplyTo?.Tell(completed.Released
            ? new LockReleased(_key)
            : new ReleaseFailed(_key, LockFailure.NotHeld, $"Lock '{_key}' was no longer held by this token (it had expired or was taken over)."));
        TryHead();
    }

    private void OnReleaseFaulted(ReleaseFaulted faulted)
    {
        _callsInFlight--;
        var call = faulted.Call;
        _log.Warning("Redis failed while releasing lock {Key}: {Error}", _key, faulted.Cause.Message);
        call.ReplyTo?.Tell(new ReleaseFailed(_key, LockFailure.Unavailable,
            $"Redis was unavailable while releasing lock '{_key}': {faulted.Cause.Message}"));

        // The lock may still be in Redis: the wish to let it go stands. Try again promptly until it
        // is surely expired, so a brief outage does not block the key for the rest of its TTL. A
        // holder stays (releasing, no longer extended) until the release lands or its validity ends.
        var left = Until(call.ValidUntil);
        if (left > TimeSpan.Zero)
        {
            _releaseRetries.Add(call with { ReplyTo = null });
            var delay = ExtendRetryDelay(left);
            Timers.StartSingleTimer(ReleaseRetryTick.Instance, ReleaseRetryTick.Instance,
                delay < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : delay);
        }
        if (_holder is { } holder && holder.Token == call.Token) ArmHolderTimer(holder);
        TryHead();
    }

    private void OnReleaseRetryTick()
    {
        var now = Stopwatch.GetTimestamp();
        var due = _releaseRetries.ToArray();
        _releaseRetries.Clear();
        foreach (var call in due)
            if (now < call.ValidUntil) StartRelease(call);
    }

    // ---- notifications from the manager ----

    private void OnKeyReleased()
    {
        if (_attempt is not null) _releasedDuringAttempt = true;
        else TryHead();
    }

    private void OnOwnerStopped(OwnerStopped stopped)
    {
        DropWaiters(waiter => Equals(waiter.Owner, stopped.Owner));
        if (_holder is { Releasing: false } holder && Equals(holder.Owner, stopped.Owner))
            StartRelease(new ReleaseCall(holder.Token, null, ReleaseCause.OwnerStopped, holder.ValidUntil));
    }

    private void OnAbandon(Abandon abandon)
    {
        DropWaiters(waiter => Equals(waiter.ReplyTo, abandon.ReplyTo));
        if (_holder is { Releasing: false } holder && Equals(holder.GrantedTo, abandon.ReplyTo))
        {
            _log.Debug("Lock {Key} was granted to a requester that had stopped waiting; releasing it", _key);
            StartRelease(new ReleaseCall(holder.Token, null, ReleaseCause.Abandoned, holder.ValidUntil));
        }
    }

    /// <summary>Removes matching waiters without answering them; an attempt in flight for one is abandoned.</summary>
    private void DropWaiters(Func<Waiter, bool> match)
    {
        for (var node = _waiters.First; node is not null;)
        {
            var next = node.Next;
            if (match(node.Value))
            {
                _waiters.Remove(node);
                if (_attempt is { } attempt && attempt.Waiter == node.Value) attempt.Abandoned = true;
            }
            node = next;
        }
        ArmDeadline();
    }

    private void OnRefuseWaiters()
    {
        foreach (var waiter in _waiters)
            NotAcquired(waiter, AcquireFailure.ShuttingDown, $"Lock '{_key}' was not acquired: the node is shutting down.");
        _waiters.Clear();
        if (_attempt is { } attempt) attempt.Abandoned = true;
        Timers.Cancel(RetryTick.Instance);
        ArmDeadline();
    }

    private void OnIdleTick()
    {
        _idleTimerArmed = false;
        if (!_quiet) return; // busy: armed again when it is next quiet
        var left = _settings.IdleTimeout - Stopwatch.GetElapsedTime(_quietSince);
        if (left > TimeSpan.Zero)
        {
            Timers.StartSingleTimer(IdleTick.Instance, IdleTick.Instance, left);
            _idleTimerArmed = true;
            return;
        }
        Context.Parent.Tell(new LockManagerActor.PassivationRequested(_key, _fromManager));
    }

    // A tenth of the TTL, at most a quarter second: several more tries before the TTL runs out,
    // without hammering a Redis that is refusing.
    private static TimeSpan ExtendRetryDelay(TimeSpan ttl)
    {
        var delay = ttl / 10;
        return delay > MaxExtendRetryDelay ? MaxExtendRetryDelay : delay;
    }

    private static readonly TimeSpan MaxExtendRetryDelay = TimeSpan.FromMilliseconds(250);

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static TimeSpan Until(long timestamp)
    {
        var delay = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }
}
