using System.Diagnostics;
using Akka.Actor;
using StackExchange.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Host;

/// <summary>
/// A scheduler worker of the demo. Each day every worker of every node tries to run the daily job
/// <c>scheduler:create_daily_tables</c>; under the lock it checks whether the day's job already ran,
/// runs it if not (a record in Redis, then some simulated work), and releases.
/// </summary>
internal sealed class DailyJobWorker : ReceiveActor, IWithTimers
{
    public const string JobKey = "scheduler:create_daily_tables";

    public sealed record RunDay(int Day, string RunsKey);

    public sealed record DayOutcome(int Day, string Worker, bool Ran, long FencingToken, TimeSpan Waited, string Note);

    private sealed record RunsSoFar(long Count);
    private sealed record Recorded;
    private sealed record WorkDone;
    private sealed record RedisFailed(Exception Cause);

    private static readonly TimeSpan SimulatedWork = TimeSpan.FromMilliseconds(40);

    private readonly IActorRef _locks;
    private readonly IDatabase _db;
    private readonly string _name;
    private IActorRef _replyTo = ActorRefs.Nobody;
    private RunDay _day = null!;
    private long _startedAt;
    private TimeSpan _waited;
    private LockAcquired? _held;
    private bool _ran;

    public static Props Props(IActorRef locks, IDatabase db, string name) =>
        Akka.Actor.Props.Create<DailyJobWorker>(locks, db, name);

    public DailyJobWorker(IActorRef locks, IDatabase db, string name)
    {
        _locks = locks;
        _db = db;
        _name = name;
        Idle();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private void Idle()
    {
        Receive<RunDay>(day =>
        {
            (_replyTo, _day, _startedAt, _held, _ran) = (Sender, day, Stopwatch.GetTimestamp(), null, false);
            _locks.Tell(new Acquire(JobKey, Ttl: TimeSpan.FromSeconds(30), Timeout: TimeSpan.FromSeconds(10), Owner: Self));
            Become(Waiting);
        });
    }

    private void Waiting()
    {
        Receive<LockAcquired>(acquired =>
        {
            _waited = Stopwatch.GetElapsedTime(_startedAt);
            _held = acquired;
            _db.ListLengthAsync(_day.RunsKey).PipeTo(Self, success: n => new RunsSoFar(n), failure: e => new RedisFailed(e));
            Become(Working);
        });
        Receive<LockNotAcquired>(failed =>
        {
            Report(ran: false, note: $"not acquired: {failed.Reason}");
        });
    }

    private void Working()
    {
        Receive<RunsSoFar>(runs =>
        {
            if (runs.Count > 0)
            {
                Release();
                return;
            }
            _ran = true;
            _db.ListRightPushAsync(_day.RunsKey, $"{_name} fencing {_held!.FencingToken}")
                .PipeTo(Self, success: _ => new Recorded(), failure: e => new RedisFailed(e));
        });
        // Creating the day's tables takes a while; the lock is held all along.
        Receive<Recorded>(_ => Timers.StartSingleTimer("work", new WorkDone(), SimulatedWork));
        Receive<WorkDone>(_ => Release());
        Receive<RedisFailed>(failed =>
        {
            _ran = false;
            Release(note: $"job store failed: {failed.Cause.Message}");
        });
    }

    private void Release(string? note = null)
    {
        _locks.Tell(new Release(JobKey, _held!.Token));
        Become(() =>
        {
            Receive<LockReleased>(_ => Report(_ran, note ?? (_ran ? "ran the job" : "already done today")));
            Receive<ReleaseFailed>(failed => Report(_ran, $"release failed: {failed.Reason}"));
        });
    }

    private void Report(bool ran, string note)
    {
        _replyTo.Tell(new DayOutcome(_day.Day, _name, ran, _held?.FencingToken ?? 0, _waited == default ? Stopwatch.GetElapsedTime(_startedAt) : _waited, note));
        _waited = default;
        Become(Idle);
    }
}
