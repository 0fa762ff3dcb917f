using Akka.Actor;
using Akka.Event;
using Lock.Actors.Departures;
using Lock.Actors.Diagnostics;
using Lock.Actors.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.KeyLock;

// The waiting side of the key actor: queueing, the head's attempts, deadlines, and the grant.
internal sealed partial class KeyLockActor
{
    // How soon a head whose attempt failed tries again, whatever the retry-interval.
    private static readonly TimeSpan MaxFaultRetryDelay = TimeSpan.FromMilliseconds(250);

    private void Enqueue(Acquire request, string? token, TimeSpan? extendInterval)
    {
        var now = _clock.Now;
        _waiters.Add(new Waiter(
            Sender, request.Owner, request.Ttl ?? _settings.DefaultTtl, request.AutoExtend,
            now, DeadlineOf(now, request.Timeout ?? _settings.DefaultTimeout), token, extendInterval, request.TraceParent,
            request.Mode, request.Limit ?? 0));
    }

    /// <summary>Queues behind the holder or the attempt in flight; its deadline is watched from now.</summary>
    private void EnqueueBehind(Acquire request, string? token, TimeSpan? extendInterval)
    {
        Enqueue(request, token, extendInterval);
        ArmDeadline();
    }

    private void StartAttempt(Waiter head, long now)
    {
        if (head.Mode == LockMode.Shared)
        {
            StartSharedAttempt(head, now);
            return;
        }
        var attempt = new Attempt(head, now);
        _attempt = attempt;
        var waited = head.MayWaitInRedis;
        head.MayWaitInRedis = true;
        GoTo(_shared.Count > 0 ? _sharing : _acquiring);
        _store.TryAcquireAsync(_names, head.Token, head.Ttl, waited).PipeResultTo(
            Self, attempt,
            static (call, outcome) => new AttemptCompleted(call, outcome),
            static (call, cause) => new AttemptFaulted(call, cause));
        ArmDeadline();
    }

    private void OnAttemptCompleted(AttemptCompleted completed)
    {
        var (attempt, outcome) = completed;
        _attempt = null;
        var waiter = attempt.Head;
        waiter.HeardFromStore = true;

        if (outcome.Acquired)
        {
            if (!waiter.Left && !waiter.IsGone)
            {
                Grant(waiter, attempt, outcome.FencingToken);
                return;
            }
            GiveBack(waiter, attempt);
            ServeQueue();
            return;
        }

        if (outcome.Unconfirmed is { } why && !attempt.Abandoned)
        {
            // Granted, but too few replicas confirmed it, and given back: a failover could lose it.
            // Like an unreachable Redis: keep trying within the waiter's timeout, then Unavailable.
            OnAttemptFaulted(new AttemptFaulted(attempt, new InvalidOperationException(why)));
            return;
        }

        if (attempt.Abandoned || attempt.KeyReleasedMeanwhile)
        {
            // Nobody to serve with this answer, or the key came free meanwhile: next attempt now.
            ServeQueue();
            return;
        }

        // Held elsewhere. The release notification wakes us; the retry tick covers a lost
        // notification and a holder that lets its lock expire instead of releasing it.
        GoWaiting(outcome.HolderTtl is { } holderTtl && holderTtl < _settings.RetryInterval ? holderTtl : _settings.RetryInterval);
    }

    /// <summary>A grant that came back for a waiter that left: nobody will use it, so it is given back at once rather than left to its TTL.</summary>
    private void GiveBack(Waiter waiter, Attempt attempt)
    {
        _waiters.Remove(waiter);
        _log.Debug("Lock {Key} was granted after its requester left; releasing it", _key);
        StartRelease(new ReleaseCall(waiter.Token, null, ReleaseCause.Abandoned, attempt.SentAt + MonotonicClock.Ticks(waiter.Ttl), _clock.Now));
    }

    private void OnAttemptFaulted(AttemptFaulted faulted)
    {
        _attempt = null;
        var attempt = faulted.Attempt;
        // The head speaks for a shared run: the others keep their place and try with it again.
        var waiter = attempt.Head;
        if (!attempt.Abandoned && _waiters.Contains(waiter))
        {
            if (waiter.LastFault is null)
                _log.Warning("Redis failed while acquiring lock {Key}: {Error}", _key, faulted.Cause.Message);
            foreach (var asked in attempt.Shared ?? [waiter])
            {
                asked.LastFault = faulted.Cause.Message;
                asked.HeardFromStore = false;
            }
            if (_clock.Now < waiter.Deadline)
            {
                // Redis may be failing over or reconnecting: the waiter keeps its place within its
                // own timeout, and the head tries again shortly (a reconnect wakes it at once).
                GoWaiting(_settings.RetryInterval < MaxFaultRetryDelay ? _settings.RetryInterval : MaxFaultRetryDelay);
                return;
            }
            _waiters.Remove(waiter);
            NotAcquired(waiter, AcquireFailure.Unavailable, $"Redis was unavailable while acquiring lock '{_key}': {faulted.Cause.Message}");
        }
        ServeQueue();
    }

    private void Grant(Waiter waiter, Attempt attempt, long fencingToken)
    {
        // Redis let a writer in: whatever shares this node still counted are gone from it.
        if (_shared.Count > 0) LoseShared("a writer was granted the key, so it was no longer held in Redis");
        _waiters.Remove(waiter);
        var watchdog = waiter.AutoExtend ? new Watchdog(waiter.ExtendInterval) : null;
        var holder = new Holder(waiter, fencingToken, _clock.Now, attempt.SentAt + MonotonicClock.Ticks(waiter.Ttl), watchdog);
        watchdog?.Schedule(_clock.Now, holder.Ttl);
        _holder = holder;
        GoTo(_held);
        Announce(waiter, holder);
        ArmDeadline();
    }

    /// <summary>Tells the table, the trace, the requester and the metrics of a grant, in that order.</summary>
    private void Announce(Waiter waiter, Holder holder)
    {
        var fencingToken = holder.FencingToken;
        // The table first: whoever hears of the grant and then asks the manager finds it listed.
        Context.Parent.Tell(new LockManagerActor.Granted(new ActiveLock(
            _key, holder.Token, fencingToken, holder.Owner, DateTimeOffset.UtcNow, holder.Ttl, holder.Watchdog is not null, holder.Mode)));
        // Recorded before the reply, so whoever hears of the grant finds its span ended.
        _tracing.Acquire(_key, waiter.TraceParent, _clock, waiter.ArrivedAt, LockTracing.Outcomes.Acquired, fencingToken);
        waiter.ReplyTo.Tell(new LockAcquired(_key, holder.Token, fencingToken, holder.Ttl));
        _metrics.Acquired(waiter.ArrivedAt);
        if (_log.IsDebugEnabled)
            _log.Debug("Acquired lock {Key} fencing {FencingToken} token {Token}", _key, fencingToken, LockTokens.Redact(holder.Token));
        ReportValidity(holder);
        ArmHolderTick(holder);
    }

    // ---- deadlines ----

    /// <summary>When a waiter that arrived at <paramref name="now"/> stops waiting; never, for Timeout.InfiniteTimeSpan.</summary>
    private static long DeadlineOf(long now, TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : now + MonotonicClock.Ticks(timeout);

    /// <summary>One tick, due no later than the earliest deadline in the queue.</summary>
    private void ArmDeadline()
    {
        if (_waiters.Count == 0) return;
        var earliest = _waiters.Earliest(_effectiveDeadline);
        // The attempt in flight is answered, or failed by the client, before any later deadline; the
        // tick is armed (if still needed) when it comes back.
        if (_attempt is { Abandoned: false } attempt && _store.CallTimeout != Timeout.InfiniteTimeSpan
            && earliest >= attempt.SentAt + MonotonicClock.Ticks(_store.CallTimeout)) return;
        _deadlineTick.EnsureBy(earliest);
    }

    // A waiter whose attempt has only just been sent gets one retry-interval for Redis to answer,
    // so a timeout of zero still means "try once" and is not cut off by its own deadline.
    private long EffectiveDeadline(Waiter waiter) =>
        _attempt is { Abandoned: false } attempt && attempt.Includes(waiter)
            ? Math.Max(waiter.Deadline, attempt.SentAt + MonotonicClock.Ticks(_settings.RetryInterval))
            : waiter.Deadline;

    /// <summary>Answers every waiter whose deadline has passed, with why it was not granted.</summary>
    private void ExpireWaiters()
    {
        var now = _clock.Now;
        // An attempt unanswered for a retry-interval, whoever it was for: Redis is not answering, so
        // a waiter that never heard from it is refused as unavailable, not as held elsewhere.
        var storeSilent = _attempt is { } current && now - current.SentAt >= MonotonicClock.Ticks(_settings.RetryInterval);
        _waiters.RemoveWhere(
            static (waiter, state) => state.Actor.EffectiveDeadline(waiter) <= state.Now,
            (Actor: this, Now: now),
            (waiter, _) =>
            {
                if (!waiter.HeardFromStore && waiter.LastFault is { } fault)
                    NotAcquired(waiter, AcquireFailure.Unavailable, $"Redis was unavailable while acquiring lock '{_key}': {fault}");
                else if (storeSilent || !waiter.HeardFromStore && _attempt is not null)
                    NotAcquired(waiter, AcquireFailure.Unavailable, _store.ConfigurationProblem is { } problem
                        ? $"Redis was unavailable while acquiring lock '{_key}': {problem}"
                        : $"Redis did not answer in time while acquiring lock '{_key}'.");
                else
                    NotAcquired(waiter, AcquireFailure.Timeout, $"Lock '{_key}' stayed held for the whole timeout.");
            });
        ArmDeadline();
    }

    /// <summary>Removes matching waiters without answering them; an attempt in flight for one is abandoned.</summary>
    private void DropWaiters(Func<Waiter, IActorRef, bool> match, IActorRef actor)
    {
        _waiters.RemoveWhere(
            static (waiter, state) => state.Match(waiter, state.Owner),
            (Actor: this, Match: match, Owner: actor),
            static (waiter, state) => state.Actor.Withdraw(waiter));
        ArmDeadline();
    }

    /// <summary>The node is shutting down: every waiter is refused, and an attempt in flight is abandoned.</summary>
    private void RefuseAll()
    {
        _waiters.RemoveWhere(static (_, _) => true, this, static (waiter, actor) =>
            actor.NotAcquired(waiter, AcquireFailure.ShuttingDown, $"Lock '{actor._key}' was not acquired: the node is shutting down."));
    }

    /// <summary>
    /// A waiter leaves the queue without a grant. If Redis may hold it as waiting, that is withdrawn: a
    /// writer would otherwise keep new readers out, and a reader's turn keep the next writer out, for up
    /// to a queue-TTL after it stopped asking. Best effort (both run out anyway); nothing waits for the answer.
    /// </summary>
    private void Withdraw(Waiter waiter)
    {
        waiter.Left = true;
        if (!waiter.MayWaitInRedis) return;
        waiter.MayWaitInRedis = false;
        _store.WithdrawAsync(_names, waiter.Token).ContinueWith(
            static task => _ = task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private void NotAcquired(Waiter waiter, AcquireFailure reason, string message)
    {
        Withdraw(waiter);
        _tracing.Acquire(_key, waiter.TraceParent, _clock, waiter.ArrivedAt, LockTracing.Outcomes.Of(reason));
        waiter.ReplyTo.Tell(new LockNotAcquired(_key, reason, message));
        _metrics.NotAcquired(reason);
    }
}
