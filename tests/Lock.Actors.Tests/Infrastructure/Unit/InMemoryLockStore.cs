using System.Diagnostics;
using Lock.Actors.Redis;

namespace Lock.Actors.Tests.Infrastructure.Unit;

/// <summary>
/// A lock store in process memory, with the semantics the store contract states: tokens that increase
/// per key, the holder's remaining TTL when held, idempotent retries, compare-and-delete release that
/// announces a key someone waited for, compare-and-expire extend; shared holders that expire each on
/// their own, under one limit, kept out by a writer that holds or waits. (Readers' turns after a writer
/// are the Redis store's alone.) For specs of code above the store.
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
        // Shared holders: token → expiry; their limit (0 readers); waiting writers: token → until when.
        public readonly Dictionary<string, long> Shared = new(StringComparer.Ordinal);
        public int Limit;
        public readonly Dictionary<string, long> Writers = new(StringComparer.Ordinal);
    }

    // How long a refused writer counts as waiting.
    private static readonly TimeSpan WriterWait = TimeSpan.FromSeconds(1);

    private readonly LockKeys _keys = new("lock:memory:");
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private Action<string>? _onReleased;
    private Action<string, LockChange>? _onChange;

    public TimeSpan CallTimeout => TimeSpan.FromSeconds(5);

    public LockKeyNames NamesOf(string key) => _keys.NamesOf(key);

    public Task<AcquireOutcome> TryAcquireAsync(LockKeyNames key, string token, TimeSpan ttl, bool waited = false)
    {
        lock (_gate)
        {
            var entry = EntryOf(key.Key);
            if (entry.Token is null && entry.Shared.Count == 0)
            {
                entry.Writers.Remove(token);
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
            entry.Writers[token] = Now + Ticks(WriterWait);
            var until = entry.Token is not null ? entry.ExpiresAt : entry.Shared.Values.Max();
            return Task.FromResult(AcquireOutcome.HeldElsewhere(Stopwatch.GetElapsedTime(Now, until)));
        }
    }

    public Task WithdrawAsync(LockKeyNames key, string token)
    {
        Action<string>? announce = null;
        lock (_gate)
        {
            var entry = EntryOf(key.Key);
            if (entry.Writers.Remove(token) && entry.Writers.Count == 0 && entry.Waited)
            {
                entry.Waited = false;
                announce = _onReleased;
            }
        }
        announce?.Invoke(key.Key);
        return Task.CompletedTask;
    }

    public Task<AcquireOutcome[]> TryAcquireSharedAsync(LockKeyNames key, IReadOnlyList<SharedAcquire> requests)
    {
        lock (_gate)
        {
            var entry = EntryOf(key.Key);
            return Task.FromResult(requests.Select(request => AcquireShared(entry, request)).ToArray());
        }
    }

    private static AcquireOutcome AcquireShared(Entry entry, SharedAcquire request)
    {
        if (entry.Token is not null)
        {
            entry.Waited = true;
            return AcquireOutcome.HeldElsewhere(Stopwatch.GetElapsedTime(Now, entry.ExpiresAt));
        }
        if (entry.Shared.Count > 0 && entry.Limit != request.Limit)
            return AcquireOutcome.Refused($"held under limit {entry.Limit}, asked with {request.Limit}");
        if (!entry.Shared.ContainsKey(request.Token))
        {
            if (entry.Writers.Count > 0 || request.Limit > 0 && entry.Shared.Count >= request.Limit)
            {
                entry.Waited = true;
                return AcquireOutcome.HeldElsewhere(entry.Writers.Count > 0 ? null : Stopwatch.GetElapsedTime(Now, entry.Shared.Values.Min()));
            }
        }
        if (entry.Shared.Count == 0) entry.Limit = request.Limit;
        entry.Shared[request.Token] = Now + Ticks(request.Ttl);
        entry.Fence++;
        return AcquireOutcome.Granted(entry.Fence);
    }

    public Task<bool> ReleaseAsync(LockKeyNames key, string token)
    {
        Action<string>? announce = null;
        lock (_gate)
        {
            var entry = EntryOf(key.Key);
            if (entry.Token != token)
            {
                if (!entry.Shared.Remove(token)) return Task.FromResult(false);
                if ((entry.Shared.Count == 0 || entry.Limit > 0) && entry.Waited) announce = _onReleased;
                if (announce is not null) entry.Waited = false;
            }
            else ReleaseExclusive(key, entry, token, ref announce);
        }
        announce?.Invoke(key.Key);
        return Task.FromResult(true);
    }

    private void ReleaseExclusive(LockKeyNames key, Entry entry, string token, ref Action<string>? announce)
    {
        {
            entry.Token = null;
            if (entry.Waited) announce = _onReleased;
            entry.Waited = false;
            if (entry.Watched) Announce(key, new LockChange(key.Lock!, false, entry.Fence, null, LockTokens.LabelOf(token)));
        }
    }

    public Task<bool> ExtendAsync(LockKeyNames key, string token, TimeSpan ttl)
    {
        lock (_gate)
        {
            var entry = EntryOf(key.Key);
            if (entry.Shared.ContainsKey(token))
            {
                entry.Shared[token] = Now + Ticks(ttl);
                return Task.FromResult(true);
            }
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
            if (entry.Shared.Count > 0)
                return Task.FromResult(KeyState.SharedBy(entry.Shared.Count, (long)Stopwatch.GetElapsedTime(Now, entry.Shared.Values.Max()).TotalMilliseconds));
            return Task.FromResult(entry.Token is null
                ? new KeyState(false, null)
                : new KeyState(true, Stopwatch.GetElapsedTime(Now, entry.ExpiresAt), LockProtocol.LockMode.Exclusive, 1));
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
        foreach (var (token, expiry) in entry.Shared.ToList())
            if (expiry <= Now) entry.Shared.Remove(token);
        foreach (var (token, until) in entry.Writers.ToList())
            if (until <= Now) entry.Writers.Remove(token);
        return entry;
    }

    private static long Now => Stopwatch.GetTimestamp();

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
