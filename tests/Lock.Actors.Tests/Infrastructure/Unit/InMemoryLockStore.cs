using System.Diagnostics;
using Lock.Actors.Redis;

namespace Lock.Actors.Tests.Infrastructure.Unit;

/// <summary>
/// A lock store in process memory, with the semantics the store contract states: tokens that increase
/// per key, the holder's remaining TTL when held, idempotent retries, compare-and-delete release that
/// announces a key someone waited for, compare-and-expire extend. For specs of code above the store.
/// </summary>
internal sealed class InMemoryLockStore : ILockStore
{
    private sealed class Entry
    {
        public string? Token;
        public long ExpiresAt;
        public long Fence;
        public bool Waited;
        public bool Watched;
    }

    private readonly LockKeys _keys = new("lock:memory:");
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private Action<string>? _onReleased;
    private Action<string, LockChange>? _onChange;

    public TimeSpan CallTimeout => TimeSpan.FromSeconds(5);

    public LockKeyNames NamesOf(string key) => _keys.NamesOf(key);

    public Task<AcquireOutcome> TryAcquireAsync(LockKeyNames key, string token, TimeSpan ttl)
    {
        lock (_gate)
        {
            var entry = EntryOf(key.Key);
            if (entry.Token is null)
            {
                entry.Token = token;
                entry.ExpiresAt = Now + Ticks(ttl);
                entry.Fence++;
                if (entry.Watched) Announce(key, new LockChange(key.Lock!, true, entry.Fence, ttl, LockTokens.LabelOf(token)));
                return Task.FromResult(AcquireOutcome.Granted(entry.Fence));
            }
            if (entry.Token == token)
            {
                entry.ExpiresAt = Now + Ticks(ttl);
                return Task.FromResult(AcquireOutcome.Granted(entry.Fence));
            }
            entry.Waited = true;
            return Task.FromResult(AcquireOutcome.HeldElsewhere(Stopwatch.GetElapsedTime(Now, entry.ExpiresAt)));
        }
    }

    public Task<bool> ReleaseAsync(LockKeyNames key, string token)
    {
        Action<string>? announce = null;
        lock (_gate)
        {
            var entry = EntryOf(key.Key);
            if (entry.Token != token) return Task.FromResult(false);
            entry.Token = null;
            if (entry.Waited) announce = _onReleased;
            entry.Waited = false;
            if (entry.Watched) Announce(key, new LockChange(key.Lock!, false, entry.Fence, null, LockTokens.LabelOf(token)));
        }
        announce?.Invoke(key.Key);
        return Task.FromResult(true);
    }

    public Task<bool> ExtendAsync(LockKeyNames key, string token, TimeSpan ttl)
    {
        lock (_gate)
        {
            var entry = EntryOf(key.Key);
            if (entry.Token != token) return Task.FromResult(false);
            entry.ExpiresAt = Now + Ticks(ttl);
            return Task.FromResult(true);
        }
    }

    public Task<KeyState> GetStateAsync(string key)
    {
        lock (_gate)
        {
            var entry = EntryOf(key);
            return Task.FromResult(entry.Token is null
                ? new KeyState(false, null)
                : new KeyState(true, Stopwatch.GetElapsedTime(Now, entry.ExpiresAt)));
        }
    }

    public Task SubscribeReleasesAsync(Action<string> onReleased)
    {
        _onReleased = onReleased;
        return Task.CompletedTask;
    }

    public Task UnsubscribeReleasesAsync()
    {
        _onReleased = null;
        return Task.CompletedTask;
    }

    public Task<WatchedState> WatchAsync(LockKeyNames key, TimeSpan markerTtl)
    {
        lock (_gate)
        {
            var entry = EntryOf(key.Key);
            entry.Watched = true;
            return Task.FromResult(new WatchedState(
                entry.Token is not null,
                entry.Fence == 0 ? null : entry.Fence,
                LockTokens.LabelOf(entry.Token),
                entry.Token is null ? null : Stopwatch.GetElapsedTime(Now, entry.ExpiresAt)));
        }
    }

    public Task SubscribeChangesAsync(Action<string, LockChange> onChange)
    {
        _onChange = onChange;
        return Task.CompletedTask;
    }

    public Task UnsubscribeChangesAsync()
    {
        _onChange = null;
        return Task.CompletedTask;
    }

    // Under the gate, as Redis publishes inside the script: announcements leave in the order of the changes.
    private void Announce(LockKeyNames key, LockChange change) => _onChange?.Invoke(key.Key, change);

    // The entry of a key, with an expired holder already gone (Redis expires keys the same way).
    private Entry EntryOf(string key)
    {
        if (!_entries.TryGetValue(key, out var entry)) _entries[key] = entry = new Entry();
        if (entry.Token is not null && entry.ExpiresAt <= Now) entry.Token = null;
        return entry;
    }

    private static long Now => Stopwatch.GetTimestamp();

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
