using Akka.Actor;
using static Lock.Actors.Actors.Election.CampaignProtocol;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.Election;

/// <summary>The node's campaigns: one <see cref="CampaignActor"/> per candidate and name, for as long as its campaign runs.</summary>
internal sealed class ElectionsActor : ReceiveActor
{
    public static Props Props(LockSettings settings, IActorRef manager) =>
        Akka.Actor.Props.Create(() => new ElectionsActor(settings, manager));

    private readonly Dictionary<(string Name, IActorRef Candidate), IActorRef> _campaigns = new();
    private readonly Dictionary<IActorRef, (string Name, IActorRef Candidate)> _ofActor = new();
    private long _childNames;

    public ElectionsActor(LockSettings settings, IActorRef manager)
    {
        Receive<Campaign>(campaign =>
        {
            var id = (campaign.Name, campaign.Candidate);
            if (_campaigns.ContainsKey(id)) return;
            var candidateId = campaign.CandidateId ?? Elections.DefaultCandidateId(Context.System, campaign.Candidate);
            var actor = Context.ActorOf(
                CampaignActor.Props(campaign.Name, campaign.Candidate, candidateId, campaign.Ttl ?? settings.ElectionTtl, settings, manager)
                    .WithDispatcher(settings.Dispatcher),
                "campaign-" + ++_childNames);
            Context.Watch(actor);
            _campaigns[id] = actor;
            _ofActor[actor] = id;
        });
        Receive<Resign>(resign =>
        {
            if (_campaigns.TryGetValue((resign.Name, resign.Candidate), out var actor)) actor.Forward(resign);
            else Sender.Tell(new Resigned(resign.Name));
        });
        Receive<NodeShuttingDown>(shutdown =>
        {
            foreach (var actor in _campaigns.Values) actor.Forward(shutdown);
        });
        Receive<CampaignEnded>(ended => Forget(ended.Campaign));
        Receive<Terminated>(terminated => Forget(terminated.ActorRef));
    }

    private void Forget(IActorRef campaign)
    {
        if (_ofActor.Remove(campaign, out var id)) _campaigns.Remove(id);
    }
}
