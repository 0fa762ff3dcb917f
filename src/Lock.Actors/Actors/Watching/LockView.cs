namespace Lock.Actors.Actors.Watching;

/// <summary>
/// What watchers are told of a lock: held under <paramref name="FencingToken"/> by a holder labelled
/// <paramref name="Label"/>, or (not <paramref name="Locked"/>) that hold ended.
/// </summary>
internal readonly record struct LockView(bool Locked, long? FencingToken, string? Label);
