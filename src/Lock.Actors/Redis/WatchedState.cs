namespace Lock.Actors.Redis;

/// <summary>
/// A watched lock as the watch script read it: whether it is held, the fencing token of its counter
/// (null when there is none), the holder's label (see <see cref="LockChange"/>) and how long it will
/// stay held without an extend (null: free, or held without an expiry).
/// </summary>
internal readonly record struct WatchedState(bool Locked, long? FencingToken, string? Label, TimeSpan? RemainingTtl);
