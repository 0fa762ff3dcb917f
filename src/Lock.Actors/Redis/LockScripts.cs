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
    /// Acquires and releases of one or more locks in one call, in either mode. KEYS: per lock the
    /// <see cref="LockKeyNames.ScriptKeyCount"/> keys of <see cref="LockKeyNames.WriteScriptKeys"/>. ARGV[1]
    /// counter expiry ms, ARGV[2] release channel, ARGV[3] the fencing reseed window in µs
    /// (<see cref="FencingTokens"/>), ARGV[4] the change channel, ARGV[5] how long a waiting writer or a
    /// reader's turn counts, in ms; then per lock the operation ('a' exclusive acquire, 's' shared acquire,
    /// 'r' release), its token, its ttl ms (acquire) or the key to announce (release), and the shared
    /// holders' limit ('s'; 0 for readers). A grant or release of a watched lock held exclusively is
    /// announced on the change channel in the form <see cref="LockChange"/> reads.
    /// </summary>
    public const string AcquireOrRelease = """
        -- returns two entries per lock: for an acquire 1, fencing token when the token holds the lock now,
        -- or 0, the holder's pttl when it must wait (-1 when only waiting writers stand in its way), or -2,
        -- the holders' limit when shared holders hold it under another limit; for a release 1, 0 when the
        -- token held it and no longer does (announced if anyone waits), or 0, 0 when it did not; -1, error
        -- when the lock's keys could not be used (the other locks are unaffected)
        if redis.replicate_commands then redis.replicate_commands() end
        -- the server clock in microseconds, read once per call for all of its grants
        local clock
        local function now_us()
          if not clock then
            local now = redis.call('TIME')
            clock = tonumber(now[1]) * 1000000 + tonumber(now[2])
          end
          return clock
        end
        local function now_ms() return math.floor(now_us() / 1000) end
        local window = tonumber(ARGV[3])
        local queue_ttl = tonumber(ARGV[5])
        -- the lock key's value while readers or permits hold the key (never a token: tokens are hex)
        local SHARED = '*shared'

        -- a watched lock's change: '+' (granted) or '-' (released), its fencing token, the grant's ttl,
        -- the lock key's length and the key, then the holder's label (what its token carries after a '|')
        -- (called only when the watch marker exists: an unwatched lock pays one EXISTS and nothing else)
        local function announce(sign, fence, ttl, lock, token)
          local bar = string.find(token, '|', 1, true)
          local label = bar and string.sub(token, bar + 1) or ''
          redis.call('PUBLISH', ARGV[4], sign .. fence .. ':' .. ttl .. ':' .. #lock .. ':' .. lock .. label)
        end
        -- the next fencing token of a key, for a grant in either mode. It is above the counter (the last
        -- token) and at least the server clock in microseconds less the window (FencingTokens): a counter
        -- that a failover or restart set back or lost still yields tokens above the ones it forgot, as long
        -- as the recovery took longer than the window plus the servers' clock difference. Tokens do not
        -- run ahead of the clock (by a few at most: the grants of one key in one call), so within the window
        -- an in-place INCR is enough. Nil and the error when no token can be made.
        local function next_fence(counter)
          local fence = redis.pcall('INCR', counter)
          if type(fence) == 'table' then return nil, fence.err end
          local clock_now = now_us()
          if fence < clock_now - window then
            -- past the window, the clock reseeds; a new counter (INCR made it 1) expires the configured
            -- idle period after it was seeded
            if fence == 1 then
              redis.call('SET', counter, string.format('%.0f', clock_now), 'PX', ARGV[1])
            else
              redis.call('SET', counter, string.format('%.0f', clock_now), 'KEEPTTL')
            end
            fence = clock_now
          end
          return fence
        end
        -- someone waits now: the next release that makes room must be announced (the marker outlives
        -- what it waits for by a second; every refused retry sets it again)
        local function mark_waiting(marker, pttl)
          redis.call('SET', marker, '1', 'PX', pttl > 0 and pttl + 1000 or queue_ttl + 1000)
        end
        -- the shared holders still within their ttl (expired ones are dropped: a crashed holder's share
        -- ends on the server clock, whoever looks next); their limit goes with the last of them
        -- (called only where no writer holds the lock key: its value is the shared mark, or it is gone)
        local function live_shared(shared, limit, lock)
          local held = 0
          if redis.call('EXISTS', shared) == 1 then
            redis.call('ZREMRANGEBYSCORE', shared, '-inf', now_ms())
            held = redis.call('ZCARD', shared)
          end
          -- (Redis drops an emptied set by itself; the limit and the mark are ours to drop)
          if held == 0 then redis.call('DEL', limit, lock) end
          return held
        end
        -- whether an exclusive request waits for the key: new readers and permits wait behind it
        local function writer_waits(writers)
          if redis.call('EXISTS', writers) == 0 then return false end
          redis.call('ZREMRANGEBYSCORE', writers, '-inf', now_ms())
          return redis.call('ZCARD', writers) > 0
        end
        -- the shared holders' set lives as long as its last member, and its limit and the lock key's
        -- shared mark with it
        local function keep_until_last(shared, limit, lock)
          local last = redis.call('ZRANGE', shared, -1, -1, 'WITHSCORES')
          if last[2] then
            redis.call('PEXPIREAT', shared, last[2])
            redis.call('PEXPIREAT', limit, last[2])
            redis.call('PEXPIREAT', lock, last[2])
          end
        end
        local function acquire(k, token, ttl, waited)
          local lock, counter, marker, watch, shared, limit, writers = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], KEYS[k + 6]
          -- while readers or permits hold the key, the lock key holds the shared mark: SET NX fails as
          -- for a writer, and the exclusive path does nothing more than before shared modes existed
          local granted = redis.call('SET', lock, token, 'NX', 'PX', ttl)
          local holder = not granted and redis.call('GET', lock)
          if holder == SHARED and live_shared(shared, limit, lock) == 0 then
            -- every share it marked has run out (a crashed holder's, say): the mark went with them
            granted = redis.call('SET', lock, token, 'NX', 'PX', ttl)
            holder = not granted and redis.call('GET', lock)
          end
          if granted then
            local fence, err = next_fence(counter)
            if not fence then
              -- no token can be made: take the lock back rather than leave it without one
              redis.call('DEL', lock)
              error(err, 0)
            end
            -- a writer refused before (the client knows) is no longer waiting
            if waited then redis.call('ZREM', writers, token) end
            if redis.call('EXISTS', watch) == 1 then announce('+', string.format('%.0f', fence), ttl, lock, token) end
            return 1, fence
          end
          if holder == token then
            -- the same token asking again (a retry whose first reply was lost): it already holds the lock
            redis.call('PEXPIRE', lock, ttl)
            return 1, tonumber(redis.call('GET', counter) or '0')
          end
          -- a writer waits now: new readers and permits wait behind it until it is granted, or until
          -- it stops asking for a queue ttl
          redis.call('ZREMRANGEBYSCORE', writers, '-inf', now_ms())
          redis.call('ZADD', writers, now_ms() + queue_ttl, token)
          redis.call('PEXPIRE', writers, queue_ttl)
          -- (the shared mark's pttl is the last share's)
          local pttl = redis.call('PTTL', lock)
          mark_waiting(marker, pttl)
          return 0, pttl
        end
        -- a reader held back by a writer (holding or waiting): it gets a turn after that writer's release
        local function note_reader(readers, token, now)
          redis.call('ZADD', readers, now + queue_ttl, token)
          redis.call('PEXPIRE', readers, queue_ttl)
        end
        local function acquire_shared(k, token, ttl, wanted)
          local lock, counter, marker, shared, limit, writers, readers = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 4], KEYS[k + 5], KEYS[k + 6], KEYS[k + 7]
          local now = now_ms()
          local holder = redis.call('GET', lock)
          if holder and holder ~= SHARED then
            -- a writer holds it: a reader gets its turn right after that writer (below, in release)
            if wanted == 0 then note_reader(readers, token, now) end
            local pttl = redis.call('PTTL', lock)
            mark_waiting(marker, pttl)
            return 0, pttl
          end
          local held = live_shared(shared, limit, lock)
          if held > 0 then
            local current = tonumber(redis.call('GET', limit) or '0')
            if current ~= wanted then return -2, current end
          end
          -- its own entry: a turn kept for it after a writer, or its own grant whose reply was lost
          local mine = redis.call('ZSCORE', shared, token)
          if not mine then
            if writer_waits(writers) then
              if wanted == 0 then note_reader(readers, token, now) end
              mark_waiting(marker, -1)
              return 0, -1
            end
            if wanted > 0 and held >= wanted then
              local first = redis.call('ZRANGE', shared, 0, 0, 'WITHSCORES')
              local pttl = tonumber(first[2]) - now
              mark_waiting(marker, pttl)
              return 0, pttl
            end
          end
          local fence, err = next_fence(counter)
          if not fence then error(err, 0) end
          redis.call('ZADD', shared, now + ttl, token)
          if held == 0 then
            redis.call('SET', limit, wanted)
            redis.call('SET', lock, SHARED)
          end
          keep_until_last(shared, limit, lock)
          -- in now: no turn is to be kept for it after the next writer
          if wanted == 0 and redis.call('EXISTS', readers) == 1 then redis.call('ZREM', readers, token) end
          return 1, fence
        end
        local function release(k, token, payload)
          local lock, counter, marker, watch, shared, limit, readers = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], KEYS[k + 7]
          if redis.call('GET', lock) == token then
            -- one DEL for both: 2 means the waiting marker was there too
            if redis.call('DEL', lock, marker) == 2 then
              -- the readers that waited for this writer go next, before any writer: each gets a turn
              -- (an entry of its own among the shared holders) for a queue ttl to come and take it
              if redis.call('EXISTS', readers) == 1 then
                local now = now_ms()
                local waiting = redis.call('ZRANGEBYSCORE', readers, '(' .. now, '+inf')
                redis.call('DEL', readers)
                if #waiting > 0 then
                  for _, reader in ipairs(waiting) do redis.call('ZADD', shared, now + queue_ttl, reader) end
                  redis.call('SET', limit, 0)
                  redis.call('SET', lock, SHARED)
                  keep_until_last(shared, limit, lock)
                end
              end
              redis.call('PUBLISH', ARGV[2], payload)
            end
            -- the holder's fencing token is the counter's: no grant came after it while it held the lock
            if redis.call('EXISTS', watch) == 1 then announce('-', redis.call('GET', counter) or '', '', lock, token) end
            return 1, 0
          end
          if redis.call('ZREM', shared, token) == 0 then return 0, 0 end
          -- a shared holder: its leaving makes room for a writer when it was the last, and for a permit always
          local left = live_shared(shared, limit, lock)
          local wanted = left > 0 and tonumber(redis.call('GET', limit) or '0') or 0
          if (left == 0 or wanted > 0) and redis.call('DEL', marker) == 1 then redis.call('PUBLISH', ARGV[2], payload) end
          return 1, 0
        end
        -- a request that stopped waiting (timed out, cancelled, its owner gone): a writer no longer holds
        -- new readers back (those it held back are woken when it was the last writer waiting), a reader
        -- needs no turn after the next writer, and a turn or grant already made for it (its answer lost
        -- or too late) is let go as a release would
        local function withdraw(k, token, payload)
          local marker, writers, readers = KEYS[k + 2], KEYS[k + 6], KEYS[k + 7]
          local removed = redis.call('ZREM', readers, token)
          if redis.call('ZREM', writers, token) == 1 then
            removed = 1
            if not writer_waits(writers) and redis.call('DEL', marker) == 1 then redis.call('PUBLISH', ARGV[2], payload) end
          end
          local released = release(k, token, payload)
          return (removed == 1 or released == 1) and 1 or 0, 0
        end
        local replies = {}
        for i = 1, #KEYS / 8 do
          local k, a = 8 * i - 7, 4 * i + 2
          local op = ARGV[a]
          local ok, status, value
          if op == 'a' then ok, status, value = pcall(acquire, k, ARGV[a + 1], ARGV[a + 2], ARGV[a + 3] == '1')
          elseif op == 's' then ok, status, value = pcall(acquire_shared, k, ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]))
          elseif op == 'w' then ok, status, value = pcall(withdraw, k, ARGV[a + 1], ARGV[a + 2])
          else ok, status, value = pcall(release, k, ARGV[a + 1], ARGV[a + 2]) end
          if not ok then status, value = -1, type(status) == 'table' and status.err or tostring(status) end
          replies[2 * i - 1], replies[2 * i] = status, value
        end
        return replies
        """;

    /// <summary>KEYS[1] lock key, KEYS[2] shared holders, KEYS[3] their limit; ARGV[1] token, ARGV[2] new ttl ms.</summary>
    public const string Extend = """
        -- returns 1 when the token holds the lock (in either mode) and its ttl was reset, 0 otherwise
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        local expiry = redis.call('ZSCORE', KEYS[2], ARGV[1])
        if not expiry then return 0 end
        if redis.replicate_commands then redis.replicate_commands() end
        local now = redis.call('TIME')
        now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        -- a share past its expiry is over, whether or not anyone has dropped it yet
        if tonumber(expiry) <= now then
          redis.call('ZREM', KEYS[2], ARGV[1])
          return 0
        end
        redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
        -- the set, its limit and the lock key's shared mark last as long as the last share
        local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
        redis.call('PEXPIREAT', KEYS[2], last[2])
        redis.call('PEXPIREAT', KEYS[3], last[2])
        redis.call('PEXPIREAT', KEYS[1], last[2])
        return 1
        """;

    /// <summary>KEYS[1] lock key, KEYS[2] shared holders; no ARGV.</summary>
    public const string State = """
        -- returns the lock key's pttl (-2 when absent), how many shared holders are within their ttl, and
        -- until when the last of them is (its pttl; 0 when none)
        local holder = redis.call('GET', KEYS[1])
        if holder and holder ~= '*shared' then return { redis.call('PTTL', KEYS[1]), 0, 0 } end
        local now = redis.call('TIME')
        now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        local holders = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
        if holders == 0 then return { -2, 0, 0 } end
        local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
        return { -2, holders, tonumber(last[2]) - now }
        """;

    /// <summary>KEYS[1] lock key, KEYS[2] fencing counter, KEYS[3] watch marker; ARGV[1] the marker's ttl ms.</summary>
    public const string Watch = """
        -- marks the lock as watched (its grants and releases are announced from now on) and returns,
        -- read in the same step, its value ('' when free), its counter ('' when none) and its pttl
        redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
        local holder = redis.call('GET', KEYS[1]) or ''
        -- shared holds (the lock key's shared mark) are not watched: free, as far as watchers know
        if holder == '*shared' then return { '', redis.call('GET', KEYS[2]) or '', -2 } end
        return { holder, redis.call('GET', KEYS[2]) or '', redis.call('PTTL', KEYS[1]) }
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
    public static readonly byte[] StateSha = Sha1(State);
    public static readonly byte[] SlotProbeSha = Sha1(SlotProbe);
    public static readonly byte[] SelectProbeSha = Sha1(SelectProbe);

    private static byte[] Sha1(string script) => SHA1.HashData(Encoding.UTF8.GetBytes(script));
}
