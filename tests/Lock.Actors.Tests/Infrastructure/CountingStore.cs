using Lock.Actors.Redis;

namespace Lock.Actors.Tests.Infrastructure;

/// <summary>The real Redis store, counting the calls that go through it.</summary>
internal sealed class CountingStore(ILockStore inner) : ILockStore
{
    private int _acquires;

    public string? ConfigurationProblem => inner.ConfigurationProblem;

    public int Acquires => Volatile.Read(ref _acquires);

    public TimeSpan CallTimeout => inner.CallTimeout;

    public LockKeyNames NamesOf(string key) => inner.NamesOf(key);

    public Task<AcquireOutcome> TryAcquireAsync(LockKeyNames key, string token, TimeSpan ttl, bool waited = false)
    {
        Interlocked.Increment(ref _acquires);
        return inner.TryAcquireAsync(key, token, ttl, waited);
    }

    public Task<AcquireOutcome[]> TryAcquireSharedAsync(LockKeyNames key, IReadOnlyList<SharedAcquire> requests)
    {
        Interlocked.Increment(ref _acquires);
        return inner.TryAcquireSharedAsync(key, requests);
    }

    public Task<bool> ReleaseAsync(LockKeyNames key, string token) => inner.ReleaseAsync(key, token);

    public Task WithdrawAsync(LockKeyNames key, string token) => inner.WithdrawAsync(key, token);

    public Task<bool> ExtendAsync(LockKeyNames key, string token, TimeSpan ttl) => inner.ExtendAsync(key, token, ttl);

    public Task<KeyState> GetStateAsync(string key) => inner.GetStateAsync(key);

    public Task SubscribeReleasesAsync(Action<string> onReleased) => inner.SubscribeReleasesAsync(onReleased);

    public Task UnsubscribeReleasesAsync() => inner.UnsubscribeReleasesAsync();

    public Task<WatchedState> WatchAsync(LockKeyNames key, TimeSpan markerTtl) => inner.WatchAsync(key, markerTtl);

    public Task SubscribeChangesAsync(Action<string, LockChange> onChange) => inner.SubscribeChangesAsync(onChange);

    public Task UnsubscribeChangesAsync() => inner.UnsubscribeChangesAsync();
}
