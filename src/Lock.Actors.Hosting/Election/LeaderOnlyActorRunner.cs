using Akka.Actor;
using Akka.Event;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.Election;

/// <summary>
/// Runs an actor on whichever node leads an election: campaigns, starts the actor (from the term's
/// <see cref="Elected"/>) when elected, stops it when the term is lost and campaigns again. At
/// shutdown it stops the actor, waits until it has stopped, and only then resigns, so no other node's
/// copy starts while this one still runs. Messages sent to the runner go to the actor while it runs
/// (and to dead letters while it does not).
/// <para>Behaviours: <see cref="Campaigning"/> → <see cref="Leading"/> → <see cref="Stepping"/> (the
/// actor stopping after a loss) or <see cref="Resigning"/> (it stopped by itself) → <see cref="Campaigning"/>;
/// at shutdown <see cref="StoppingForShutdown"/> → <see cref="Resigned"/>.</para>
/// </summary>
internal sealed class LeaderOnlyActorRunner : ReceiveActor, IWithTimers
{
    /// <summary>Coordinated shutdown's request: stop the actor, resign, then reply <see cref="Akka.Done"/>.</summary>
    public sealed record StopAndResign
    {
        public static StopAndResign Instance { get; } = new();
        private StopAndResign() { }
    }

    private sealed record CampaignAgain
    {
        public static CampaignAgain Instance { get; } = new();
    }

    // After a campaign that ended without a term (Redis refused it), before the next one.
    private static readonly TimeSpan CampaignBackoff = TimeSpan.FromSeconds(1);

    public static Props Props(string name, Func<Elected, Props> propsForTerm, string? candidateId, TimeSpan? ttl, IActorRef manager) =>
        Akka.Actor.Props.Create(() => new LeaderOnlyActorRunner(name, propsForTerm, candidateId, ttl, manager));

    private readonly string _name;
    private readonly Func<Elected, Props> _propsForTerm;
    private readonly string? _candidateId;
    private readonly TimeSpan? _ttl;
    private readonly IActorRef _manager;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _actor;

    public ITimerScheduler Timers { get; set; } = null!;

    public LeaderOnlyActorRunner(string name, Func<Elected, Props> propsForTerm, string? candidateId, TimeSpan? ttl, IActorRef manager)
    {
        _name = name;
        _propsForTerm = propsForTerm;
        _candidateId = candidateId;
        _ttl = ttl;
        _manager = manager;
        Campaigning();
    }

    protected override void PreStart() => Campaign();

    private void Campaigning()
    {
        Receive<Elected>(elected =>
        {
            _actor = Context.ActorOf(_propsForTerm(elected), "leader-" + elected.FencingToken);
            Context.Watch(_actor);
            _log.Info("Leading {Name} (term {Term}): started {Actor}", _name, elected.FencingToken, _actor.Path.Name);
            Become(Leading);
        });
        Receive<LeadershipLost>(_ => Timers.StartSingleTimer(CampaignAgain.Instance, CampaignAgain.Instance, CampaignBackoff));
        Receive<ElectionFailed>(failed => _log.Error("Cannot campaign for {Name}: {Message}", _name, failed.Message));
        Receive<CampaignAgain>(_ => Campaign());
        Receive<StopAndResign>(_ => ResignFinally(Sender));
        ReceiveAny(ToDeadLetters);
    }

    private void Leading()
    {
        Receive<LeadershipLost>(lost =>
        {
            _log.Warning("Leadership of {Name} lost ({Reason}): stopping {Actor}", _name, lost.Reason, _actor!.Path.Name);
            Context.Stop(_actor);
            Become(Stepping);
        });
        Receive<Terminated>(terminated =>
        {
            if (!terminated.ActorRef.Equals(_actor)) return;
            // The actor stopped by itself: give the term to another node, and stand again.
            _log.Warning("{Actor} stopped while leading {Name}: resigning and campaigning again", _actor.Path.Name, _name);
            _actor = null;
            _manager.Tell(new Resign(_name, Self));
            Become(Resigning);
        });
        Receive<StopAndResign>(_ =>
        {
            Context.Stop(_actor!);
            var replyTo = Sender;
            Become(() => StoppingForShutdown(replyTo));
        });
        ReceiveAny(message => _actor.Forward(message));
    }

    /// <summary>The term is lost; the actor is stopping. A new campaign starts once it has stopped.</summary>
    private void Stepping()
    {
        Receive<Terminated>(terminated =>
        {
            if (!terminated.ActorRef.Equals(_actor)) return;
            _actor = null;
            Campaign();
            Become(Campaigning);
        });
        Receive<StopAndResign>(_ =>
        {
            var replyTo = Sender;
            Become(() => StoppingForShutdown(replyTo));
        });
        ReceiveAny(ToDeadLetters);
    }

    /// <summary>The actor stopped by itself; its term is being resigned before the next campaign.</summary>
    private void Resigning()
    {
        Receive<Resigned>(_ =>
        {
            Campaign();
            Become(Campaigning);
        });
        Receive<StopAndResign>(_ =>
        {
            var replyTo = Sender;
            Become(() => Resigned(replyTo));
        });
        ReceiveAny(ToDeadLetters);
    }

    /// <summary>Shutdown: the actor is stopping; the term is resigned only once it has stopped.</summary>
    private void StoppingForShutdown(IActorRef replyTo)
    {
        Receive<Terminated>(terminated =>
        {
            if (!terminated.ActorRef.Equals(_actor)) return;
            _actor = null;
            ResignFinally(replyTo);
        });
        ReceiveAny(ToDeadLetters);
    }

    /// <summary>Shutdown: the last resign is in flight; shutdown goes on when it is answered.</summary>
    private void Resigned(IActorRef replyTo)
    {
        Receive<Resigned>(_ => replyTo.Tell(Akka.Done.Instance));
        ReceiveAny(ToDeadLetters);
    }

    private void ResignFinally(IActorRef replyTo)
    {
        _manager.Tell(new Resign(_name, Self));
        Become(() => Resigned(replyTo));
    }

    private static void ToDeadLetters(object message) => Context.System.DeadLetters.Forward(message);

    private void Campaign() => _manager.Tell(new LockProtocol.Campaign(_name, Self, _candidateId, _ttl));

}
