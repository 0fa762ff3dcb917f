using Akka.Actor;

namespace Lock.Actors.Actors.Election;

/// <summary>How an election maps onto a lock: its key, and who its candidates say they are.</summary>
internal static class Elections
{
    /// <summary>
    /// The lock an election is held under: <c>election:scheduler</c> for the name <c>scheduler</c>.
    /// Watching that key with <see cref="LockProtocol.WatchLock"/> shows the terms as lock states.
    /// </summary>
    public const string KeyPrefix = "election:";

    public static string KeyOf(string name) => KeyPrefix + name;

    /// <summary>The longest candidate id accepted: it travels with every change of the election's lock.</summary>
    public const int MaxCandidateIdLength = 256;

    /// <summary>A candidate that names no id: the machine, the process, the ActorSystem and the actor's path.</summary>
    public static string DefaultCandidateId(ActorSystem system, IActorRef candidate) =>
        $"{Environment.MachineName}:{Environment.ProcessId}:{system.Name}{candidate.Path.ToStringWithoutAddress()}";
}
