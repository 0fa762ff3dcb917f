using Akka.Actor;
using Akka.Event;
using Lock.Actors.Departures;
using Lock.Actors.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.KeyLock;

// The shared side of the key actor: runs of shared waiters granted in one call, and the local shared
// holders (readers or permits), each extended, released and lost on its own.
internal sealed partial class KeyLockActor
{
    // How many shared waiters from the head of the queue one call asks for.
    private const int MaxSharedRun = 16;

    private Holder? SharedHolder(string token)
    {
        foreach (var holder in _shared)
            if (holder.Token == token) return holder;
        return null;
    }

    private bool SharedReleaseInFlight()
    {
        foreach (var holder in _shared)
            if (holder.Releasing) return true;
        return false;
    }

    /// <summary>
    /// Sharing: a request joins the queue; when nothing else waits or is asked for, it asks Redis at
    /// once, since more shared holders (or the writer's wait) are Redis's to decide.
    /// </summary>
    private void EnqueueWhileSharing(Acquire request, string? token, TimeSpan? extendInterval)
    {
        var first = _waiters.Count == 0 && _attempt is null;
        EnqueueBehind(request, token, extendInterval);
        if (first) ServeQueue();
    }

    /// <summary>The run of shared waiters at the head (same limit, at most <see cref="MaxSharedRun"/>) asks in one call.</summary>
    private void StartSharedAttempt(Waiter head, long now)
    {
        var run = new List<Waiter>(Math.Min(_waiters.Count, MaxSharedRun));
        foreach (var waiter in _waiters.InOrder())
        {
            if (waiter.Mode != LockMode.Shared || waiter.Limit != head.Limit || run.Count == MaxSharedRun) break;
            if (!waiter.IsGone) run.Add(waiter);
        }
        var asked = run.ToArray();
        var requests = new SharedAcquire[asked.Length];
        for (var i = 0; i < asked.Length; i++)
        {
            requests[i] = new SharedAcquire(asked[i].Token, asked[i].Ttl, asked[i].Limit);
            asked[i].MayWaitInRedis = true;
        }
        var attempt = new Attempt(head, now, asked);
        _attempt = attempt;
        GoTo(_shared.Count > 0 ? _sharing : _acquiring);
        _store.TryAcquireSharedAsync(_names, requests).PipeResultTo(
            Self, attempt,
            static (call, outcomes) => new SharedAttemptCompleted(call, outcomes),
            static (call, cause) => new AttemptFaulted(call, cause));
        ArmDeadline();
    }

    private void OnSharedAttemptCompleted(SharedAttemptCompleted completed)
    {
        var (attempt, outcomes) = completed;
        _attempt = null;
        var asked = attempt.Shared!;
        TimeSpan? retryIn = null;
        string? unconfirmed = null;
        for (var i = 0; i < asked.Length; i++)
        {
            var (waiter, outcome) = (asked[i], outcomes[i]);
            waiter.HeardFromStore = true;
            if (outcome.Acquired)
            {
                if (!waiter.Left && !waiter.IsGone) GrantShared(waiter, attempt, outcome.FencingToken);
                else GiveBack(waiter, attempt);
            }
            else if (waiter.Left) continue; // answered meanwhile: nothing more to do for it
            else if (outcome.Invalid is { } why)
            {
                _waiters.Remove(waiter);
                waiter.MayWaitInRedis = false; // refused before Redis noted anything for it
                NotAcquired(waiter, AcquireFailure.InvalidRequest, why);
            }
            else if (outcome.Unconfirmed is { } notConfirmed) unconfirmed ??= notConfirmed;
            else retryIn ??= outcome.HolderTtl is { } holderTtl && holderTtl < _settings.RetryInterval ? holderTtl : _settings.RetryInterval;
        }
        if (unconfirmed is not null && _waiters.Head is { } head && attempt.Includes(head))
        {
            // As for an exclusive grant too few replicas confirmed: tried again within the timeout.
            OnAttemptFaulted(new AttemptFaulted(attempt, new InvalidOperationException(unconfirmed)));
            return;
        }
        // Held elsewhere (a writer, a waiting writer, a full semaphore): the release notification wakes
        // the queue, the retry tick covers a lost one. Otherwise whoever queued meanwhile asks now.
        if (retryIn is { } delay && !attempt.KeyReleasedMeanwhile) GoWaiting(delay);
        else ServeQueue();
    }

    private void GrantShared(Waiter waiter, Attempt attempt, long fencingToken)
    {
        _waiters.Remove(waiter);
        var watchdog = waiter.AutoExtend ? new Watchdog(waiter.ExtendInterval) : null;
        var holder = new Holder(waiter, fencingToken, _clock.Now, attempt.SentAt + MonotonicClock.Ticks(waiter.Ttl), watchdog);
        watchdog?.Schedule(_clock.Now, holder.Ttl);
        _shared.Add(holder);
        GoTo(_sharing);
        Announce(waiter, holder);
    }

    private void OnSharedHolderTick(Holder holder)
    {
        if (!holder.Releasing)
        {
            OnWatchdogTick(holder);
            return;
        }
        // Its release not confirmed by the end of its validity: surely expired in Redis by now.
        if (_clock.Now >= holder.ValidUntil) LoseHolder(holder, "its release did not reach Redis before its TTL ran out");
        else _holderTick.EnsureBy(holder.ValidUntil);
    }

    private void ReleaseSharedWhere(Func<Holder, IActorRef, bool> match, IActorRef actor, ReleaseCause cause)
    {
        foreach (var holder in _shared.ToArray())
            if (!holder.Releasing && match(holder, actor)) ReleaseHolder(holder, null, cause);
    }

    /// <summary>Every local shared holder is gone from Redis (a writer got the key): each is told it lost its share.</summary>
    private void LoseShared(string reason)
    {
        foreach (var holder in _shared.ToArray()) LoseHolder(holder, reason, serveQueue: false);
    }

    /// <summary>
    /// A shared holder left (released or lost). The last one leaving ends Sharing; a permit leaving
    /// makes room for the next one here at once, without waiting for the notification.
    /// </summary>
    private void AfterSharedHolderLeft(Holder holder)
    {
        if (_shared.Count > 0)
        {
            // A permit freed room here. (A writer waits for the last holder, below.)
            if (holder.Limit > 0 && _attempt is null && _waiters.Count > 0) ServeQueue();
            return;
        }
        if (_attempt is not null) GoTo(_acquiring);
        else ServeQueue();
    }
}
