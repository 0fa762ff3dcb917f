using Akka.Actor;
using Akka.Event;
using Lock.Actors.Coordination;
using Lock.Actors.Redis;
using static Lock.Actors.Actors.Election.CampaignProtocol;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.Election;

/// <summary>
/// One candidate's campaign for one name: an acquire of the election's lock that waits without end
/// (Timeout.InfiniteTimeSpan), under a token that carries the candidate id, extended by
/// the watchdog while it leads. This actor is the lock's owner, so when it stops, for whatever reason,
/// the manager releases the term at once and the next candidate is woken by the release notification.
/// <para>Behaviours: <see cref="Campaigning"/> → <see cref="Leading"/> → <see cref="Resigning"/>;
/// the campaign ends (the actor stops) with <see cref="LeadershipLost"/> or <see cref="Resigned"/>.</para>
/// </summary>
internal sealed class CampaignActor : ReceiveActor, IWithTimers
{
    private sealed record AskAgain
    {
        public static AskAgain Instance { get; } = new();
    }

    /// <summary>
    /// How long a candidate waits before asking again when Redis could not be reached: short enough to
    /// take over soon after Redis returns, long enough not to spin against an outage.
    /// </summary>
    private static readonly TimeSpan UnavailableBackoff = TimeSpan.FromSeconds(1);

    public static Props Props(string name, IActorRef candidate, string candidateId, TimeSpan ttl, LockSettings settings, IActorRef manager) =>
        Akka.Actor.Props.Create(() => new CampaignActor(name, candidate, candidateId, ttl, settings, manager));

    private readonly string _name;
    private readonly string _key;
    private readonly IActorRef _candidate;
    private readonly TimeSpan _ttl;
    private readonly IActorRef _manager;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // One token for the whole campaign: an acquire asked again finds its own grant if a reply was lost.
    private readonly string _token;
    private long _term;

    public ITimerScheduler Timers { get; set; } = null!;

    public CampaignActor(string name, IActorRef candidate, string candidateId, TimeSpan ttl, LockSettings settings, IActorRef manager)
    {
        _name = name;
        _key = Elections.KeyOf(name);
        _candidate = candidate;
        _ttl = ttl;
        _manager = manager;
        _token = LockTokens.Labelled(candidateId);
        Campaigning();
    }

    protected override void PreStart()
    {
        Context.Watch(_candidate);
        AskForTerm();
    }

    // ---- behaviours ----

    private void Campaigning()
    {
        Receive<LockAcquired>(acquired =>
        {
            _term = acquired.FencingToken;
            _log.Info("Elected to lead {Name} (term {Term})", _name, _term);
            _candidate.Tell(new Elected(_name, _term));
            Become(Leading);
        });
        Receive<LockNotAcquired>(refused =>
        {
            switch (refused.Reason)
            {
                case AcquireFailure.Timeout:
                    AskForTerm();
                    break;
                case AcquireFailure.Unavailable:
                    _log.Warning("Campaign for {Name} could not reach Redis ({Error}); asking again in {Backoff}", _name, refused.Message, UnavailableBackoff);
                    Timers.StartSingleTimer(AskAgain.Instance, AskAgain.Instance, UnavailableBackoff);
                    break;
                default:
                    End(new LeadershipLost(_name, refused.Message));
                    break;
            }
        });
        Receive<AskAgain>(_ => AskForTerm());
        Receive<Resign>(_ =>
        {
            // A grant racing with this is given back by the key actor (the request is abandoned) or,
            // if it already landed, by the manager when this owner stops.
            _manager.Tell(new LockManagerActor.AbandonAcquire(_key, Self));
            EndResigned(Sender);
        });
        CommonReceives();
    }

    private void Leading()
    {
        Receive<LockLost>(lost => End(new LeadershipLost(_name, $"the term {_term} was lost: {lost.Reason}")));
        Receive<Resign>(_ =>
        {
            _manager.Tell(new Release(_key, _token));
            Become(() => Resigning(Sender));
        });
        CommonReceives();
    }

    private void Resigning(IActorRef resignedTo)
    {
        Receive<LockReleased>(_ => EndResigned(resignedTo));
        Receive<ReleaseFailed>(failed =>
        {
            // Not released by us (already gone, or Redis unavailable: then it expires on its TTL, and the
            // manager releases it when this owner stops). Either way the term is over for the candidate.
            _log.Info("Resigning {Name} (term {Term}): {Message}", _name, _term, failed.Message);
            EndResigned(resignedTo);
        });
        Receive<Resign>(_ => { });
        CommonReceives();
    }

    private void CommonReceives()
    {
        Receive<LeaseProtocol.LeaseValid>(_ => { });
        Receive<NodeShuttingDown>(_ => End(new LeadershipLost(_name, "the node is shutting down")));
        Receive<Terminated>(terminated =>
        {
            if (!terminated.ActorRef.Equals(_candidate)) return;
            // A candidate that stops resigns: stopping this owner releases the term at once.
            _manager.Tell(new LockManagerActor.AbandonAcquire(_key, Self));
            Finish(to: null, why: null);
        });
        Receive<LockAcquired>(_ => { }); // a second reply to the same token: already handled
    }

    // ---- helpers ----

    private void AskForTerm() =>
        _manager.Tell(new LeaseProtocol.AcquireLease(
            new Acquire(_key, _ttl, Timeout.InfiniteTimeSpan, AutoExtend: true, Owner: Self), _token, _ttl / 3));

    private void EndResigned(IActorRef resignedTo) => Finish(resignedTo, new Resigned(_name));

    private void End(LeadershipLost lost)
    {
        if (_term != 0) _log.Info("Leadership of {Name} (term {Term}) lost: {Reason}", _name, _term, lost.Reason);
        Finish(_candidate, lost);
    }

    /// <summary>
    /// The campaign is over: the elections hear it first (so a candidate that campaigns again at once
    /// starts a new campaign), then whoever is told why, then this actor, the term's owner, stops.
    /// </summary>
    private void Finish(IActorRef? to, object? why)
    {
        Context.Parent.Tell(new CampaignEnded(Self));
        if (to is not null) to.Tell(why);
        Context.Stop(Self);
    }
}
