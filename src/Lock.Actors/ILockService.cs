using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>
/// The lock API for code that is not an actor (<see cref="LockService"/>), as an interface: registered
/// in the container by <c>AddLockService</c>, so an application can take it in its constructors and
/// tests can stand in for it. Every method takes a <see cref="CancellationToken"/>; cancelling stops the
/// wait, and an acquire that was waiting is withdrawn (a grant racing with it is given back).
/// </summary>
public interface ILockService
{
    /// <inheritdoc cref="LockService.TryAcquireAsync(string, TimeSpan?, TimeSpan?, CancellationToken)"/>
    Task<LockHandle?> TryAcquireAsync(string key, TimeSpan? ttl = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.TryAcquireAsync(string, TimeSpan?, TimeSpan?, bool, CancellationToken)"/>
    Task<LockHandle?> TryAcquireAsync(string key, TimeSpan? ttl, TimeSpan? timeout, bool autoExtend, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.AcquireAsync(string, TimeSpan?, TimeSpan?, CancellationToken)"/>
    Task<LockHandle> AcquireAsync(string key, TimeSpan? ttl = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.AcquireAsync(string, TimeSpan?, TimeSpan?, bool, CancellationToken)"/>
    Task<LockHandle> AcquireAsync(string key, TimeSpan? ttl, TimeSpan? timeout, bool autoExtend, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.AcquireReadAsync"/>
    Task<LockHandle> AcquireReadAsync(string key, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.TryAcquireReadAsync"/>
    Task<LockHandle?> TryAcquireReadAsync(string key, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.AcquireWriteAsync"/>
    Task<LockHandle> AcquireWriteAsync(string key, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.TryAcquireWriteAsync"/>
    Task<LockHandle?> TryAcquireWriteAsync(string key, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.AcquirePermitAsync"/>
    Task<LockHandle> AcquirePermitAsync(string key, int limit, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.TryAcquirePermitAsync"/>
    Task<LockHandle?> TryAcquirePermitAsync(string key, int limit, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.ReleaseAsync"/>
    Task<bool> ReleaseAsync(string key, string token, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.ExtendAsync"/>
    Task<bool> ExtendAsync(string key, string token, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.IsLockedAsync"/>
    Task<bool> IsLockedAsync(string key, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.GetStatusAsync"/>
    Task<LockStatus> GetStatusAsync(string key, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.GetActiveLocksAsync"/>
    Task<IReadOnlyList<ActiveLock>> GetActiveLocksAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.ForceReleaseAllAsync"/>
    Task<int> ForceReleaseAllAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.CampaignAsync"/>
    Task<Leadership> CampaignAsync(string name, string? candidateId = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="LockService.WatchLeaderAsync"/>
    IAsyncEnumerable<LeaderInfo> WatchLeaderAsync(string name, CancellationToken cancellationToken = default);
}
