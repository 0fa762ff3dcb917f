using Akka.Actor;
using Akka.Hosting;
using Lock.Actors.Actors.Election;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>Runs an actor on whichever node leads an election: "exactly one instance runs the scheduler".</summary>
public static class LeaderOnlyActorHostingExtensions
{
    /// <summary>
    /// Campaigns for <paramref name="electionName"/> with the node's lock subsystem (add
    /// <see cref="DistributedLocksHostingExtensions.WithDistributedLocks(AkkaConfigurationBuilder, Action{DistributedLocksOptions})"/>
    /// too) and, while this node leads it, runs the actor <paramref name="propsForTerm"/> makes from the
    /// term's <see cref="Elected"/> (its <see cref="Elected.FencingToken"/> is the term). The actor is
    /// stopped when the term is lost, and the node campaigns again. At coordinated shutdown (phase
    /// service-stop) it is stopped, and only once it has stopped does the node resign, so another
    /// node's copy never starts while this one runs. <typeparamref name="TKey"/> registers the runner
    /// in the <see cref="ActorRegistry"/>: messages to it reach the actor while it runs.
    /// <code>akka.WithLeaderOnlyActor&lt;Scheduler&gt;("scheduler", term =&gt; Props.Create(() =&gt; new Scheduler(term.FencingToken)));</code>
    /// </summary>
    public static AkkaConfigurationBuilder WithLeaderOnlyActor<TKey>(
        this AkkaConfigurationBuilder builder, string electionName, Func<Elected, Props> propsForTerm,
        string? candidateId = null, TimeSpan? ttl = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(electionName);
        ArgumentNullException.ThrowIfNull(propsForTerm);
        return builder.WithActors((system, registry) =>
        {
            var locks = DistributedLocks.Get(system);
            var runner = system.ActorOf(
                LeaderOnlyActorRunner.Props(electionName, propsForTerm, candidateId, ttl, locks.Manager),
                "leader-only-" + Uri.EscapeDataString(electionName));
            registry.Register<TKey>(runner);
            var stopTimeout = locks.Settings.OperationTimeout + locks.Settings.ForceReleaseTimeout;
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceStop, "stop-leader-only-actor-" + electionName,
                async () =>
                {
                    try
                    {
                        await runner.Ask<Akka.Done>(LeaderOnlyActorRunner.StopAndResign.Instance, stopTimeout).ConfigureAwait(false);
                    }
                    catch (AskTimeoutException)
                    {
                        // The term still ends: the lock manager releases it later in shutdown, or it expires.
                    }
                    return Akka.Done.Instance;
                });
        });
    }
}
