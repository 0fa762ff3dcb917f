using Akka.Actor;
using Akka.Coordination;
using Akka.Hosting;
using Lock.Actors.Coordination;
using Lock.Actors.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using GenericHost = Microsoft.Extensions.Hosting.Host;

namespace Lock.Actors.Tests.Hosting;

[Collection(RedisCollection.Name)]
public sealed class RedisLeaseOptionSpec(RedisFixture redis)
{
    [Fact]
    public async Task The_hosting_option_writes_the_set_timings_and_the_lease_class()
    {
        var prefix = LockSpec.NewPrefix();
        using var host = GenericHost.CreateDefaultBuilder()
            .ConfigureServices((_, services) => services.AddAkka("lease-option", (builder, _) =>
            {
                builder.WithDistributedLocks(options =>
                {
                    options.RedisConfiguration = redis.Configuration;
                    options.KeyPrefix = prefix;
                });
                new RedisLeaseOption { HeartbeatTimeout = TimeSpan.FromSeconds(30) }.Apply(builder);
            }))
            .Build();
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var section = system.Settings.Config.GetConfig(RedisLease.ConfigPath);
            Assert.Equal(TimeSpan.FromSeconds(30), section.GetTimeSpan("heartbeat-timeout"));
            Assert.Equal(TimeSpan.FromSeconds(12), section.GetTimeSpan("heartbeat-interval")); // the default, untouched

            var lease = LeaseProvider.Get(system).GetLease("hosted", RedisLease.ConfigPath, "owner-1");
            Assert.Equal(TimeSpan.FromSeconds(30), Assert.IsType<RedisLease>(lease).Settings.TimeoutSettings.HeartbeatTimeout);
            Assert.True(await lease.Acquire());
            var pttl = await redis.Db.KeyTimeToLiveAsync(prefix + "{lease:hosted}");
            Assert.InRange(pttl!.Value, TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(30));
            Assert.True(await lease.Release());
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
