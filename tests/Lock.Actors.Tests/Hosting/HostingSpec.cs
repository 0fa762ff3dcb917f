using GenericHost = Microsoft.Extensions.Hosting.Host;
using Akka.Actor;
using Akka.Hosting;
using Lock.Actors.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Hosting;

/// <summary>An application that adds locks through Akka.Hosting, in a plain generic host.</summary>
[Collection(RedisCollection.Name)]
public sealed class HostingSpec(RedisFixture redis) : IAsyncLifetime
{
    private readonly string _prefix = LockSpec.NewPrefix();
    private IHost _host = null!;

    /// <summary>An application actor that takes locks by Ask and reports the outcome to whoever asked it.</summary>
    private sealed class ReportWriter : ReceiveActor
    {
        public sealed record Write(string Key);

        public ReportWriter(IRequiredActor<LockManager> locks)
        {
            ReceiveAsync<Write>(async write =>
            {
                var manager = await locks.GetAsync();
                var reply = await manager.Ask<object>(new Acquire(write.Key, Owner: Self), TimeSpan.FromSeconds(5));
                Sender.Tell(reply);
            });
        }
    }

    private sealed class Writer;

    public async Task InitializeAsync()
    {
        _host = GenericHost.CreateDefaultBuilder()
            .ConfigureServices(services =>
            {
                services.AddAkka("hosted-app", builder => builder
                    .WithDistributedLocks(options =>
                    {
                        options.RedisConfiguration = redis.Configuration;
                        options.KeyPrefix = _prefix;
                        options.DefaultTtl = TimeSpan.FromMinutes(2);
                    })
                    .WithActors((system, registry, resolver) =>
                        registry.Register<Writer>(system.ActorOf(resolver.Props<ReportWriter>(), "report-writer"))));
                services.AddLockService();
            })
            .Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    [Fact]
    public async Task The_manager_is_in_the_registry_and_answers_an_Ask_from_another_actor()
    {
        var manager = await _host.Services.GetRequiredService<IRequiredActor<LockManager>>().GetAsync();
        Assert.Equal(DistributedLocks.Get(_host.Services.GetRequiredService<ActorSystem>()).Manager, manager);

        var writer = await _host.Services.GetRequiredService<IRequiredActor<Writer>>().GetAsync();
        var reply = await writer.Ask<object>(new ReportWriter.Write("reports:daily"), TimeSpan.FromSeconds(10));
        var acquired = Assert.IsType<LockAcquired>(reply);
        Assert.Equal(TimeSpan.FromMinutes(2), acquired.Ttl);
        Assert.Equal(acquired.Token, (string?)await redis.Db.StringGetAsync(_prefix + "{reports:daily}"));
    }

    [Fact]
    public async Task LockService_resolves_from_the_container_and_works()
    {
        var service = _host.Services.GetRequiredService<LockService>();
        await using (var handle = await service.AcquireAsync("di:job"))
            Assert.True(await service.IsLockedAsync("di:job"));
        Assert.False(await service.IsLockedAsync("di:job"));
    }

    [Fact]
    public async Task ILockService_resolves_as_the_same_service_so_applications_can_depend_on_the_interface()
    {
        var service = _host.Services.GetRequiredService<ILockService>();
        Assert.Same(_host.Services.GetRequiredService<LockService>(), service);
        await using var handle = await service.AcquireAsync("through-the-interface", cancellationToken: CancellationToken.None);
        Assert.True(await service.IsLockedAsync("through-the-interface", CancellationToken.None));
    }

    [Fact]
    public async Task Stopping_the_host_releases_every_lock_the_node_holds()
    {
        var service = _host.Services.GetRequiredService<LockService>();
        await service.AcquireAsync("h1");
        await service.AcquireAsync("h2", TimeSpan.FromSeconds(3), timeout: null, autoExtend: true);
        var writer = await _host.Services.GetRequiredService<IRequiredActor<Writer>>().GetAsync();
        Assert.IsType<LockAcquired>(await writer.Ask<object>(new ReportWriter.Write("h3"), TimeSpan.FromSeconds(10)));
        Assert.Equal(3, redis.KeysUnder(_prefix + "{").Count);

        await _host.StopAsync();

        Assert.Empty(redis.KeysUnder(_prefix + "{"));
    }
}

[Collection(RedisCollection.Name)]
public sealed class HostedConnectionSpec(RedisFixture redis)
{
    [Fact]
    public async Task The_applications_own_multiplexer_is_taken_from_the_container_and_left_open()
    {
        await using var appConnection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        using var host = GenericHost.CreateDefaultBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton<IConnectionMultiplexer>(appConnection);
                services.AddAkka("hosted-connection", builder => builder.WithDistributedLocks(options =>
                {
                    options.KeyPrefix = LockSpec.NewPrefix();
                    options.RedisConfiguration = "127.0.0.1:1"; // never dialled: the factory wins
                    options.ConnectionFactory = sp => sp.GetRequiredService<IConnectionMultiplexer>();
                }));
                services.AddLockService();
            })
            .Build();
        await host.StartAsync();

        Assert.Same(appConnection, host.Services.GetRequiredService<DistributedLocks>().Connection);
        await using (await host.Services.GetRequiredService<LockService>().AcquireAsync("shared")) { }

        await host.StopAsync();
        Assert.True(appConnection.IsConnected);
    }

    [Fact]
    public void Options_write_only_the_keys_that_are_set()
    {
        var config = new DistributedLocksOptions { KeyPrefix = "app:\"x\"", DefaultTtl = TimeSpan.FromSeconds(5) }.ToConfig();
        Assert.Equal("app:\"x\"", config.GetString("lock.key-prefix"));
        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan("lock.default-ttl"));
        Assert.False(config.HasPath("lock.default-timeout"));
        Assert.False(config.HasPath("lock.redis.configuration"));
        Assert.True(new DistributedLocksOptions().ToConfig().IsEmpty);
    }

    [Fact]
    public void Options_carry_replica_acks_and_TLS_into_the_settings()
    {
        var config = new DistributedLocksOptions
        {
            MinReplicaAcks = 1,
            ReplicaAckTimeout = TimeSpan.FromMilliseconds(250),
            TlsCaCertificate = "/etc/hostname",
            TlsClientCertificate = "/etc/hostname",
            TlsClientKey = "/etc/hostname",
        }.ToConfig().WithFallback(DistributedLocks.DefaultConfig());
        var settings = LockSettings.Create(config.GetConfig(LockSettings.ConfigPath));
        Assert.Equal(1, settings.MinReplicaAcks);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.ReplicaAckTimeout);
        Assert.Equal(("/etc/hostname", "/etc/hostname", "/etc/hostname"),
            (settings.TlsCaCertificate, settings.TlsClientCertificate, settings.TlsClientKey));
    }
}
