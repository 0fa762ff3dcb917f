namespace Lock.Actors.Redis;

/// <summary>
/// How fencing tokens are seeded and kept increasing; the rule runs inside
/// <see cref="LockScripts.AcquireOrRelease"/>, with <see cref="ReseedWindow"/> as its one parameter.
/// <para>
/// A grant's token is above the key's counter (the last token) and at least the Redis server clock in
/// microseconds less the reseed window. Within the window after a key's last grant the counter is only
/// incremented (an in-place <c>INCR</c>); past it, or for a counter that is new or lost, the token is
/// the server clock and the counter is reseeded with it. Tokens do not run ahead of the clock (by a few
/// at most: the grants of one key in one script call), so every token a failover or restart lost was
/// at most the old server's clock when it was issued; the first grant after the recovery finds the
/// surviving counter behind the clock by more than the window and reseeds above all of them. The
/// guarantee: tokens never repeat or go down on a key as long as a recovery that lost writes takes
/// longer than the window plus the difference between the servers' clocks.
/// </para>
/// </summary>
internal static class FencingTokens
{
    /// <summary>
    /// Why 100 ms: a Sentinel or Cluster failover takes seconds and a restart with a reconnect more than
    /// this, while a key locked again within 100 ms (a busy key) keeps the cheap in-place increment; a
    /// rewrite of the counter on every grant cost about 4 µs of redis-server CPU per cycle.
    /// </summary>
    public static readonly TimeSpan ReseedWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>The window as the script takes it, in microseconds.</summary>
    public static long ReseedWindowMicroseconds => (long)(ReseedWindow.TotalMilliseconds * 1000);
}
