using Akka.Actor;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Lock.Actors.Diagnostics;

/// <summary>
/// Unhealthy when Redis does not answer a PING within lock.operation-timeout; Degraded when the
/// watchdog lost a lock within <see cref="LossWindow"/>; Healthy otherwise. Register it with
/// <c>services.AddHealthChecks().AddDistributedLocks()</c>.
/// </summary>
public sealed class DistributedLocksHealthCheck : IHealthCheck
{
    /// <summary>How long a watchdog loss keeps the check Degraded.</summary>
    public static readonly TimeSpan LossWindow = TimeSpan.FromMinutes(5);

    private readonly DistributedLocks _locks;

    /// <summary>The check of <paramref name="system"/>'s lock subsystem.</summary>
    /// <param name="system">The application's ActorSystem.</param>
    public DistributedLocksHealthCheck(ActorSystem system)
    {
        _locks = DistributedLocks.Get(system);
    }

    /// <summary>PINGs Redis (within <c>lock.operation-timeout</c>) and reads the node's recent losses.</summary>
    /// <param name="context">The health-check context.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["active_locks"] = _locks.ActiveLocks,
            ["waiters"] = _locks.Waiters,
        };
        if (_locks.ConfigurationProblem is { } problem) return HealthCheckResult.Unhealthy(problem, data: data);
        try
        {
            var connection = await _locks.ConnectionReady.WaitAsync(_locks.Settings.OperationTimeout, cancellationToken).ConfigureAwait(false);
            var ping = await connection.GetDatabase(_locks.Settings.RedisDatabase).PingAsync()
                .WaitAsync(_locks.Settings.OperationTimeout, cancellationToken).ConfigureAwait(false);
            data["redis_ping_ms"] = ping.TotalMilliseconds;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Redis did not answer: {e.Message}", e, data);
        }

        if (_locks.LastWatchdogLossAt is { } lostAt && DateTimeOffset.UtcNow - lostAt < LossWindow)
        {
            data["last_watchdog_loss"] = lostAt;
            return HealthCheckResult.Degraded($"The watchdog lost a lock at {lostAt:O}.", data: data);
        }
        return HealthCheckResult.Healthy("Redis answers and no lock was lost recently.", data);
    }
}
