using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Lock.Actors.Diagnostics;

public static class HealthChecksBuilderExtensions
{
    /// <summary>Adds <see cref="DistributedLocksHealthCheck"/> for the application's ActorSystem.</summary>
    public static IHealthChecksBuilder AddDistributedLocks(
        this IHealthChecksBuilder builder, string name = "distributed-locks", IEnumerable<string>? tags = null) =>
        builder.Add(new HealthCheckRegistration(
            name,
            sp => new DistributedLocksHealthCheck(sp.GetRequiredService<ActorSystem>()),
            failureStatus: HealthStatus.Unhealthy,
            tags));
}
