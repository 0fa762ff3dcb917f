using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Lock.Actors.Actors.KeyLock;
using Lock.Actors.Diagnostics;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Infrastructure.Unit;

/// <summary>
/// Base of the Redis-free key actor specs. The spec plays Redis through <see cref="ProbeLockStore"/>
/// (its calls arrive at <see cref="Redis"/>), plays the manager (<see cref="Manager"/> is the key
/// actor's parent), and moves time by hand (<see cref="Advance"/> moves the actor's clock and fires the
/// timers that have come due, through Akka's TestScheduler). Nothing waits on real time except a
/// message that is expected.
/// </summary>
public abstract class KeyLockActorSpec : TestKit
{
    protected const string Key = "job";
    protected static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    protected static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    protected static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    protected KeyLockActorSpec(ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString($$"""
            akka.loglevel = INFO
            akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
            lock {
              retry-interval = {{(int)RetryInterval.TotalMilliseconds}}ms
              idle-timeout = {{(int)IdleTimeout.TotalMilliseconds}}ms
              default-ttl = 30s
              default-timeout = 10s
            }
            """), output: output)
    {
        Scheduler = (TestScheduler)Sys.Scheduler;
        Redis = CreateTestProbe("redis");
        Manager = CreateTestProbe("manager");
        Store = new ProbeLockStore(Redis.Ref, CallTimeout);
        Metrics = new LockMetrics(Sys.Name);
        KeyActor = Manager.ChildActorOf(KeyLockActor.Props(Key, LockSettings.Create(Sys), Store, Metrics, Clock), "key");
    }

    protected TestScheduler Scheduler { get; }

    internal ManualClock Clock { get; } = new();

    /// <summary>Receives every store call the key actor makes; the spec answers them.</summary>
    protected TestProbe Redis { get; }

    /// <summary>The key actor's parent: receives Granted, Ended and PassivationRequested.</summary>
    protected TestProbe Manager { get; }

    internal ProbeLockStore Store { get; }

    internal LockMetrics Metrics { get; }

    protected IActorRef KeyActor { get; }

    /// <summary>
    /// Time passes: once the actor has handled everything sent so far (so the timers it arms are armed),
    /// its clock moves and every timer due by then fires.
    /// </summary>
    protected async Task AdvanceAsync(TimeSpan by)
    {
        await SettledAsync();
        Clock.Advance(by);
        Scheduler.Advance(by);
    }

    /// <summary>
    /// Returns once the key actor has handled every message sent to it before (Identify is answered in
    /// mailbox order), including answers the spec gave to its store calls: those are told to it from
    /// the spec's own thread as the spec answers.
    /// </summary>
    /// <remarks>
    /// Twice: the spec may answer a store call before the actor, still handling the message that made
    /// the call, has attached its continuation; the answer is then told to it as it attaches, behind a
    /// first Identify that arrived meanwhile. The second Identify is sent once that message is done, so
    /// it queues behind the answer.
    /// </remarks>
    protected async Task SettledAsync()
    {
        await KeyActor.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(3));
        await KeyActor.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(3));
    }

    protected void Send(object message, IActorRef? from = null) => KeyActor.Tell(message, from ?? TestActor);

    internal Task<ProbeLockStore.TryAcquire> ExpectAttemptAsync() => Redis.ExpectMsgAsync<ProbeLockStore.TryAcquire>().AsTask();

    internal Task<ProbeLockStore.Release> ExpectReleaseCallAsync() => Redis.ExpectMsgAsync<ProbeLockStore.Release>().AsTask();

    internal Task<ProbeLockStore.Extend> ExpectExtendCallAsync() => Redis.ExpectMsgAsync<ProbeLockStore.Extend>().AsTask();

    /// <summary>A writer that left without a grant is withdrawn from Redis's waiting writers (<paramref name="token"/>: whose).</summary>
    internal async Task ExpectWithdrawAsync(string token) => Assert.Equal(token, (await Redis.ExpectMsgAsync<ProbeLockStore.Withdraw>()).Token);

    /// <summary>Nothing more has reached Redis: a check once the actor has settled, not a wait.</summary>
    protected async Task ExpectNoStoreCallAsync()
    {
        await SettledAsync();
        Assert.False(Redis.HasMessages, $"the key actor made a store call the scenario did not expect: {(Redis.HasMessages ? Redis.ReceiveOne(TimeSpan.Zero) : null)}");
    }

    /// <summary>
    /// The key actor has handled everything sent to it so far (ticks included), made no store call, and
    /// told none of <paramref name="probes"/> anything.
    /// </summary>
    protected async Task QuietAsync(params TestKitBase[] probes)
    {
        await ExpectNoStoreCallAsync();
        foreach (var probe in probes) probe.ExpectNoMsg(TimeSpan.Zero);
    }

    /// <summary>An acquire by <paramref name="requester"/> that is granted with <paramref name="fencingToken"/>.</summary>
    internal async Task<LockAcquired> GrantAsync(TestProbe requester, long fencingToken, TimeSpan? ttl = null, bool autoExtend = false, IActorRef? owner = null)
    {
        Send(new Acquire(Key, Ttl: ttl ?? TimeSpan.FromSeconds(30), Timeout: TimeSpan.FromSeconds(10), AutoExtend: autoExtend, Owner: owner), requester.Ref);
        (await ExpectAttemptAsync()).Grant(fencingToken);
        var acquired = await requester.ExpectMsgAsync<LockAcquired>();
        await Manager.ExpectMsgAsync<Lock.Actors.Actors.LockManagerActor.Granted>();
        return acquired;
    }
}
