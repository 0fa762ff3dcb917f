using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Lock.Actors.Actors;
using Lock.Actors.Departures;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>
/// The lock API for code that is not an actor, mirroring the original service:
/// acquire, release, extend, is-locked, force-release-all. Each call is one request to the lock manager:
/// the per-lock calls with a reply address of their own (<see cref="PendingReply"/>, bounded by a
/// timeout as an Ask is), the whole-node ones (active locks, force release) through Ask.
/// </summary>
public sealed partial class LockService : ILockService
{
    private readonly ActorSystem _system;
    private readonly IActorRef _manager;
    private readonly IActorRefProvider _provider;
    private readonly LockSettings _settings;
    private readonly ILoggingAdapter _log;
    private readonly ConcurrentDictionary<string, LockHandle> _handles = new(StringComparer.Ordinal);

    internal LockService(ActorSystem system, IActorRef manager, LockSettings settings)
    {
        _system = system;
        _manager = manager;
        _provider = ((ExtendedActorSystem)system).Provider;
        _settings = settings;
        _log = Logging.GetLogger(system, typeof(LockService));
    }

    /// <summary>
    /// Takes the lock, waiting up to <paramref name="timeout"/> while it is held elsewhere.
    /// Returns null when it stayed held for the whole timeout; throws <see cref="LockAcquireException"/>
    /// when the request is invalid, Redis is unavailable or the node is shutting down.
    /// </summary>
    public Task<LockHandle?> TryAcquireAsync(
        string key, TimeSpan? ttl = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(key, ttl, timeout, autoExtend: false, cancellationToken);

    /// <inheritdoc cref="TryAcquireAsync(string, TimeSpan?, TimeSpan?, CancellationToken)"/>
    /// <param name="key">The lock's key.</param>
    /// <param name="ttl">How long the lock lives without an extend (default <c>lock.default-ttl</c>).</param>
    /// <param name="timeout">How long to wait while it is held elsewhere (default <c>lock.default-timeout</c>;
    /// <see cref="Timeout.InfiniteTimeSpan"/>: until granted or cancelled).</param>
    /// <param name="cancellationToken">Stops the wait; a waiting acquire is withdrawn.</param>
    /// <param name="autoExtend">Keep extending the lock (at a third of its TTL) until it is released.</param>
    public Task<LockHandle?> TryAcquireAsync(
        string key, TimeSpan? ttl, TimeSpan? timeout, bool autoExtend, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(key, ttl, timeout, autoExtend, nullOnTimeout: true, cancellationToken, LockMode.Exclusive, null);

    /// <summary>Takes the lock or throws <see cref="LockAcquireException"/> carrying the reason.</summary>
    public Task<LockHandle> AcquireAsync(
        string key, TimeSpan? ttl = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(key, ttl, timeout, autoExtend: false, cancellationToken);

    /// <inheritdoc cref="AcquireAsync(string, TimeSpan?, TimeSpan?, CancellationToken)"/>
    /// <param name="key">The lock's key.</param>
    /// <param name="ttl">How long the lock lives without an extend (default <c>lock.default-ttl</c>).</param>
    /// <param name="timeout">How long to wait while it is held elsewhere (default <c>lock.default-timeout</c>;
    /// <see cref="Timeout.InfiniteTimeSpan"/>: until granted or cancelled).</param>
    /// <param name="cancellationToken">Stops the wait; a waiting acquire is withdrawn.</param>
    /// <param name="autoExtend">Keep extending the lock (at a third of its TTL) until it is released.</param>
    public Task<LockHandle> AcquireAsync(
        string key, TimeSpan? ttl, TimeSpan? timeout, bool autoExtend, CancellationToken cancellationToken = default) =>
        // Never null: only TryAcquireAsync turns a timeout into null.
        AcquireCoreAsync(key, ttl, timeout, autoExtend, nullOnTimeout: false, cancellationToken, LockMode.Exclusive, null)!;

    /// <summary>True when the token held the key and it is now free; false when the token did not hold it.</summary>
    public async Task<bool> ReleaseAsync(string key, string token, CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync(key, new Release(key, token), _settings.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            LockReleased => true,
            ReleaseFailed { Reason: LockFailure.NotHeld } => false,
            ReleaseFailed failed => throw new LockOperationException(failed.Key, failed.Reason, failed.Message),
            _ => throw Unexpected(key, reply),
        };
    }

    /// <summary>True when the token holds the key and its TTL was reset; false when it does not hold it.</summary>
    public async Task<bool> ExtendAsync(string key, string token, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync(key, new Extend(key, token, ttl), _settings.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            LockExtended => true,
            ExtendFailed { Reason: LockFailure.NotHeld } => false,
            ExtendFailed failed => throw new LockOperationException(failed.Key, failed.Reason, failed.Message),
            _ => throw Unexpected(key, reply),
        };
    }

    /// <summary>Whether the key is held by anyone, on any node.</summary>
    public async Task<bool> IsLockedAsync(string key, CancellationToken cancellationToken = default) =>
        (await GetStatusAsync(key, cancellationToken).ConfigureAwait(false)).Locked;

    /// <summary>Whether the key is held, and its remaining TTL.</summary>
    public async Task<LockStatus> GetStatusAsync(string key, CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync(key, new IsLocked(key), _settings.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            LockStatus status => status,
            LockStatusFailed failed => throw new LockOperationException(failed.Key, failed.Reason, failed.Message),
            _ => throw Unexpected(key, reply),
        };
    }

    /// <summary>The locks this node holds now.</summary>
    public async Task<IReadOnlyList<ActiveLock>> GetActiveLocksAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return (await _manager.Ask<ActiveLocks>(GetActiveLocks.Instance, _settings.OperationTimeout, cancellationToken).ConfigureAwait(false)).Locks;
    }

    /// <summary>Releases every lock this node holds; returns how many were deleted from Redis.</summary>
    /// <remarks>Cancelling stops the wait for the count, not the release, which goes on.</remarks>
    public async Task<int> ForceReleaseAllAsync(CancellationToken cancellationToken = default)
    {
        // Ask sends even with a cancelled token: a request cancelled before it is made is not made.
        cancellationToken.ThrowIfCancellationRequested();
        var reply = await _manager.Ask<ForceReleased>(
            ForceReleaseAll.Instance, _settings.ForceReleaseTimeout + _settings.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return reply.Count;
    }

    /// <summary>
    /// Campaigns to lead <paramref name="name"/> and completes when elected, however long that takes
    /// (cancel <paramref name="cancellationToken"/> to withdraw). See <see cref="Campaign"/> for
    /// <paramref name="candidateId"/> and <paramref name="ttl"/>. Throws
    /// <see cref="LockOperationException"/> when the request is invalid or the node shuts down first.
    /// </summary>
    public async Task<Leadership> CampaignAsync(
        string name, string? candidateId = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var elected = new TaskCompletionSource<Leadership>(TaskCreationOptions.RunContinuationsAsynchronously);
        Leadership? leadership = null;
        IActorRef? candidate = null;
        candidate = CallbackActor.Start(_system, "candidate", message =>
        {
            switch (message)
            {
                case Elected e:
                    leadership = new Leadership(e.Name, e.FencingToken, _manager, candidate!, _settings.OperationTimeout);
                    if (!elected.TrySetResult(leadership)) _manager.Tell(new Resign(name, candidate!));
                    break;
                case LeadershipLost when leadership is not null:
                    leadership.MarkLost();
                    break;
                case LeadershipLost lost:
                    elected.TrySetException(new LockOperationException(name, LockFailure.Unavailable,
                        $"The campaign for election '{name}' ended before it was elected: {lost.Reason}."));
                    break;
                case ElectionFailed failed:
                    elected.TrySetException(new LockOperationException(failed.Name, failed.Reason, failed.Message));
                    break;
            }
        });
        _manager.Tell(new Campaign(name, candidate, candidateId, ttl), candidate);
        try
        {
            return await elected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Withdrawn or refused: stopping the candidate ends its campaign (and a term won meanwhile).
            _system.Stop(candidate);
            throw;
        }
    }

    /// <summary>
    /// Who leads <paramref name="name"/> now, then every change, until the enumeration ends or
    /// <paramref name="cancellationToken"/> is cancelled. Any node may watch, campaigning or not.
    /// </summary>
    public async IAsyncEnumerable<LeaderInfo> WatchLeaderAsync(
        string name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var changes = Channel.CreateUnbounded<LeaderInfo>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var watcher = CallbackActor.Start(_system, "leader-watcher", message =>
        {
            switch (message)
            {
                case LeaderChanged changed:
                    changes.Writer.TryWrite(new LeaderInfo(changed.Name, changed.LeaderId, changed.FencingToken));
                    break;
                case WatchFailed failed:
                    changes.Writer.TryComplete(new LockOperationException(failed.Key, failed.Reason, failed.Message));
                    break;
            }
        });
        try
        {
            _manager.Tell(new WatchLeader(name, watcher), watcher);
            await foreach (var info in changes.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return info;
        }
        finally
        {
            // The manager drops the watch of a watcher that stopped.
            _system.Stop(watcher);
        }
    }

    internal void OnLockLost(LockLost lost)
    {
        if (_handles.TryRemove(lost.Token, out var handle)) handle.MarkLost();
    }

    internal void Forget(LockHandle handle) => _handles.TryRemove(handle.Token, out _);

    internal void LogDisposeFailure(string key, Exception error) =>
        _log.Warning("Releasing lock {Key} on dispose failed; the node keeps trying until its TTL runs out: {Error}", key, error.Message);

    // One async layer between the caller and the manager's reply: each was an allocation per acquire.
    private async Task<LockHandle?> AcquireCoreAsync(
        string key, TimeSpan? ttl, TimeSpan? timeout, bool autoExtend, bool nullOnTimeout, CancellationToken cancellationToken,
        LockMode mode, int? limit)
    {
        // The manager always answers by the request's own timeout; the margin only covers a node
        // too overloaded to answer at all.
        var wait = timeout ?? _settings.DefaultTimeout;
        var replyTimeout = wait == Timeout.InfiniteTimeSpan
            ? Timeout.InfiniteTimeSpan // until granted or cancelled
            : wait < TimeSpan.Zero || wait > RequestValidator.MaxTimeout
                ? _settings.OperationTimeout
                : wait + _settings.OperationTimeout;
        cancellationToken.ThrowIfCancellationRequested();
        var pending = Send(new Acquire(key, ttl, timeout, autoExtend, Mode: mode, Limit: limit));
        object reply;
        try
        {
            reply = await pending.Reply.WaitAsync(replyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // A grant racing with the cancellation would reach a finished request and be dropped, with
            // nobody holding the token: the key actor gives such a lock back.
            if (key is not null) _manager.Tell(new LockManagerActor.AbandonAcquire(key, pending));
            if (e is TimeoutException)
                throw new LockAcquireException(key ?? string.Empty, AcquireFailure.Unavailable,
                    $"The lock manager did not answer about lock '{key}' within {replyTimeout}.", e);
            throw;
        }
        return reply switch
        {
            LockAcquired acquired => Track(acquired),
            LockNotAcquired { Reason: AcquireFailure.Timeout } when nullOnTimeout => null,
            LockNotAcquired failed => throw new LockAcquireException(failed.Key, failed.Reason, failed.Message),
            _ => throw Unexpected(key, reply),
        };
    }

    // A cancelled wait only stops waiting: a release or extend already sent still happens.
    private async Task<object> RequestAsync(string key, object request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await Send(request).Reply.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new LockOperationException(key ?? string.Empty, LockFailure.Unavailable,
                $"The lock manager did not answer about lock '{key}' within {timeout}.", e);
        }
    }

    private PendingReply Send(object request)
    {
        var pending = new PendingReply(_provider.TempPath());
        _manager.Tell(request, pending);
        return pending;
    }

    private LockHandle Track(LockAcquired acquired)
    {
        var handle = new LockHandle(this, acquired.Key, acquired.Token, acquired.FencingToken, acquired.Ttl);
        _handles[acquired.Token] = handle;
        return handle;
    }

    private static InvalidOperationException Unexpected(string key, object reply) =>
        new($"Unexpected reply about lock '{key}': {reply.GetType().Name}.");
}
