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

    private readonly bool _ownsConnection;
    private readonly TopologyWatch _topology;
    private readonly ILoggingAdapter _log;
    private readonly TaskCompletionSource<int> _releasedOnShutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DistributedLocks(ExtendedActorSystem system)
    {
        _log = Logging.GetLogger(system, typeof(DistributedLocks));
        Settings = LockSettings.Create(system);

        var setup = system.Settings.Setup.Get<DistributedLocksSetup>();
        if (setup.HasValue)
        {
            Connection = setup.Value.ConnectionFor(system);
        }
        else
        {
            Connection = Connect(Settings);
            _ownsConnection = true;
        }

        Keys = new LockKeys(Settings.KeyPrefix);
        Store = new RedisLockStore(
            Connection, Settings.RedisDatabase, Keys, Settings.FencingCounterExpiry, Settings.BatchMaxInFlight, Settings.BatchMaxLocks,
            Settings.MinReplicaAcks, Settings.ReplicaAckTimeout);
        Metrics = new LockMetrics(system.Name);
        Manager = system.SystemActorOf(
            LockManagerActor.Props(Settings, Store, Metrics).WithDispatcher(Settings.Dispatcher), "lock-manager");
        Service = new LockService(system, Manager, Settings);
        system.SystemActorOf(LockLostListener.Props(Service), "lock-lost-listener");

        var manager = Manager;
        _topology = new TopologyWatch(Connection, () => manager.Tell(LockManagerActor.WakeAllWaiters.Instance));
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

    /// <summary>The Redis connection in use: the application's (never disposed here) or one opened from settings.</summary>
    public IConnectionMultiplexer Connection { get; }

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
    public string? ConfigurationProblem => ((RedisLockStore)Store).ConfigurationProblem;

    /// <summary>Completes when release notifications are subscribed.</summary>
    internal Task Subscribed { get; }

    /// <summary>Adds the reference configuration under the system's own, once per system.</summary>
    internal static void InjectDefaults(ActorSystem system)
    {
        var config = system.Settings.Config;
        if (!config.HasPath(LockSettings.ConfigPath + ".fencing.counter-expiry") || !config.HasPath(RedisLease.ConfigPath + ".lease-class"))
            system.Settings.InjectTopLevelFallback(DefaultConfig());
    }

    private static IConnectionMultiplexer Connect(LockSettings settings)
    {
        var options = ConfigurationOptions.Parse(settings.RedisConfiguration);
        // A node may start before Redis does: connect in the background unless the string says otherwise.
        if (!settings.RedisConfiguration.Contains("abortConnect", StringComparison.OrdinalIgnoreCase))
            options.AbortOnConnectFail = false;
        // A lock caller has its own timeout; queueing commands while Redis is down would only hide the outage.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        // After an outage, come back within a fraction of a lock's TTL rather than on a backoff that
        // grows to many seconds: waiters are answering Unavailable all that time.
        options.ReconnectRetryPolicy ??= new LinearRetry(250);
        options.ClientName ??= "lock-actors";
        var connection = ConnectionMultiplexer.Connect(options);
        if (!connection.IsConnected) RefuseBadCredentials(connection, settings, options);
        return connection;
    }

    // An unreachable Redis is an outage the node rides out; credentials Redis refuses will never
    // work, so they stop start-up with a sentence that names the setting (and never the password).
    private static void RefuseBadCredentials(ConnectionMultiplexer connection, LockSettings settings, ConfigurationOptions options)
    {
        try
        {
            connection.GetDatabase(settings.RedisDatabase).Ping();
        }
        catch (RedisException e) when (IsAuthenticationFailure(e))
        {
            connection.Dispose();
            var user = options.User is { Length: > 0 } name ? $" for user '{name}'" : string.Empty;
            throw new ConfigurationException(
                $"Redis ({string.Join(", ", options.EndPoints)}) refused the credentials{user} in " +
                $"'{LockSettings.ConfigPath}.redis.configuration': check the user and password.");
        }
        catch (RedisException)
        {
            // Not there yet: the connection keeps trying in the background.
        }
    }

    private static bool IsAuthenticationFailure(RedisException error) =>
        error is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
        || error.Message.Contains("NOAUTH", StringComparison.Ordinal)
        || error.Message.Contains("WRONGPASS", StringComparison.Ordinal);

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

    // Once Redis answers: whether it runs what the settings need (WAIT for min-replica-acks).
    private async Task CheckServerAsync(Task terminated)
    {
        var store = (RedisLockStore)Store;
        while (!terminated.IsCompleted)
        {
            try
            {
                if (await store.CheckReplicaAcksAsync().ConfigureAwait(false) is { } problem)
                {
                    store.ConfigurationProblem = problem;
                    _log.Error("Redis configuration problem: {Problem}", problem);
                }
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
        _topology.Dispose();
        if (_ownsConnection) Connection.Dispose();
        Metrics.Dispose();
    }
}
