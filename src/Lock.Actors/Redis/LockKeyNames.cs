using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>
/// The Redis names of one lock (see <see cref="LockKeys"/>), built once per key actor instead of on
/// every call: they were a tenth of the bytes an uncontended acquire + release allocated.
/// </summary>
/// <remarks><paramref name="Watch"/>: present while some node watches the lock; only then are its grants and releases announced.</remarks>
internal sealed record LockKeyNames(string Key, RedisKey Lock, RedisKey Fence, RedisKey Wait, RedisKey Watch);
