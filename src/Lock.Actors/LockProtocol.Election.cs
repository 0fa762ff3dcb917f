using Akka.Actor;
using Akka.Event;

namespace Lock.Actors;

// Leader election: a lock per name, held by the leader for its term, its fencing token the term.
public static partial class LockProtocol
{
    /// <summary>
    /// Make <paramref name="Candidate"/> a candidate for leading <paramref name="Name"/>. It waits, with
    /// no timeout, until it leads, then receives <see cref="Elected"/>; the watchdog keeps its term alive
    /// until it resigns, stops, or the term is lost, which it hears as <see cref="LeadershipLost"/>. A
    /// campaign ends with that message or with <see cref="Resigned"/>; to lead again, campaign again.
    /// <paramref name="CandidateId"/> is what <see cref="LeaderChanged"/> reports (default: the machine,
    /// process, ActorSystem and the candidate's path); <paramref name="Ttl"/> is the term's TTL (default
    /// <c>lock.election.ttl</c>): a leader whose node dies is replaced after it. A second campaign of
    /// the same candidate for the same name while the first runs is ignored. A malformed request is
    /// answered <see cref="ElectionFailed"/> (to the sender).
    /// </summary>
    public sealed record Campaign(string Name, IActorRef Candidate, string? CandidateId = null, TimeSpan? Ttl = null);

    /// <summary>The candidate leads <paramref name="Name"/>; <paramref name="FencingToken"/> identifies its term (higher is later).</summary>
    public sealed record Elected(string Name, long FencingToken) : IDeadLetterSuppression;

    /// <summary>
    /// The candidate's campaign for <paramref name="Name"/> is over without a resign: its term was lost
    /// in Redis or ran out before the watchdog could extend it, or the node is shutting down (then a
    /// candidate that was still waiting hears it too).
    /// </summary>
    public sealed record LeadershipLost(string Name, string Reason) : IDeadLetterSuppression;

    /// <summary>End <paramref name="Candidate"/>'s term, or withdraw its campaign; answered <see cref="Resigned"/> (also when it was not campaigning).</summary>
    public sealed record Resign(string Name, IActorRef Candidate);

    /// <summary>The candidate no longer leads or campaigns for <paramref name="Name"/>.</summary>
    public sealed record Resigned(string Name) : IDeadLetterSuppression;

    /// <summary>
    /// Tell <paramref name="Watcher"/> who leads <paramref name="Name"/> now, then every change, as
    /// <see cref="LeaderChanged"/>, until <see cref="UnwatchLeader"/> or the watcher stops. Any node may
    /// watch, campaigning or not.
    /// </summary>
    public sealed record WatchLeader(string Name, IActorRef Watcher);

    /// <summary>Stop telling <paramref name="Watcher"/> about <paramref name="Name"/>; harmless when it does not watch it.</summary>
    public sealed record UnwatchLeader(string Name, IActorRef Watcher);

    /// <summary>
    /// <paramref name="LeaderId"/> leads <paramref name="Name"/> in the term <paramref name="FencingToken"/>;
    /// both null when nobody leads.
    /// </summary>
    public sealed record LeaderChanged(string Name, string? LeaderId, long? FencingToken) : IDeadLetterSuppression;

    /// <summary>The reply to a <see cref="Campaign"/> that cannot be served (malformed, or the node is shutting down).</summary>
    public sealed record ElectionFailed(string Name, LockFailure Reason, string Message) : IDeadLetterSuppression;
}
