using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

// Read, write and permit locks: the same acquire in the other modes (LockProtocol.Acquire's Mode and Limit).
public sealed partial class LockService
{
    /// <summary>
    /// Takes a read lock on <paramref name="key"/>: held together with other readers, never with a writer.
    /// Once a writer waits for the key (on any node) new readers wait behind it. Throws
    /// <see cref="LockAcquireException"/> carrying the reason when not granted.
    /// </summary>
    /// <param name="key">The lock's key.</param>
    /// <param name="ttl">How long the read lock lives without an extend (default <c>lock.default-ttl</c>).</param>
    /// <param name="timeout">How long to wait (default <c>lock.default-timeout</c>; <see cref="Timeout.InfiniteTimeSpan"/>: until granted or cancelled).</param>
    /// <param name="autoExtend">Keep extending it (at a third of its TTL) until it is released.</param>
    /// <param name="cancellationToken">Stops the wait; a waiting acquire is withdrawn.</param>
    public Task<LockHandle> AcquireReadAsync(
        string key, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(key, ttl, timeout, autoExtend, nullOnTimeout: false, cancellationToken, LockMode.Shared, null)!;

    /// <summary>As <see cref="AcquireReadAsync"/>, but null when the key stayed write-locked (or a writer stayed ahead) for the whole timeout.</summary>
    /// <inheritdoc cref="AcquireReadAsync" path="/param"/>
    public Task<LockHandle?> TryAcquireReadAsync(
        string key, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(key, ttl, timeout, autoExtend, nullOnTimeout: true, cancellationToken, LockMode.Shared, null);

    /// <summary>
    /// Takes the write lock on <paramref name="key"/>: held alone, by no reader or other writer at the same
    /// time (the same lock as <see cref="AcquireAsync(string, TimeSpan?, TimeSpan?, bool, CancellationToken)"/>).
    /// </summary>
    /// <inheritdoc cref="AcquireReadAsync" path="/param"/>
    public Task<LockHandle> AcquireWriteAsync(
        string key, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(key, ttl, timeout, autoExtend, nullOnTimeout: false, cancellationToken, LockMode.Exclusive, null)!;

    /// <summary>As <see cref="AcquireWriteAsync"/>, but null when the key stayed held for the whole timeout.</summary>
    /// <inheritdoc cref="AcquireReadAsync" path="/param"/>
    public Task<LockHandle?> TryAcquireWriteAsync(
        string key, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(key, ttl, timeout, autoExtend, nullOnTimeout: true, cancellationToken, LockMode.Exclusive, null);

    /// <summary>
    /// Takes one of <paramref name="limit"/> permits of the semaphore <paramref name="key"/>: granted while
    /// fewer than <paramref name="limit"/> hold it. Every holder of a semaphore names the same limit; a
    /// request naming another while permits are held is refused (<see cref="AcquireFailure.InvalidRequest"/>).
    /// </summary>
    /// <param name="key">The semaphore's key.</param>
    /// <param name="limit">How many may hold it at once (at least 1).</param>
    /// <param name="ttl">How long the permit lives without an extend (default <c>lock.default-ttl</c>).</param>
    /// <param name="timeout">How long to wait (default <c>lock.default-timeout</c>; <see cref="Timeout.InfiniteTimeSpan"/>: until granted or cancelled).</param>
    /// <param name="autoExtend">Keep extending it (at a third of its TTL) until it is released.</param>
    /// <param name="cancellationToken">Stops the wait; a waiting acquire is withdrawn.</param>
    public Task<LockHandle> AcquirePermitAsync(
        string key, int limit, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(key, ttl, timeout, autoExtend, nullOnTimeout: false, cancellationToken, LockMode.Shared, limit)!;

    /// <summary>As <see cref="AcquirePermitAsync"/>, but null when no permit came free within the timeout.</summary>
    /// <inheritdoc cref="AcquirePermitAsync" path="/param"/>
    public Task<LockHandle?> TryAcquirePermitAsync(
        string key, int limit, TimeSpan? ttl = null, TimeSpan? timeout = null, bool autoExtend = false, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(key, ttl, timeout, autoExtend, nullOnTimeout: true, cancellationToken, LockMode.Shared, limit);
}
