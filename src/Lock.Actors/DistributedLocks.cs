using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Lock.Actors.Actors;
using Lock.Actors.Coordination;
using Lock.Actors.Diagnostics;
using Lock.Actors.Redis;
using StackExchange.Redis;

namespace Lock.Actors;

/// <summary>
/// The Akka extension that runs the lock subsystem of one ActorSystem. It only wires the parts
/// together: <see cref="LockSettings"/>, the Redis connection (<c>Redis/RedisConnection</c>), the store,
/// the lock manager, the release subscription that wakes waiters (<c>Redis/WaiterWakeUp</c>) and
/// the coordinated-shutdown release (<c>Actors/ShutdownRelease</c>).
/// <code>var locks = DistributedLocks.Get(system); locks.Manager.Ask(...); await locks.Service.AcquireAsync("key");</code>
/// </summary>
public sealed class DistributedLocks : IExtension
{
    /// <summary>Name of the coordinated-shutdown task, in phase before-actor-system-terminate.</summary>
    public const string ShutdownTaskName = "lock-force-release";

    private const string ReferenceResource = "Lock.Actors.reference.conf";

    private readonly RedisConnection _redis;
    private readonly Task<TopologyWatch> _topology;
    private readonly WaiterWakeUp _releases;
    private readonly ShutdownRelease _shutdown;

    /// <summary>Starts the subsystem for <paramref name="system"/>; use <see cref="Get"/> instead.</summary>
    /// <param name="system">The ActorSystem it serves.</param>
    public DistributedLocks(ExtendedActorSystem system)
    {
        var log = Logging.GetLogger(system, typeof(DistributedLocks));
        Settings = LockSettings.Create(system);
        // Lease options that only hand out their config path (Akka.Cluster.Hosting's singleton and
        // sharding options) find their sections here, before any singleton asks for its lease.
        if (Coordination.RedisLeaseSections.All() is { IsEmpty: false } leaseSections)
            system.Settings.InjectTopLevelFallback(leaseSections);
        // Akka starts its scheduler's thread on the first timer anyone arms, and every caller waits for
        // that start on its own thread. Key actors arm timers as they start: a cold burst of 64 of them
        // blocked 33 pool threads at once, and the starved pool held every first acquire for about 13 s
        // (4 of 6 cold 64-caller benchmark starts). Started here, from one thread, it is running by then.
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, static () => { });

        // Never waits on the network: the connection is made in the background.
        var setup = system.Settings.Setup.Get<DistributedLocksSetup>();
        _redis = setup.HasValue
            ? RedisConnection.Borrow(setup.Value.ConnectionFor(system), log)
            : RedisConnection.Open(Settings, log);

        Keys = new LockKeys(Settings.KeyPrefix);
        var store = new RedisLockStore(
            _redis, Settings.RedisDatabase, Keys, Settings.FencingCounterExpiry, Settings.BatchMaxInFlight, Settings.BatchMaxLocks,
            Settings.MinReplicaAcks, Settings.ReplicaAckTimeout, RedisLockStore.QueueTtlFor(Settings.RetryInterval));
        Store = store;
        Metrics = new LockMetrics(system.Name);
        Manager = system.SystemActorOf(
            LockManagerActor.Props(Settings, Store, Metrics).WithDispatcher(Settings.Dispatcher), "lock-manager");
        Service = new LockService(system, Manager, Settings);
        system.SystemActorOf(LockLostListener.Props(Service), "lock-lost-listener");

        var manager = Manager;
        _topology = _redis.Ready.ContinueWith(
            connected => new TopologyWatch(connected.Result, () => manager.Tell(LockManagerActor.WakeAllWaiters.Instance)),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        _releases = WaiterWakeUp.Start(Store, Manager, Settings.RetryInterval, system.WhenTerminated, log);
        _ = ServerCheck.RunAsync(store, _redis, Settings.RetryInterval, system.WhenTerminated);
        _shutdown = ShutdownRelease.Register(system, ShutdownTaskName, Manager, Settings, log);
        system.RegisterOnTermination(DisposeConnection);
    }

    /// <summary>The extension of <paramref name="system"/>, started on first use.</summary>
    public static DistributedLocks Get(ActorSystem system) =>
        system.WithExtension<DistributedLocks, DistributedLocksProvider>();

    /// <summary>The library's reference configuration (the <c>lock</c> section with every default).</summary>
    public static Config DefaultConfig() => ConfigurationFactory.FromResource<DistributedLocks>(ReferenceResource);

    /// <summary>The settings read once from the <c>lock</c> section.</summary>
    public LockSettings Settings { get; }

    /// <summary>The lock manager: send it the messages of <see cref="LockProtocol"/>.</summary>
    public IActorRef Manager { get; }

    /// <summary>The facade for code that is not an actor.</summary>
    public LockService Service { get; }

    /// <summary>
    /// The Redis connection in use: the application's (never disposed here) or one opened from settings.
    /// Opening happens in the background; this property waits for the first connect attempt to end
    /// (use <see cref="ConnectionReady"/> to wait without blocking).
    /// </summary>
    public IConnectionMultiplexer Connection => _redis.Ready.GetAwaiter().GetResult();

    /// <summary>Completes with <see cref="Connection"/> once its first connect attempt has ended (connected or not).</summary>
    public Task<IConnectionMultiplexer> ConnectionReady => _redis.Ready;

    internal LockKeys Keys { get; }

    internal ILockStore Store { get; }

    internal LockMetrics Metrics { get; }

    /// <summary>Locks this node holds now (the <c>lock.active</c> gauge).</summary>
    public int ActiveLocks => Metrics.ActiveLocks;

    /// <summary>Acquires queued in this node's key actors now (the <c>lock.waiters</c> gauge).</summary>
    public int Waiters => Metrics.Waiters;

    /// <summary>When the watchdog last lost a lock on this node (null if it never did).</summary>
    public DateTimeOffset? LastWatchdogLossAt => Metrics.LastWatchdogLossAt;

    /// <summary>
    /// Completes with the number of locks the coordinated-shutdown task released (faults if it could
    /// not release them). Akka's loggers stop during termination, so a host that wants that figure in
    /// its own log reads it here.
    /// </summary>
    public Task<int> ReleasedOnShutdown => _shutdown.Released;

    /// <summary>
    /// A configuration problem Redis reported once connected (null while there is none): acquires fail
    /// with it as Unavailable, and the health check is Unhealthy with it.
    /// </summary>
    public string? ConfigurationProblem => _redis.Problem;

    /// <summary>Completes when release notifications are subscribed.</summary>
    internal Task Subscribed => _releases.Subscribed;

    /// <summary>Adds the reference configuration under the system's own, once per system.</summary>
    internal static void InjectDefaults(ActorSystem system)
    {
        var config = system.Settings.Config;
        if (!config.HasPath(LockSettings.ConfigPath + ".fencing.counter-expiry") || !config.HasPath(RedisLease.ConfigPath + ".lease-class"))
            system.Settings.InjectTopLevelFallback(DefaultConfig());
    }

    private void DisposeConnection()
    {
        _releases.Stop(Settings.OperationTimeout);
        if (_topology.IsCompletedSuccessfully) _topology.Result.Dispose();
        // One still connecting is disposed when its attempt ends.
        if (_redis.Owned)
            _redis.Ready.ContinueWith(static connected => connected.Result.Dispose(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        Metrics.Dispose();
    }
}
