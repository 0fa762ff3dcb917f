namespace Lock.Actors.Redis;

/// <summary>
/// What one acquire attempt found: the lock with its fencing token, or the holder's remaining TTL
/// (null when the holder's key has no expiry or vanished between the two checks).
/// </summary>
internal readonly record struct AcquireOutcome(bool Acquired, long FencingToken, TimeSpan? HolderTtl)
{
    public static AcquireOutcome Granted(long fencingToken) => new(true, fencingToken, null);

    public static AcquireOutcome HeldElsewhere(TimeSpan? holderTtl) => new(false, 0, holderTtl);
}
