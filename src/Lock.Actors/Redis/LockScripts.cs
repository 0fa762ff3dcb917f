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
    /// Acquires and releases of one or more locks in one call. KEYS: per lock its lock key, fencing
    /// counter, waiting marker and watch marker. ARGV[1] counter expiry ms, ARGV[2] release channel,
    /// ARGV[3] the fencing reseed window in µs (<see cref="FencingTokens"/>), ARGV[4] the change
    /// channel, then per lock the operation ('a' acquire, 'r' release), its token, and its ttl ms
    /// (acquire) or the key to announce (release). A grant or release of a watched lock is announced
    /// on the change channel in the form <see cref="LockChange"/> reads.
    /// </summary>
    public const string AcquireOrRelease = """
        -- returns two entries per lock: for an acquire 1, fencing token when the token holds the lock now,
        -- or 0, holder's pttl when another token does; for a release 1, 0 when the token held it and it
        -- is now deleted (announced if anyone waits), or 0, 0 when it did not; -1, error when the lock's
        -- keys could not be used (the other locks are unaffected)
        if redis.replicate_commands then redis.replicate_commands() end
        -- the server clock in microseconds, read once per call for all of its grants
        local clock
        local window = tonumber(ARGV[3])
        -- a watched lock's change: '+' (granted) or '-' (released), its fencing token, the grant's ttl,
        -- the lock key's length and the key, then the holder's label (what its token carries after a '|')
        -- (called only when the watch marker exists: an unwatched lock pays one EXISTS and nothing else)
        local function announce(sign, fence, ttl, lock, token)
          local bar = string.find(token, '|', 1, true)
          local label = bar and string.sub(token, bar + 1) or ''
          redis.call('PUBLISH', ARGV[4], sign .. fence .. ':' .. ttl .. ':' .. #lock .. ':' .. lock .. label)
        end
        local function acquire(lock, counter, marker, watch, token, ttl)
          if redis.call('SET', lock, token, 'NX', 'PX', ttl) then
            -- the token is above the counter (the last token) and at least the server clock in
            -- microseconds less the window (FencingTokens): a counter that a failover or restart set back
            -- or lost still yields tokens above the ones it forgot, as long as the recovery took longer
            -- than the window plus the servers' clock difference. Tokens do not run ahead of the clock
            -- (by a few at most: the grants of one key in one call), so within the window an in-place
            -- INCR is enough.
            if not clock then
              local now = redis.call('TIME')
              clock = tonumber(now[1]) * 1000000 + tonumber(now[2])
            end
            local fence = redis.pcall('INCR', counter)
            if type(fence) == 'table' then
              -- no token can be made: take the lock back rather than leave it without one
              redis.call('DEL', lock)
              error(fence.err, 0)
            end
            if fence < clock - window then
              -- past the window, the clock reseeds; a new counter (INCR made it 1) expires the
              -- configured idle period after it was seeded
              if fence == 1 then
                redis.call('SET', counter, string.format('%.0f', clock), 'PX', ARGV[1])
              else
                redis.call('SET', counter, string.format('%.0f', clock), 'KEEPTTL')
              end
              fence = clock
            end
            if redis.call('EXISTS', watch) == 1 then announce('+', string.format('%.0f', fence), ttl, lock, token) end
            return 1, fence
          end
          if redis.call('GET', lock) == token then
            -- the same token asking again (a retry whose first reply was lost): it already holds the lock
            redis.call('PEXPIRE', lock, ttl)
            return 1, tonumber(redis.call('GET', counter) or '0')
          end
          -- someone waits now: the holder's release must be announced (the marker outlives the holder's ttl)
          local pttl = redis.call('PTTL', lock)
          redis.call('SET', marker, '1', 'PX', pttl > 0 and pttl + 1000 or 60000)
          return 0, pttl
        end
        local function release(lock, counter, marker, watch, token, payload)
          if redis.call('GET', lock) ~= token then return 0, 0 end
          -- one DEL for both: 2 means the waiting marker was there too
          if redis.call('DEL', lock, marker) == 2 then redis.call('PUBLISH', ARGV[2], payload) end
          -- the holder's fencing token is the counter's: no grant came after it while it held the lock
          if redis.call('EXISTS', watch) == 1 then announce('-', redis.call('GET', counter) or '', '', lock, token) end
          return 1, 0
        end
        local replies = {}
        for i = 1, #KEYS / 4 do
          local op = ARGV[3 * i + 2] == 'a' and acquire or release
          local ok, status, value = pcall(op, KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i], ARGV[3 * i + 3], ARGV[3 * i + 4])
          if not ok then status, value = -1, type(status) == 'table' and status.err or tostring(status) end
          replies[2 * i - 1], replies[2 * i] = status, value
        end
        return replies
        """;

    /// <summary>KEYS[1] lock key; ARGV[1] token, ARGV[2] new ttl ms.</summary>
    public const string Extend = """
        -- returns 1 when the token holds the lock and its ttl was reset, 0 otherwise
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    /// <summary>KEYS[1] lock key, KEYS[2] fencing counter, KEYS[3] watch marker; ARGV[1] the marker's ttl ms.</summary>
    public const string Watch = """
        -- marks the lock as watched (its grants and releases are announced from now on) and returns,
        -- read in the same step, its value ('' when free), its counter ('' when none) and its pttl
        redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
        return { redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[2]) or '', redis.call('PTTL', KEYS[1]) }
        """;

    /// <summary>KEYS[1], KEYS[2]: two keys in different hash slots; touches neither.</summary>
    public const string SlotProbe = """
        -- returns 1: run with keys of two hash slots, it tells whether the server lets one script span
        -- slots (a standalone server does; a Cluster answers CROSSSLOT)
        return 1
        """;

    /// <summary>ARGV[1]: a database number; selects it inside the script only (the connection keeps its own).</summary>
    public const string SelectProbe = """
        -- returns OK when this user may select the database; NOPERM (or out of range) otherwise
        return redis.call('SELECT', ARGV[1])
        """;

    public static readonly byte[] AcquireOrReleaseSha = Sha1(AcquireOrRelease);
    public static readonly byte[] ExtendSha = Sha1(Extend);
    public static readonly byte[] WatchSha = Sha1(Watch);
    public static readonly byte[] SlotProbeSha = Sha1(SlotProbe);
    public static readonly byte[] SelectProbeSha = Sha1(SelectProbe);

    private static byte[] Sha1(string script) => SHA1.HashData(Encoding.UTF8.GetBytes(script));
}
