using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Lock.Actors.Coordination;
using Lock.Actors.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using GenericHost = Microsoft.Extensions.Hosting.Host;

namespace Lock.Actors.Tests.Hosting;

/// <summary>
/// A <see cref="RedisLeaseOption"/> given only to a Cluster Singleton's own options (Akka.Cluster.Hosting
/// takes just its config path): its heartbeat timeout is the lease's TTL in Redis.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class SingletonLeaseOptionSpec(RedisFixture redis)
{
    private sealed class Scheduler;

    private sealed class Started : ReceiveActor
    {
        public Started(TaskCompletionSource started) => started.TrySetResult();
    }

    [Fact]
    public async Task The_options_heartbeat_timeout_is_the_singletons_lease_ttl_without_Apply()
    {
        var prefix = LockSpec.NewPrefix();
        var port = FreePort();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = GenericHost.CreateDefaultBuilder()
            .ConfigureServices(services => services.AddAkka("lease-singleton", builder => builder
                .WithRemoting("127.0.0.1", port)
                .WithClustering(new ClusterOptions { SeedNodes = [$"akka.tcp://lease-singleton@127.0.0.1:{port}"] })
                .WithDistributedLocks(options =>
                {
                    options.RedisConfiguration = redis.Configuration;
                    options.KeyPrefix = prefix;
                })
                .WithSingleton<Scheduler>("scheduler", Props.Create(() => new Started(started)), new ClusterSingletonOptions
                {
                    LeaseImplementation = new RedisLeaseOption { HeartbeatTimeout = TimeSpan.FromSeconds(30) },
                })))
            .Build();
        await host.StartAsync();
        try
        {
            // The singleton starts only once it holds its lease.
            await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
            var lease = Assert.Single(redis.KeysUnder(prefix), key => key.StartsWith(prefix + "{lease:", StringComparison.Ordinal));
            var ttl = await redis.Db.KeyTimeToLiveAsync(lease);
            Assert.InRange(ttl ?? TimeSpan.Zero, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
