using System.Diagnostics;
using Akka.Actor;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.KeyLock;

/// <summary>The local holder of the key, from its grant until its release lands or the lock is lost.</summary>
internal sealed class Holder(Waiter waiter, long fencingToken, long grantedAt, long validUntil, Watchdog? watchdog)
{
    public string Token { get; } = waiter.Token;
    public long FencingToken { get; } = fencingToken;
    public IActorRef? Owner { get; } = waiter.Owner;
    public IActorRef GrantedTo { get; } = waiter.ReplyTo;
    public bool ReportsValidity { get; } = waiter.ReportsValidity;
    public TimeSpan Ttl { get; set; } = waiter.Ttl;

    /// <summary>Alone (the key actor's Held and Releasing states) or one of the key's shared holders (Sharing).</summary>
    public LockMode Mode { get; } = waiter.Mode;

    /// <summary>Shared: the holders' limit it was granted under (0 for a reader).</summary>
    public int Limit { get; } = waiter.Limit;

    /// <summary>
    /// A shared holder whose release is in flight or being retried: no longer extended, kept until the
    /// release lands or its validity ends. (An exclusive holder's release is the Releasing state.)
    /// </summary>
    public bool Releasing { get; set; }

    /// <summary>When it was granted (<see cref="MonotonicClock"/> time): where its hold span starts.</summary>
    public long GrantedAt { get; } = grantedAt;

    /// <summary>The parent of the hold's spans: the activity current where the acquire was made.</summary>
    public Activity? TraceParent { get; } = waiter.TraceParent;

    /// <summary>Extends the lock before its TTL runs out; null when the holder did not ask for it.</summary>
    public Watchdog? Watchdog { get; } = watchdog;

    /// <summary>
    /// Until when the lock is surely still ours (<see cref="MonotonicClock"/> time): counted from when
    /// the acquire or extend was sent, so it never outlives the key in Redis.
    /// </summary>
    public long ValidUntil { get; private set; } = validUntil;

    /// <summary>An extend sent at <paramref name="sentAt"/> for <paramref name="ttl"/> was confirmed.</summary>
    public void Extended(long sentAt, TimeSpan ttl)
    {
        Ttl = ttl;
        ValidUntil = Math.Max(ValidUntil, sentAt + MonotonicClock.Ticks(ttl));
    }
}
