using Akka.Actor;
using Lock.Actors.Diagnostics;
using Lock.Actors.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Hosting;

[Collection(AloneCollection.Name)]
public sealed class HealthCheckSpec(ITestOutputHelper output) : PrivateRedisSpec(NewServer(), output)
{
    private Task<HealthCheckResult> CheckAsync() =>
        new DistributedLocksHealthCheck(Sys).CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public async Task Healthy_then_degraded_after_a_watchdog_loss_then_unhealthy_when_Redis_is_down()
    {
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("health", Ttl: TimeSpan.FromMilliseconds(900), AutoExtend: true, Owner: owner));
        await ExpectMsgAsync<LockAcquired>();
        await Server.RestartAsync(); // the lock is wiped; the watchdog notices
        await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(8));
        await AwaitAssertAsync(async () => Assert.Equal(HealthStatus.Degraded, (await CheckAsync()).Status),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));

        await Server.StopAsync();
        var down = await CheckAsync();
        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.Contains("Redis did not answer", down.Description);
    }
}
