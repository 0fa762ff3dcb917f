using System.Diagnostics;
using Akka.Actor;
using Akka.Coordination;
using Lock.Actors.Actors;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Coordination;

/// <summary>
/// An <see cref="Lease"/> for Akka.Coordination (Cluster Singleton and Sharding <c>use-lease</c>, the
/// split-brain resolver's lease-majority) on the same Redis engine as the locks: a lock on
/// <c>lease:&lt;lease-name&gt;</c> whose token is the owner's name, kept alive by the watchdog every
/// heartbeat-interval, with a TTL of heartbeat-timeout.
/// <para>
/// <see cref="Acquire()"/> completes true when granted (or already held by this owner), false when
/// another owner holds it, and faults when the outcome is unknown (Redis unreachable, no answer within
/// lease-operation-timeout). <see cref="CheckLease"/> answers from local state only.
/// </para>
/// </summary>
public sealed class RedisLease : Lease
{
    /// <summary>The configuration path to name in <c>use-lease</c> and <c>LeaseProvider.GetLease</c>.</summary>
    public const string ConfigPath = "akka.coordination.lease.redis";

    /// <summary>The lock key a lease named N takes.</summary>
    public const string KeyPrefix = "lease:";

    private readonly DistributedLocks _locks;
    private readonly IActorRef _owner;
    private readonly object _gate = new();
    private Grant? _grant;

    private sealed class Grant(long fencingToken, long validUntil, Action<Exception>? lostCallback)
    {
        public long FencingToken { get; } = fencingToken;
        public long ValidUntil { get; set; } = validUntil;
        public Action<Exception>? LostCallback { get; set; } = lostCallback;
        public bool Lost { get; set; }
    }

    /// <summary>The constructor <see cref="LeaseProvider"/> calls.</summary>
    public RedisLease(LeaseSettings settings, ActorSystem system) : base(settings)
    {
        _locks = DistributedLocks.Get(system);
        Key = KeyPrefix + settings.LeaseName;
        _owner = ((ExtendedActorSystem)system).SystemActorOf(LeaseOwnerActor.Props(this));
    }

    /// <summary>The lock key of this lease (before the lock prefix).</summary>
    public string Key { get; }

    /// <summary>The fencing token of the current grant, or null while the lease is not held.</summary>
    public long? FencingToken
    {
        get
        {
            lock (_gate) return _grant is { Lost: false } grant ? grant.FencingToken : null;
        }
    }

    private TimeoutSettings Timeouts => Settings.TimeoutSettings;

    /// <summary>Takes the lease: true when granted, false when another owner holds it; faults when the outcome is unknown.</summary>
    public override Task<bool> Acquire() => Acquire(null!);

    /// <summary>As <see cref="Acquire()"/>; <paramref name="leaseLostCallback"/> is called at most once if the granted lease is lost.</summary>
    /// <param name="leaseLostCallback">Called (with the reason) when the lease is lost after the grant.</param>
    public override async Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        lock (_gate)
        {
            if (_grant is { Lost: false } held && Stopwatch.GetTimestamp() < held.ValidUntil)
            {
                // Re-entrant: the owner already holds it.
                held.LostCallback = leaseLostCallback ?? held.LostCallback;
                return true;
            }
        }

        var sentAt = Stopwatch.GetTimestamp();
        var request = new LeaseProtocol.AcquireLease(
            new Acquire(Key, Ttl: Timeouts.HeartbeatTimeout, Timeout: TimeSpan.Zero, AutoExtend: true, Owner: _owner),
            Settings.OwnerName,
            Timeouts.HeartbeatInterval);
        var reply = await AskAsync(request, "acquire").ConfigureAwait(false);
        switch (reply)
        {
            case LockAcquired acquired:
                lock (_gate)
                {
                    // Until the key actor reports it, validity is counted from before the request left.
                    _grant = new Grant(acquired.FencingToken,
                        sentAt + (long)(Timeouts.HeartbeatTimeout.TotalSeconds * Stopwatch.Frequency), leaseLostCallback);
                }
                return true;
            case LockNotAcquired { Reason: AcquireFailure.Timeout }:
                return false;
            case LockNotAcquired failed:
                throw new LeaseException($"Lease '{Settings.LeaseName}' for '{Settings.OwnerName}': {failed.Message}");
            default:
                throw new LeaseException($"Lease '{Settings.LeaseName}': unexpected reply {reply.GetType().Name}.");
        }
    }

    /// <summary>Gives the lease back: true when this owner held it and it is released.</summary>
    public override async Task<bool> Release()
    {
        lock (_gate)
        {
            // Forget the grant first, so a loss reported while releasing calls no callback.
            _grant = null;
        }
        var reply = await AskAsync(new Release(Key, Settings.OwnerName), "release").ConfigureAwait(false);
        return reply switch
        {
            LockReleased => true,
            ReleaseFailed { Reason: LockFailure.NotHeld } => false,
            ReleaseFailed failed => throw new LeaseException($"Lease '{Settings.LeaseName}': {failed.Message}"),
            _ => throw new LeaseException($"Lease '{Settings.LeaseName}': unexpected reply {reply.GetType().Name}."),
        };
    }

    /// <summary>True while the lease is surely held: granted, not reported lost, and within its validity.</summary>
    public override bool CheckLease()
    {
        lock (_gate)
            return _grant is { Lost: false } grant && Stopwatch.GetTimestamp() < grant.ValidUntil;
    }

    internal void OnValid(LeaseProtocol.LeaseValid valid)
    {
        lock (_gate)
        {
            if (_grant is { Lost: false } grant && grant.FencingToken == valid.FencingToken)
                grant.ValidUntil = Math.Max(grant.ValidUntil, valid.ValidUntil);
        }
    }

    internal void OnLost(LockLost lost)
    {
        Action<Exception>? callback;
        lock (_gate)
        {
            if (_grant is not { Lost: false } grant) return;
            grant.Lost = true;
            callback = grant.LostCallback;
        }
        // At most once per grant: the grant is marked lost before the callback runs.
        callback?.Invoke(new LeaseException($"Lease '{Settings.LeaseName}' of '{Settings.OwnerName}' was lost: {lost.Reason}"));
    }

    private async Task<object> AskAsync(object request, string operation)
    {
        try
        {
            return await _locks.Manager.Ask<object>(request, Timeouts.OperationTimeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            throw new LeaseTimeoutException(
                $"Lease '{Settings.LeaseName}': no answer to {operation} within {Timeouts.OperationTimeout}.", e);
        }
    }
}
