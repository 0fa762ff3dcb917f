using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>
/// The one place Redis names are built. A lock on <c>orders:42</c> with prefix <c>lock:</c> lives at
/// <c>lock:{orders:42}</c>, its fencing counter at <c>lock:fence:{orders:42}</c> and, while someone
/// waits for it, a marker at <c>lock:wait:{orders:42}</c>, and while some node watches it, a marker at
/// <c>lock:watch:{orders:42}</c>. Shared holders (readers, permits) live in <c>lock:shared:{orders:42}</c>
/// with their limit at <c>lock:limit:{orders:42}</c>; waiting writers at <c>lock:writers:{orders:42}</c> and
/// the readers that wait for a writer at <c>lock:readers:{orders:42}</c>. The braces are a Redis Cluster
/// hash tag, so the keys of one script share a slot.
/// </summary>
internal sealed class LockKeys
{
    private const string FenceInfix = "fence:";
    private const string WaitInfix = "wait:";
    private const string WatchInfix = "watch:";
    private const string SharedInfix = "shared:";
    private const string LimitInfix = "limit:";
    private const string WritersInfix = "writers:";
    private const string ReadersInfix = "readers:";
    private const string HashedTagMarker = "#";

    /// <summary>
    /// The lock key's value while readers or permits hold the key (<see cref="LockScripts.AcquireOrRelease"/>
    /// writes it; never a token, which is hex): a writer's <c>SET NX</c> then fails as it does for another writer.
    /// </summary>
    public const string SharedMark = "*shared";

    public LockKeys(string prefix)
    {
        Prefix = prefix;
        ReleaseChannel = RedisChannel.Literal(prefix + "released");
        ChangeChannel = RedisChannel.Literal(prefix + "changes");
    }

    public string Prefix { get; }

    /// <summary>The pub/sub channel on which every release under this prefix is announced (payload: the key).</summary>
    public RedisChannel ReleaseChannel { get; }

    /// <summary>
    /// The pub/sub channel on which grants and releases of watched locks are announced
    /// (<see cref="LockChange"/>); only locks with a watch marker are announced there.
    /// </summary>
    public RedisChannel ChangeChannel { get; }

    /// <summary>The SCAN pattern that matches lock keys and never fencing counters.</summary>
    public string LockKeyPattern => EscapeGlob(Prefix) + "{*";

    /// <summary>The SCAN pattern that matches the shared holders' sets.</summary>
    public string SharedKeyPattern => EscapeGlob(Prefix + SharedInfix) + "{*";

    public RedisKey LockKey(string key) => LockName(Tagged(key));

    /// <summary>All of a lock's names at once (the key is tagged once for all of them).</summary>
    public LockKeyNames NamesOf(string key)
    {
        var tagged = Tagged(key);
        return new LockKeyNames(
            key, LockName(tagged), FenceName(tagged), WaitName(tagged), Prefix + WatchInfix + tagged,
            SharedName(tagged), Prefix + LimitInfix + tagged, Prefix + WritersInfix + tagged, Prefix + ReadersInfix + tagged);
    }

    public RedisKey FenceKey(string key) => FenceName(Tagged(key));

    /// <summary>Present while someone waits for the key: only then does a release publish its notification.</summary>
    public RedisKey WaitKey(string key) => WaitName(Tagged(key));

    // Each name is spelled here only, from the key's hash-tagged form.
    private string LockName(string tagged) => Prefix + tagged;
    private string FenceName(string tagged) => Prefix + FenceInfix + tagged;
    private string WaitName(string tagged) => Prefix + WaitInfix + tagged;
    private string SharedName(string tagged) => Prefix + SharedInfix + tagged;

    /// <summary>The set of shared holders of <paramref name="key"/>.</summary>
    public RedisKey SharedKey(string key) => SharedName(Tagged(key));

    /// <summary>The application key a shared holders' set was built from, or null when it is not one of ours.</summary>
    public string? KeyOfShared(string sharedKey) =>
        sharedKey.StartsWith(Prefix + SharedInfix, StringComparison.Ordinal)
            ? KeyOf(Prefix + sharedKey[(Prefix.Length + SharedInfix.Length)..])
            : null;

    /// <summary>The application key a lock key was built from, or null when it is not one of ours.</summary>
    public string? KeyOf(string lockKey)
    {
        if (!lockKey.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var rest = lockKey.AsSpan(Prefix.Length);
        if (rest.Length < 3 || rest[0] != '{') return null;
        if (rest[1] == HashedTagMarker[0])
        {
            var close = rest.IndexOf('}');
            return close < 0 ? null : rest[(close + 1)..].ToString();
        }
        return rest[^1] == '}' ? rest[1..^1].ToString() : null;
    }

    // A key that contains a brace cannot be its own hash tag (Redis would cut the tag at the brace,
    // and "{}" would disable it), so such keys are tagged with a digest and appended after the tag.
    private static string Tagged(string key)
    {
        if (key.AsSpan().IndexOfAny('{', '}') < 0) return "{" + key + "}";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return "{" + HashedTagMarker + Hex.Lower(digest.AsSpan(0, 8)) + "}" + key;
    }

    private static string EscapeGlob(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') builder.Append('\\');
            builder.Append(c);
        }
        return builder.ToString();
    }
}
