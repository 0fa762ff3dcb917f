using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Lock.Actors.Diagnostics;

/// <summary>Registers the lock subsystem's health check.</summary>
public static class HealthChecksBuilderExtensions
{
    /// <summary>Adds <see cref="DistributedLocksHealthCheck"/> for the application's ActorSystem.</summary>
    /// <param name="builder">The application's health checks.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags to filter checks by (readiness, liveness).</param>
    public static IHealthChecksBuilder AddDistributedLocks(
        this IHealthChecksBuilder builder, string name = "distributed-locks", IEnumerable<string>? tags = null) =>
        builder.Add(new HealthCheckRegistration(
            name,
            sp => new DistributedLocksHealthCheck(sp.GetRequiredService<ActorSystem>()),
            failureStatus: HealthStatus.Unhealthy,
            tags));
}
