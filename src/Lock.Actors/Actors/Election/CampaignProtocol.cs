using Akka.Actor;

namespace Lock.Actors.Actors.Election;

/// <summary>What the manager tells the elections it runs, and what a campaign tells them back.</summary>
internal static class CampaignProtocol
{
    /// <summary>
    /// A campaign is over: sent before its candidate hears why, so a candidate that campaigns again at
    /// once starts a new campaign instead of being taken for the old one.
    /// </summary>
    public sealed record CampaignEnded(IActorRef Campaign);

    /// <summary>The node is shutting down: every campaign ends, its candidate told, before locks are force-released.</summary>
    public sealed record NodeShuttingDown
    {
        public static NodeShuttingDown Instance { get; } = new();
        private NodeShuttingDown() { }
    }
}
