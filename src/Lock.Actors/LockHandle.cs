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

    internal LockHandle(LockService service, string key, string token, long fencingToken, TimeSpan ttl)
    {
        _service = service;
        Key = key;
        Token = token;
        FencingToken = fencingToken;
        Ttl = ttl;
    }

    public string Key { get; }

    /// <summary>The secret that proves ownership; needed to release or extend from elsewhere.</summary>
    public string Token { get; }

    /// <summary>Strictly increasing per key: pass it to the resource you protect so it can reject stale writers.</summary>
    public long FencingToken { get; }

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

    /// <summary>Releases the lock; false when it was no longer held by this handle.</summary>
    public async Task<bool> ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1) return false;
        try
        {
            var released = await _service.ReleaseAsync(Key, Token).ConfigureAwait(false);
            // Not held at release: it had expired or been taken over, which is a loss.
            if (!released) MarkLost();
            return released;
        }
        finally
        {
            _service.Forget(this);
        }
    }

    /// <summary>Resets the TTL (to <paramref name="ttl"/>, or the TTL it was taken with); false when no longer held.</summary>
    public Task<bool> ExtendAsync(TimeSpan? ttl = null) => _service.ExtendAsync(Key, Token, ttl ?? Ttl);

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

    public override string ToString() =>
        $"LockHandle {{ Key = {Key}, Token = {LockTokens.Redact(Token)}, FencingToken = {FencingToken} }}";
}
