using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>
/// The Redis names of one lock (see <see cref="LockKeys"/>), built once per key actor instead of on
/// every call: they were a tenth of the bytes an uncontended acquire + release allocated.
/// </summary>
/// <remarks>
/// <paramref name="Watch"/>: present while some node watches the lock; only then are its grants and releases announced.
/// <paramref name="Shared"/>: the shared holders (readers or permits), a sorted set of token → expiry on the server clock.
/// <paramref name="Limit"/>: the shared holders' limit (0 for readers) while any hold the key.
/// <paramref name="Writers"/>: the exclusive requests waiting for the key (token → until when they count as waiting).
/// <paramref name="Readers"/>: the readers refused because of a writer, let in first once that writer has released.
/// </remarks>
internal sealed record LockKeyNames(
    string Key, RedisKey Lock, RedisKey Fence, RedisKey Wait, RedisKey Watch,
    RedisKey Shared, RedisKey Limit, RedisKey Writers, RedisKey Readers)
{
    /// <summary>How many keys one lock passes to <see cref="LockScripts.AcquireOrRelease"/>.</summary>
    public const int ScriptKeyCount = 8;

    /// <summary>Writes the lock's keys in the order <see cref="LockScripts.AcquireOrRelease"/> reads them.</summary>
    public void WriteScriptKeys(RedisKey[] keys, int lockIndex)
    {
        var at = lockIndex * ScriptKeyCount;
        keys[at] = Lock;
        keys[at + 1] = Fence;
        keys[at + 2] = Wait;
        keys[at + 3] = Watch;
        keys[at + 4] = Shared;
        keys[at + 5] = Limit;
        keys[at + 6] = Writers;
        keys[at + 7] = Readers;
    }

    /// <summary>The lock's keys for <see cref="LockScripts.AcquireOrRelease"/>, in its order.</summary>
    public RedisKey[] ScriptKeys()
    {
        var keys = new RedisKey[ScriptKeyCount];
        WriteScriptKeys(keys, 0);
        return keys;
    }
}
