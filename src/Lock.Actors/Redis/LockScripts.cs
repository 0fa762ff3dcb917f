using System.Security.Cryptography;
using System.Text;

namespace Lock.Actors.Redis;

/// <summary>
/// Every Lua script the library runs. Keys arrive only through KEYS[], values only through ARGV[],
/// so each script is Cluster-safe and its text never changes (one SHA per script).
/// </summary>
internal static class LockScripts
{
    /// <summary>
    /// KEYS[1] lock key, KEYS[2] fencing counter, KEYS[3] waiting marker; ARGV[1] token, ARGV[2] ttl ms,
    /// ARGV[3] counter expiry ms.
    /// </summary>
    public const string Acquire = """
        -- returns {1, fencing token} when the token holds the lock now, {0, holder's pttl} when another token does
        if redis.replicate_commands then redis.replicate_commands() end
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          local fence = redis.call('INCR', KEYS[2])
          if fence == 1 then
            -- a new counter (first use, expiry, or a Redis that lost its data) starts at the server
            -- clock in microseconds, above any token handed out before, and expires after the
            -- configured idle period; a later re-seed is again above every earlier token
            local now = redis.call('TIME')
            fence = tonumber(now[1]) * 1000000 + tonumber(now[2])
            redis.call('SET', KEYS[2], string.format('%.0f', fence), 'PX', ARGV[3])
          end
          return {1, fence}
        end
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          -- the same token asking again (a retry whose first reply was lost): it already holds the lock
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return {1, tonumber(redis.call('GET', KEYS[2]) or '0')}
        end
        -- someone waits now: the holder's release must be announced (the marker outlives the holder's ttl)
        local pttl = redis.call('PTTL', KEYS[1])
        redis.call('SET', KEYS[3], '1', 'PX', pttl > 0 and pttl + 1000 or 60000)
        return {0, pttl}
        """;

    /// <summary>KEYS[1] lock key, KEYS[2] waiting marker; ARGV[1] token, ARGV[2] release channel, ARGV[3] notification payload (the key).</summary>
    public const string Release = """
        -- returns 1 when the token held the lock and it is now deleted (announced if anyone waits), 0 otherwise
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1])
          if redis.call('DEL', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
          return 1
        end
        return 0
        """;

    /// <summary>KEYS[1] lock key; ARGV[1] token, ARGV[2] new ttl ms.</summary>
    public const string Extend = """
        -- returns 1 when the token holds the lock and its ttl was reset, 0 otherwise
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    public static readonly byte[] AcquireSha = Sha1(Acquire);
    public static readonly byte[] ReleaseSha = Sha1(Release);
    public static readonly byte[] ExtendSha = Sha1(Extend);

    private static byte[] Sha1(string script) => SHA1.HashData(Encoding.UTF8.GetBytes(script));
}
