using System.Diagnostics;
using Akka.Actor;
using Lock.Actors.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.KeyLock;

/// <summary>One acquire request queued on its key, from arrival until it is granted or answered.</summary>
internal sealed class Waiter(
    IActorRef replyTo, IActorRef? owner, TimeSpan ttl, bool autoExtend, long arrivedAt, long deadline,
    string? token = null, TimeSpan? extendInterval = null, Activity? traceParent = null,
    LockMode mode = LockMode.Exclusive, int limit = 0)
{
    /// <summary>Whether it wants the key alone or shared.</summary>
    public LockMode Mode { get; } = mode;

    /// <summary>Shared: the holders' limit it names (0 for a reader).</summary>
    public int Limit { get; } = limit;

    /// <summary>It left the queue (answered or dropped): a grant that comes back for it is given back.</summary>
    public bool Left { get; set; }

    /// <summary>
    /// An attempt of it was sent: Redis may hold it as a waiting writer, or as a reader owed a turn, until
    /// it is granted or withdrawn.
    /// </summary>
    public bool MayWaitInRedis { get; set; }

    public IActorRef ReplyTo { get; } = replyTo;
    public IActorRef? Owner { get; } = owner;
    public TimeSpan Ttl { get; } = ttl;
    public bool AutoExtend { get; } = autoExtend;
    public long ArrivedAt { get; } = arrivedAt;

    /// <summary>The activity current where the acquire was made: its spans' parent.</summary>
    public Activity? TraceParent { get; } = traceParent;

    /// <summary>When the requester stops waiting (<see cref="MonotonicClock"/> time).</summary>
    public long Deadline { get; } = deadline;

    /// <summary>The watchdog's period for a lease holder; null: a third of the TTL.</summary>
    public TimeSpan? ExtendInterval { get; } = extendInterval;

    /// <summary>A lease holder: its owner hears how long the lock is surely valid.</summary>
    public bool ReportsValidity { get; } = token is not null;

    // One token per waiter, kept across its retries: a retry whose earlier reply was lost finds its
    // own token in Redis and is granted instead of waiting for itself.
    public string Token { get; } = token ?? LockTokens.New();

    /// <summary>
    /// Set once Redis has answered any attempt of this waiter: from then on a missed deadline is a
    /// timeout (the key was held), before it an outage.
    /// </summary>
    public bool HeardFromStore { get; set; }

    /// <summary>Why the last attempt failed (unreachable, refusing); named if the deadline comes first.</summary>
    public string? LastFault { get; set; }

    // An owner that already stopped: nobody would use the lock. A best-effort local check (remote
    // refs never report it) that saves a grant; correctness rests on the manager watching owners.
#pragma warning disable CS0618 // IsTerminated is discouraged as a liveness signal; here it is only a shortcut
    public bool IsGone => Owner is IInternalActorRef { IsTerminated: true };
#pragma warning restore CS0618
}
