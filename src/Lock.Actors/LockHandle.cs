using Lock.Actors.Redis;

namespace Lock.Actors;

/// <summary>
/// A lock held through the <see cref="LockService"/> facade. Disposing it releases the lock
/// (<c>await using var handle = await locks.AcquireAsync("key");</c>).
/// <see cref="Lost"/> is cancelled if the lock is lost before it is released.
/// </summary>
public sealed class LockHandle : IAsyncDisposable
{
    private readonly LockService _service;
    // Made on first use of Lost: most handles are released without anyone asking.
    private CancellationTokenSource? _lost;
    private int _isLost;
    private int _released;
    private int _releaseFailed;

    internal LockHandle(LockService service, string key, string token, long fencingToken, TimeSpan ttl)
    {
        _service = service;
        Key = key;
        Token = token;
        FencingToken = fencingToken;
        Ttl = ttl;
    }

    /// <summary>The lock's key.</summary>
    public string Key { get; }

    /// <summary>The secret that proves ownership; needed to release or extend from elsewhere.</summary>
    public string Token { get; }

    /// <summary>Strictly increasing per key: pass it to the resource you protect so it can reject stale writers.</summary>
    public long FencingToken { get; }

    /// <summary>The TTL the lock was granted with.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Cancelled when the lock is lost (TTL ran out, or the watchdog found it gone).</summary>
    public CancellationToken Lost
    {
        get
        {
            if (Volatile.Read(ref _lost) is { } made) return made.Token;
            var fresh = new CancellationTokenSource();
            var source = Interlocked.CompareExchange(ref _lost, fresh, null) ?? fresh;
            // A loss marked before the source existed cancels it here; one marked after, in MarkLost.
            if (Volatile.Read(ref _isLost) == 1) Cancel(source);
            return source.Token;
        }
    }

    /// <summary>
    /// Releases the lock; false when it was no longer held by this handle. When Redis cannot be reached
    /// it throws <see cref="LockOperationException"/>; the node keeps trying to release in the
    /// background, and the handle may be released again (it then asks Redis once more: false if the
    /// background release or the TTL got there first).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the answer (the release goes on; the handle may be released again).</param>
    public async Task<bool> ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _released, 1) == 1) return false;
        bool released;
        try
        {
            released = await _service.ReleaseAsync(Key, Token, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not known to be released: it may be released again, and Lost still reports its TTL
            // running out before any release landed.
            Volatile.Write(ref _releaseFailed, 1);
            Volatile.Write(ref _released, 0);
            throw;
        }
        // Not held at release: it had expired or been taken over, which is a loss, unless an earlier
        // release that failed here was completed by the node in the background.
        if (!released && Volatile.Read(ref _releaseFailed) == 0) MarkLost();
        _service.Forget(this);
        return released;
    }

    /// <summary>Resets the TTL (to <paramref name="ttl"/>, or the TTL it was taken with); false when no longer held.</summary>
    public Task<bool> ExtendAsync(TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        _service.ExtendAsync(Key, Token, ttl ?? Ttl, cancellationToken);

    /// <summary>
    /// Releases the lock. Never throws: if Redis cannot be reached the lock frees itself when its TTL
    /// runs out, and the failure is logged.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _service.LogDisposeFailure(Key, e);
        }
    }

    internal void MarkLost()
    {
        Interlocked.Exchange(ref _isLost, 1);
        if (Volatile.Read(ref _lost) is { } source) Cancel(source);
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The key and fencing token (never the token).</summary>
    public override string ToString() =>
        $"LockHandle {{ Key = {Key}, Token = {LockTokens.Redact(Token)}, FencingToken = {FencingToken} }}";
}
