namespace Lock.Actors.Redis;

/// <summary>Whether a key is held, and for how much longer (null: no expiry).</summary>
internal readonly record struct KeyState(bool Locked, TimeSpan? RemainingTtl)
{
    /// <summary>From a PTTL reply: -2 when the key does not exist, -1 when it exists without an expiry.</summary>
    public static KeyState FromPttl(long pttl) => pttl switch
    {
        -2 => new KeyState(false, null),
        < 0 => new KeyState(true, null),
        _ => new KeyState(true, TimeSpan.FromMilliseconds(pttl)),
    };
}
