using Akka.Actor;
using Akka.Event;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors;

/// <summary>
/// Collects the outcome of one force-release round (one reply per held lock) and answers
/// <see cref="ForceReleased"/> when all are in or the timeout passes, whichever comes first.
/// </summary>
internal sealed class ForceReleaseAggregator : ReceiveActor, IWithTimers
{
    private sealed class Expired
    {
        public static readonly Expired Instance = new();
    }

    public static Props Props(IActorRef replyTo, int expected, TimeSpan timeout) =>
        Akka.Actor.Props.Create<ForceReleaseAggregator>(replyTo, expected, timeout);

    private readonly IActorRef _replyTo;
    private readonly int _expected;
    private readonly TimeSpan _timeout;
    private int _answered;
    private int _released;

    public ForceReleaseAggregator(IActorRef replyTo, int expected, TimeSpan timeout)
    {
        _replyTo = replyTo;
        _expected = expected;
        Receive<LockReleased>(_ => Count(released: true));
        Receive<ReleaseFailed>(_ => Count(released: false));
        Receive<Expired>(_ =>
        {
            Context.GetLogger().Warning(
                "Force release timed out after {Timeout}: {Released} of {Expected} locks released, {Missing} unanswered",
                timeout, _released, _expected, _expected - _answered);
            Finish();
        });
        _timeout = timeout;
    }

    protected override void PreStart() => Timers.StartSingleTimer(Expired.Instance, Expired.Instance, _timeout);

    public ITimerScheduler Timers { get; set; } = null!;

    private void Count(bool released)
    {
        _answered++;
        if (released) _released++;
        if (_answered == _expected) Finish();
    }

    private void Finish()
    {
        _replyTo.Tell(new ForceReleased(_released));
        Context.Stop(Self);
    }
}
