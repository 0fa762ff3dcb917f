using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Lock.Actors.Actors;
using Lock.Actors.Coordination;
using Lock.Actors.Diagnostics;
using Lock.Actors.Redis;
using StackExchange.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>
/// The Akka extension that runs the lock subsystem of one ActorSystem: it reads <see cref="LockSettings"/>,
/// takes or opens the Redis connection, starts the lock manager, subscribes to release notifications
/// and registers the coordinated-shutdown task that releases every lock the node holds.
/// <code>var locks = DistributedLocks.Get(system); locks.Manager.Ask(...); await locks.Service.AcquireAsync("key");</code>
/// </summary>
public sealed class DistributedLocks : IExtension
{
    /// <summary>Name of the coordinated-shutdown task, in phase before-actor-system-terminate.</summary>
    public const string ShutdownTaskName = "lock-force-release";

    private const string ReferenceResource = "Lock.Actors.reference.conf";

    private readonly RedisConnection _redis;
    private readonly Task<TopologyWatch> _topology;
    private readonly ILoggingAdapter _log;
    private readonly TaskCompletionSource<int> _releasedOnShutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DistributedLocks(ExtendedActorSystem system)
    {
        _log = Logging.GetLogger(system, typeof(DistributedLocks));
        Settings = LockSettings.Create(system);

        // Never waits on the network: the connection is made in the background (RedisConnection).
        var setup = system.Settings.Setup.Get<DistributedLocksSetup>();
        _redis = setup.HasValue
            ? RedisConnection.Borrow(setup.Value.ConnectionFor(system), _log)
            : RedisConnection.Open(ParseConfiguration(Settings), _log);

        Keys = new LockKeys(Settings.KeyPrefix);
        Store = new RedisLockStore(
            _redis, Settings.RedisDatabase, Keys, Settings.FencingCounterExpiry, Settings.BatchMaxInFlight, Settings.BatchMaxLocks,
            Settings.MinReplicaAcks, Settings.ReplicaAckTimeout);
        Metrics = new LockMetrics(system.Name);
        Manager = system.SystemActorOf(
            LockManagerActor.Props(Settings, Store, Metrics).WithDispatcher(Settings.Dispatcher), "lock-manager");
        Service = new LockService(system, Manager, Settings);
        system.SystemActorOf(LockLostListener.Props(Service), "lock-lost-listener");

        var manager = Manager;
        _topology = _redis.Ready.ContinueWith(
            connected => new TopologyWatch(connected.Result, () => manager.Tell(LockManagerActor.WakeAllWaiters.Instance)),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        Subscribed = SubscribeUntilDoneAsync(system.WhenTerminated);
        _ = CheckServerAsync(system.WhenTerminated);

        CoordinatedShutdown.Get(system).AddTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate, ShutdownTaskName, ReleaseAllOnShutdownAsync);
        system.RegisterOnTermination(DisposeConnection);
    }

    /// <summary>The extension of <paramref name="system"/>, started on first use.</summary>
    public static DistributedLocks Get(ActorSystem system) =>
        system.WithExtension<DistributedLocks, DistributedLocksProvider>();

    /// <summary>The library's reference configuration (the <c>lock</c> section with every default).</summary>
    public static Config DefaultConfig() => ConfigurationFactory.FromResource<DistributedLocks>(ReferenceResource);

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

    /// <summary>
    /// Completes with the number of locks the coordinated-shutdown task released (faults if it could
    /// not release them). Akka's loggers stop during termination, so a host that wants that figure in
    /// its own log reads it here.
    /// </summary>
    public Task<int> ReleasedOnShutdown => _releasedOnShutdown.Task;

    /// <summary>
    /// A configuration problem Redis reported once connected (null while there is none): acquires fail
    /// with it as Unavailable, and the health check is Unhealthy with it.
    /// </summary>
    public string? ConfigurationProblem => _redis.Problem;

    /// <summary>Completes when release notifications are subscribed.</summary>
    internal Task Subscribed { get; }

    /// <summary>Adds the reference configuration under the system's own, once per system.</summary>
    internal static void InjectDefaults(ActorSystem system)
    {
        var config = system.Settings.Config;
        if (!config.HasPath(LockSettings.ConfigPath + ".fencing.counter-expiry") || !config.HasPath(RedisLease.ConfigPath + ".lease-class"))
            system.Settings.InjectTopLevelFallback(DefaultConfig());
    }

    private static ConfigurationOptions ParseConfiguration(LockSettings settings)
    {
        try
        {
            var options = ConfigurationOptions.Parse(settings.RedisConfiguration);
            // TLS from settings, so a private CA or a client certificate needs no code.
            if (settings.TlsCaCertificate is { } ca)
            {
                options.Ssl = true;
                options.TrustIssuer(ca);
            }
            if (settings.TlsClientCertificate is { } certificate) options.SetUserPemCertificate(certificate, settings.TlsClientKey);
            return options;
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new ConfigurationException($"Invalid setting '{LockSettings.ConfigPath}.redis.configuration': {e.Message}", e);
        }
    }

    // The pub/sub connection may come up after the interactive one (or Redis may be down at start),
    // and a fail-fast connection refuses SUBSCRIBE until then: keep trying. Once subscribed, the
    // client re-subscribes by itself after reconnects. Until then waiters use lock.retry-interval.
    private async Task SubscribeUntilDoneAsync(Task terminated)
    {
        var manager = Manager;
        var warned = false;
        while (!terminated.IsCompleted)
        {
            try
            {
                await Store.SubscribeReleasesAsync(key => manager.Tell(new LockManagerActor.ReleaseAnnounced(key)))
                    .ConfigureAwait(false);
                if (warned) _log.Info("Release notifications subscribed");
                return;
            }
            catch (Exception e)
            {
                if (!warned)
                    _log.Warning("Release notifications are not subscribed yet ({Error}); retrying, waiters fall back to lock.retry-interval",
                        e.Message);
                warned = true;
                await Task.WhenAny(terminated, Task.Delay(Settings.RetryInterval)).ConfigureAwait(false);
            }
        }
    }

    // Once Redis answers: whether it runs what the settings need (WAIT for min-replica-acks; SELECT
    // for a database other than 0 is checked by the store before its first call).
    private async Task CheckServerAsync(Task terminated)
    {
        var store = (RedisLockStore)Store;
        while (!terminated.IsCompleted)
        {
            try
            {
                if (await store.CheckReplicaAcksAsync().ConfigureAwait(false) is { } acks) _redis.ReportProblem(acks);
                return;
            }
            catch (Exception)
            {
                await Task.WhenAny(terminated, Task.Delay(Settings.RetryInterval)).ConfigureAwait(false);
            }
        }
    }

    private async Task<Akka.Done> ReleaseAllOnShutdownAsync()
    {
        try
        {
            var reply = await Manager.Ask<ForceReleased>(
                LockManagerActor.BeginShutdown.Instance, Settings.ForceReleaseTimeout + Settings.OperationTimeout)
                .ConfigureAwait(false);
            _log.Info("Coordinated shutdown released {Count} lock(s)", reply.Count);
            _releasedOnShutdown.TrySetResult(reply.Count);
        }
        catch (Exception e)
        {
            _log.Warning("Coordinated shutdown could not release every lock; the rest expire on their TTL: {Error}", e.Message);
            _releasedOnShutdown.TrySetException(e);
        }
        return Akka.Done.Instance;
    }

    private void DisposeConnection()
    {
        try
        {
            Store.UnsubscribeReleasesAsync().Wait(Settings.OperationTimeout);
        }
        catch (Exception)
        {
            // The connection may already be gone; nothing is left to unsubscribe from.
        }
        if (_topology.IsCompletedSuccessfully) _topology.Result.Dispose();
        // One still connecting is disposed when its attempt ends.
        if (_redis.Owned)
            _redis.Ready.ContinueWith(static connected => connected.Result.Dispose(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        Metrics.Dispose();
    }
}
