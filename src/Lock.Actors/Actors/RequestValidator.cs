using System.Globalization;
using Akka.Actor;
using Lock.Actors.Actors.Election;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors;

/// <summary>
/// Checks a request before it reaches a key actor or Redis. Each check returns null when the request
/// is fine, or a sentence naming the key and what is wrong with it.
/// </summary>
internal static class RequestValidator
{
    /// <summary>The longest wait the scheduler can arm a timer for (about 24.8 days).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    private const int KeyPreviewLength = 40;

    public static string? Acquire(Acquire request, LockSettings settings) =>
        Key(request.Key, settings)
        ?? Ttl(request.Key, request.Ttl, settings)
        ?? Timeout(request.Key, request.Timeout)
        ?? Mode(request.Key, request.Mode, request.Limit);

    private static string? Mode(string key, LockMode mode, int? limit) => (mode, limit) switch
    {
        (not (LockMode.Exclusive or LockMode.Shared), _) =>
            $"Mode {(int)mode} for lock '{Preview(key)}' is invalid: it must be Exclusive or Shared.",
        (LockMode.Exclusive, { } value) =>
            $"Limit {value} for lock '{Preview(key)}' is invalid: a limit makes a semaphore, which needs LockMode.Shared (an exclusive lock has one holder).",
        (_, < 1) =>
            $"Limit {limit} for lock '{Preview(key)}' is invalid: a semaphore needs at least 1 permit.",
        _ => null,
    };

    public static string? Release(Release request, LockSettings settings) =>
        Key(request.Key, settings) ?? Token(request.Key, request.Token);

    public static string? Extend(Extend request, LockSettings settings) =>
        Key(request.Key, settings) ?? Token(request.Key, request.Token) ?? Ttl(request.Key, request.Ttl, settings);

    public static string? Key(string? key, LockSettings settings)
    {
        if (key is null) return "Lock key must not be null.";
        if (string.IsNullOrWhiteSpace(key)) return $"Lock key '{key}' must not be empty or whitespace.";
        if (key.Length > settings.MaxKeyLength)
            return $"Lock key '{Preview(key)}' is {key.Length} characters long; the limit (lock.max-key-length) is {settings.MaxKeyLength}.";
        for (var i = 0; i < key.Length; i++)
        {
            // Control characters would let a key forge lines in logs and operator listings.
            if (char.IsControl(key[i]))
                return $"Lock key '{Preview(key)}' contains the control character U+{(int)key[i]:X4} at index {i}.";
        }
        return null;
    }

    private static string? Ttl(string key, TimeSpan? ttl, LockSettings settings) => ttl switch
    {
        null => null,
        { } value when value < TimeSpan.FromMilliseconds(1) =>
            $"TTL {Describe(value)} for lock '{Preview(key)}' is invalid: it must be at least 1ms (Redis PX precision).",
        { } value when value > settings.MaxTtl =>
            $"TTL {Describe(value)} for lock '{Preview(key)}' is invalid: it exceeds lock.max-ttl ({settings.MaxTtl}).",
        _ => null,
    };

    private static string? Timeout(string key, TimeSpan? timeout) => timeout switch
    {
        null => null,
        // Wait until granted (or, through the facade, cancelled).
        { } value when value == System.Threading.Timeout.InfiniteTimeSpan => null,
        { } value when value < TimeSpan.Zero =>
            $"Timeout {Describe(value)} for lock '{Preview(key)}' is invalid: it must not be negative (Timeout.InfiniteTimeSpan waits until granted).",
        { } value when value > MaxTimeout =>
            $"Timeout {Describe(value)} for lock '{Preview(key)}' is invalid: it exceeds {MaxTimeout}.",
        _ => null,
    };

    public static string? Watch(string? key, IActorRef? watcher, LockSettings settings) =>
        Key(key, settings) ?? (watcher is null ? $"The watcher of lock '{Preview(key!)}' must not be null." : null);

    /// <summary>An election's name: a lock key once <see cref="Elections.KeyPrefix"/> is put in front.</summary>
    public static string? ElectionName(string? name, LockSettings settings)
    {
        if (name is null) return "Election name must not be null.";
        if (string.IsNullOrWhiteSpace(name)) return $"Election name '{name}' must not be empty or whitespace.";
        return Key(Elections.KeyOf(name), settings) is { } problem ? $"Election name '{Preview(name)}' is invalid: {problem}" : null;
    }

    public static string? Campaign(Campaign request, LockSettings settings) =>
        ElectionName(request.Name, settings)
        ?? (request.Candidate is null ? $"The candidate for election '{Preview(request.Name)}' must not be null." : null)
        ?? CandidateId(request.Name, request.CandidateId)
        ?? Ttl(Elections.KeyOf(request.Name), request.Ttl, settings);

    public static string? WatchLeader(string? name, IActorRef? watcher, LockSettings settings) =>
        ElectionName(name, settings) ?? (watcher is null ? $"The watcher of election '{Preview(name!)}' must not be null." : null);

    private static string? CandidateId(string name, string? id)
    {
        if (id is null) return null;
        if (string.IsNullOrWhiteSpace(id)) return $"Candidate id '{id}' for election '{Preview(name)}' must not be empty or whitespace.";
        if (id.Length > Elections.MaxCandidateIdLength)
            return $"Candidate id for election '{Preview(name)}' is {id.Length} characters long; the limit is {Elections.MaxCandidateIdLength}.";
        return id.Any(char.IsControl) ? $"Candidate id '{Preview(id)}' for election '{Preview(name)}' contains a control character." : null;
    }

    public static string? Token(string key, string? token) =>
        string.IsNullOrEmpty(token) ? $"Token for lock '{Preview(key)}' must not be null or empty." : null;

    private static string Preview(string key) =>
        key.Length <= KeyPreviewLength ? Sanitize(key) : Sanitize(key[..KeyPreviewLength]) + "…";

    private static string Sanitize(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    private static string Describe(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
