namespace Lock.Actors.Redis;

/// <summary>Whether a key is held, and for how much longer (null: no expiry).</summary>
internal readonly record struct KeyState(bool Locked, TimeSpan? RemainingTtl);
