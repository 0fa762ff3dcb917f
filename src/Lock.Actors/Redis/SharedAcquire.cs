namespace Lock.Actors.Redis;

/// <summary>One shared acquire of a store call: its token, TTL, and the holders' limit (0 for a reader).</summary>
internal readonly record struct SharedAcquire(string Token, TimeSpan Ttl, int Limit);
