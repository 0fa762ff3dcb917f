using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Redis;

/// <summary>
/// Whether a key is held, for how much longer (null: no expiry), how (null when free) and by how many
/// holders (1 for an exclusive lock; 0 when free).
/// </summary>
internal readonly record struct KeyState(bool Locked, TimeSpan? RemainingTtl, LockMode? Mode = null, int Holders = 0)
{
    /// <summary>From a PTTL reply: -2 when the key does not exist, -1 when it exists without an expiry.</summary>
    public static KeyState FromPttl(long pttl) => pttl switch
    {
        -2 => new KeyState(false, null),
        < 0 => new KeyState(true, null, LockMode.Exclusive, 1),
        _ => new KeyState(true, TimeSpan.FromMilliseconds(pttl), LockMode.Exclusive, 1),
    };

    /// <summary>Held in shared mode by <paramref name="holders"/>, the last of them for <paramref name="pttl"/> ms more.</summary>
    public static KeyState SharedBy(int holders, long pttl) =>
        new(true, TimeSpan.FromMilliseconds(Math.Max(pttl, 0)), LockMode.Shared, holders);
}
