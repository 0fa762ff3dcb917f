using System.Diagnostics;
using Akka.Hosting;
using Lock.Actors;
using Lock.Actors.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static Lock.Actors.LockProtocol;

namespace Lock.Host;

/// <summary>
/// One lock node: a generic host with an ActorSystem that embeds Lock.Actors through Akka.Hosting,
/// Akka's logs routed to Microsoft.Extensions.Logging, and the start-up self-test of the original service.
/// </summary>
internal static class LockNode
{
    public const string HostConfigFile = "hocon/lock-host.conf";
    private const string SelfTestKey = "test_lock";

    /// <param name="configure">More for the node's ActorSystem (a leader-only actor, say); it may read the
    /// host's services once the host has started.</param>
    public static async Task<IHost> StartAsync(
        string name, NodeSettings settings, CancellationToken cancellationToken,
        Action<AkkaConfigurationBuilder, Func<IServiceProvider>>? configure = null, bool selfTest = true)
    {
        IHost? built = null;
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "Lock.Host",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(settings.LogLevel);
        // Akka's own chatter (dispatchers, remoting, coordinated shutdown phases) only when it matters.
        builder.Logging.AddFilter("Akka", LogLevel.Warning);
        // The library's own lines (a node's start and shutdown) only when asked for; the commands say the outcome.
        builder.Logging.AddFilter("Lock.Actors", settings.LogLevel <= LogLevel.Debug ? settings.LogLevel : LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

        builder.Services.AddAkka(name, akka => akka
            .AddHoconFile(Path.Combine(AppContext.BaseDirectory, HostConfigFile), HoconAddMode.Prepend)
            .WithLoggerFactoryByCategory()
            .WithDistributedLocks(options =>
            {
                options.RedisConfiguration = settings.Redis.Configuration;
                if (settings.KeyPrefix is not null) options.KeyPrefix = settings.KeyPrefix;
            })
            .WithExtra(configure, () => built!.Services));
        builder.Services.AddLockService();

        var host = built = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (FindConfigurationError(e) is { } configuration)
        {
            host.Dispose();
            throw new HostFailureException(configuration.Message, HostFailureException.Misconfigured);
        }
        try
        {
            if (selfTest) await SelfTestAsync(host, name, settings.Redis).ConfigureAwait(false);
        }
        catch
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            host.Dispose();
            throw;
        }
        return host;
    }

    private static AkkaConfigurationBuilder WithExtra(
        this AkkaConfigurationBuilder builder, Action<AkkaConfigurationBuilder, Func<IServiceProvider>>? configure, Func<IServiceProvider> services)
    {
        configure?.Invoke(builder, services);
        return builder;
    }

    private static Akka.Configuration.ConfigurationException? FindConfigurationError(Exception error) => error switch
    {
        Akka.Configuration.ConfigurationException configuration => configuration,
        AggregateException aggregate => aggregate.InnerExceptions.Select(FindConfigurationError).FirstOrDefault(e => e is not null),
        { InnerException: { } inner } => FindConfigurationError(inner),
        _ => null,
    };

    /// <summary>Acquire test_lock (ttl 5 s, timeout 3 s) and release it, as the original service did after init.</summary>
    private static async Task SelfTestAsync(IHost host, string name, RedisEndpoint redis)
    {
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Lock.Host.SelfTest");
        var service = host.Services.GetRequiredService<LockService>();
        var clock = Stopwatch.StartNew();
        try
        {
            var handle = await service.TryAcquireAsync(SelfTestKey, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3))
                .ConfigureAwait(false);
            if (handle is null)
            {
                log.LogWarning("{Node}: self-test found {Key} held elsewhere for 3 s; Redis answers, going on", name, SelfTestKey);
                return;
            }
            var released = await handle.ReleaseAsync().ConfigureAwait(false);
            log.LogInformation("{Node}: self-test acquired {Key} (fencing token {FencingToken}) and {Outcome} it in {Elapsed} ms",
                name, SelfTestKey, handle.FencingToken, released ? "released" : "could not release", clock.ElapsedMilliseconds);
        }
        catch (LockAcquireException e) when (e.Reason == AcquireFailure.Unavailable)
        {
            // A problem Redis named (credentials, TLS, ACL) will not go away by waiting: say it as such.
            if (host.Services.GetRequiredService<DistributedLocks>().ConfigurationProblem is { } problem)
                throw new HostFailureException(problem, HostFailureException.Misconfigured);
            throw new HostFailureException(
                $"Redis ({redis.Description}) is not reachable: {e.Message}", HostFailureException.Failed);
        }
    }
}
