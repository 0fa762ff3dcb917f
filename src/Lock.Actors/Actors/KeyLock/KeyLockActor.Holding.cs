using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Lock.Actors.Coordination;
using Lock.Actors.Departures;
using Lock.Actors.Diagnostics;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.KeyLock;

// The holding side of the key actor: the watchdog, extends, releases (retried), and loss.
internal sealed partial class KeyLockActor
{
    /// <summary>
    /// The holder's one tick: at the watchdog's next extend or, when there is no watchdog or its
    /// extend is still in flight, at the end of the lock's validity.
    /// </summary>
    private void ArmHolderTick(Holder holder) =>
        _holderTick.EnsureBy(holder.Watchdog is { ExtendPending: false } watchdog ? watchdog.NextExtendAt : holder.ValidUntil);

    private void OnWatchdogTick(Holder holder)
    {
        var now = _clock.Now;
        if (holder.Watchdog is not { ExtendPending: false } watchdog)
        {
            if (now < holder.ValidUntil) ArmHolderTick(holder);
            // Without a watchdog the TTL is simply over. With one, Redis has not answered its extend
            // in time: the lock may be someone else's now, whatever the late answer says.
            else LoseHolder(holder, holder.Watchdog is not null
                ? "Redis did not answer the watchdog's extend before the TTL ran out"
                : "its TTL ran out before it was released");
            return;
        }
        if (now >= watchdog.NextExtendAt)
        {
            watchdog.Sent();
            StartExtend(new ExtendCall(holder.Token, holder.Ttl, null, now, holder.FencingToken, holder.TraceParent));
        }
        ArmHolderTick(holder);
    }

    private void ReportValidity(Holder holder)
    {
        if (holder.ReportsValidity)
            holder.Owner?.Tell(new LeaseProtocol.LeaseValid(_key, holder.Token, holder.FencingToken, holder.ValidUntil));
    }

    /// <summary>The lock is gone without a release: tell the owner and the event stream, then serve the queue.</summary>
    private void LoseHolder(Holder holder, string reason, bool serveQueue = true)
    {
        if (holder.Mode == LockMode.Shared) _shared.Remove(holder);
        else _holder = null;
        Context.Parent.Tell(new LockManagerActor.Ended(_key, holder.Token));
        _metrics.Lost(byWatchdog: holder.Watchdog is not null);
        TraceHoldEnded(holder, LockTracing.Outcomes.Lost);
        var lost = new LockLost(_key, holder.Token, reason);
        holder.Owner?.Tell(lost);
        Context.System.EventStream.Publish(lost);
        _log.Warning("Lost lock {Key} fencing {FencingToken}: {Reason}", _key, holder.FencingToken, reason);
        if (serveQueue) AfterHolderLeft(holder);
    }

    /// <summary>The exclusive holder left: the queue is served. A shared one: see <see cref="AfterSharedHolderLeft"/>.</summary>
    private void AfterHolderLeft(Holder holder)
    {
        if (holder.Mode == LockMode.Shared) AfterSharedHolderLeft(holder);
        else ServeQueue();
    }

    private void TraceHoldEnded(Holder holder, string outcome) =>
        _tracing.Hold(_key, holder.TraceParent, _clock, holder.GrantedAt, outcome, holder.FencingToken, holder.Watchdog is not null);

    // ---- extend ----

    private void StartExtend(ExtendCall call)
    {
        _callsInFlight++;
        _store.ExtendAsync(_names, call.Token, call.Ttl).PipeResultTo(
            Self, call,
            static (call, extended) => new ExtendCompleted(call, extended),
            static (call, cause) => new ExtendFaulted(call, cause));
    }

    private void OnHolderExtended(Holder holder, ExtendCompleted completed)
    {
        var call = completed.Call;
        OnExtendAnswered(call, completed.Extended);
        if (!completed.Extended)
        {
            LoseHolder(holder, "the watchdog found it no longer held in Redis (expired, taken over or deleted)");
            return;
        }
        holder.Extended(call.SentAt, call.Ttl);
        if (call.ReplyTo is null) holder.Watchdog?.Answered(_clock.Now, holder.Ttl);
        ReportValidity(holder);
        ArmHolderTick(holder);
    }

    private void OnHolderExtendFaulted(Holder holder, ExtendFaulted faulted)
    {
        var call = faulted.Call;
        OnExtendAnswered(call, faulted.Cause);
        var now = _clock.Now;
        if (now >= holder.ValidUntil)
        {
            LoseHolder(holder, $"it could not be extended before its TTL ran out: {faulted.Cause.Message}");
            return;
        }
        // Keep trying while the lock is still surely ours, and promptly: a brief refusal (failover,
        // CLUSTERDOWN, a restart) must not outlast the TTL because the watchdog waited.
        if (call.ReplyTo is null) holder.Watchdog?.Failed(now, holder.Ttl, holder.ValidUntil);
        ArmHolderTick(holder);
    }

    /// <summary>An extend came back: count it and answer whoever asked.</summary>
    private void OnExtendAnswered(ExtendCall call, bool extended)
    {
        _callsInFlight--;
        if (extended) _metrics.Extended();
        _tracing.Extend(_key, call.TraceParent, _clock, call.SentAt,
            extended ? LockTracing.Outcomes.Extended : LockTracing.Outcomes.NotHeld, call.FencingToken, byWatchdog: call.ReplyTo is null);
        call.ReplyTo?.Tell(extended
            ? new LockExtended(_key, call.Ttl)
            : new ExtendFailed(_key, LockFailure.NotHeld, $"Lock '{_key}' is not held by this token (expired, released or taken over)."));
    }

    private void OnExtendAnswered(ExtendCall call, Exception cause)
    {
        _callsInFlight--;
        _tracing.Extend(_key, call.TraceParent, _clock, call.SentAt, LockTracing.Outcomes.Unavailable, call.FencingToken, byWatchdog: call.ReplyTo is null);
        call.ReplyTo?.Tell(new ExtendFailed(_key, LockFailure.Unavailable,
            $"Redis was unavailable while extending lock '{_key}': {cause.Message}"));
    }

    // ---- release ----

    /// <summary>
    /// Held → Releasing (or one more try while Releasing); a shared holder is marked releasing and the
    /// actor stays Sharing. The holder is no longer extended, and stays until a release lands or its
    /// validity ends.
    /// </summary>
    private void ReleaseHolder(Holder holder, IActorRef? replyTo, ReleaseCause cause, Activity? traceParent = null)
    {
        StartRelease(new ReleaseCall(holder.Token, replyTo, cause, holder.ValidUntil, _clock.Now, holder.FencingToken, traceParent ?? holder.TraceParent));
        _holderTick.EnsureBy(holder.ValidUntil);
        if (holder.Mode == LockMode.Exclusive)
        {
            GoTo(_releasing);
            return;
        }
        holder.Releasing = true;
        // A permit waiting here asks right behind the release, without waiting for its answer: calls
        // leave in order, so Redis has taken the permit back by the time it reads the request.
        if (holder.Limit > 0 && _attempt is null && _waiters.Head is { Mode: LockMode.Shared }) ServeQueue();
    }

    private void StartRelease(ReleaseCall call)
    {
        _callsInFlight++;
        _store.ReleaseAsync(_names, call.Token).PipeResultTo(
            Self, call,
            static (call, released) => new ReleaseCompleted(call, released),
            static (call, cause) => new ReleaseFaulted(call, cause));
    }

    private void OnHolderReleased(Holder holder, ReleaseCompleted completed)
    {
        if (holder.Mode == LockMode.Shared) _shared.Remove(holder);
        else _holder = null;
        _releaseRetries.Forget(holder.Token);
        Context.Parent.Tell(new LockManagerActor.Ended(_key, holder.Token));
        TraceHoldEnded(holder, completed.Released ? LockTracing.Outcomes.Released : LockTracing.Outcomes.Lost);
        if (!completed.Released)
        {
            _metrics.Lost(byWatchdog: false);
            Context.System.EventStream.Publish(new LockLost(_key, holder.Token, "it was gone from Redis when released"));
        }
        if (_log.IsDebugEnabled)
            _log.Debug("Released lock {Key} fencing {FencingToken} ({Cause})", _key, holder.FencingToken, completed.Call.Cause);
        OnReleaseAnswered(completed.Call, completed.Released);
        AfterHolderLeft(holder);
    }

    /// <summary>A release came back: count it and answer whoever asked.</summary>
    private void OnReleaseAnswered(ReleaseCall call, bool released)
    {
        _callsInFlight--;
        if (released) _metrics.Released();
        _tracing.Release(_key, call.TraceParent, _clock, call.SentAt,
            released ? LockTracing.Outcomes.Released : LockTracing.Outcomes.NotHeld, call.FencingToken);
        call.ReplyTo?.Tell(released
            ? new LockReleased(_key)
            : new ReleaseFailed(_key, LockFailure.NotHeld, $"Lock '{_key}' was no longer held by this token (it had expired or was taken over)."));
    }

    private void OnReleaseFaulted(ReleaseFaulted faulted)
    {
        _callsInFlight--;
        var call = faulted.Call;
        _tracing.Release(_key, call.TraceParent, _clock, call.SentAt, LockTracing.Outcomes.Unavailable, call.FencingToken);
        _log.Warning("Redis failed while releasing lock {Key}: {Error}", _key, faulted.Cause.Message);
        call.ReplyTo?.Tell(new ReleaseFailed(_key, LockFailure.Unavailable,
            $"Redis was unavailable while releasing lock '{_key}': {faulted.Cause.Message}"));
        // The lock may still be in Redis: the wish to let it go stands until it has surely expired.
        if (_releaseRetries.Add(call, _clock.Now, out var retryAt)) _releaseRetryTick.EnsureBy(retryAt);
    }

    private void RetryReleases()
    {
        foreach (var call in _releaseRetries.TakeDue(_clock.Now)) StartRelease(call);
        if (!_releaseRetries.IsEmpty) _releaseRetryTick.EnsureBy(_releaseRetries.NextRetryAt);
    }
}
