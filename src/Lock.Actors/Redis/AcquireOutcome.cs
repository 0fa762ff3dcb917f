namespace Lock.Actors.Redis;

/// <summary>
/// What one acquire attempt found: the lock with its fencing token, or the holder's remaining TTL
/// (null when the holder's key has no expiry or vanished between the two checks, or when only waiting
/// writers stand in the way), or a grant that too few replicas confirmed and that was given back
/// (<see cref="Unconfirmed"/> says why), or a request the key's holders make impossible
/// (<see cref="Invalid"/> says why: another limit).
/// </summary>
internal readonly record struct AcquireOutcome(
    bool Acquired, long FencingToken, TimeSpan? HolderTtl, string? Unconfirmed = null, string? Invalid = null)
{
    public static AcquireOutcome Granted(long fencingToken) => new(true, fencingToken, null);

    public static AcquireOutcome HeldElsewhere(TimeSpan? holderTtl) => new(false, 0, holderTtl);

    public static AcquireOutcome NotConfirmed(string why) => new(false, 0, null, why);

    public static AcquireOutcome Refused(string why) => new(false, 0, null, Invalid: why);
}
