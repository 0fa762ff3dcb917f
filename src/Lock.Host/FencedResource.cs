using StackExchange.Redis;

namespace Lock.Host;

/// <summary>
/// The resource a stress worker protects with the lock: a Redis hash per key (on a Redis of its own,
/// not the lock's) that accepts a writer only while its fencing token is the highest seen, plus an
/// occupancy counter of writers inside. Timestamps come from that server's clock, so sections
/// recorded by different processes compare on one time line.
/// </summary>
internal sealed class FencedResource(IDatabase db, string runId)
{
    // KEYS[1] the key's resource hash; ARGV[1] fencing token, ARGV[2] writer.
    // returns {1, occupancy after entering, server time µs} when the token is above every one seen,
    // {0, 0, server time µs} when a token as high or higher was already accepted (a stale holder).
    private const string EnterScript = """
        local now = redis.call('TIME')
        local micros = tonumber(now[1]) * 1000000 + tonumber(now[2])
        local last = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
        if tonumber(ARGV[1]) <= last then return {0, 0, micros} end
        redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'writer', ARGV[2])
        return {1, redis.call('HINCRBY', KEYS[1], 'inside', 1), micros}
        """;

    // KEYS[1] the key's resource hash; ARGV[1] fencing token, ARGV[2] writer.
    // returns {1, server time µs} when the token is still the current one (the write lands), {0, µs} otherwise.
    private const string WriteScript = """
        local now = redis.call('TIME')
        local micros = tonumber(now[1]) * 1000000 + tonumber(now[2])
        if redis.call('HGET', KEYS[1], 'fence') ~= ARGV[1] then return {0, micros} end
        redis.call('HINCRBY', KEYS[1], 'writes', 1)
        return {1, micros}
        """;

    // KEYS[1] the key's resource hash. For permit holders, who are many at once by design: one more
    // inside, no fencing. Returns {occupancy after entering, server time µs}; the most ever inside is
    // kept in 'max', and every entry counted in 'entries'.
    private const string EnterSharedScript = """
        local now = redis.call('TIME')
        local inside = redis.call('HINCRBY', KEYS[1], 'inside', 1)
        if inside > tonumber(redis.call('HGET', KEYS[1], 'max') or '0') then redis.call('HSET', KEYS[1], 'max', inside) end
        redis.call('HINCRBY', KEYS[1], 'entries', 1)
        return {inside, tonumber(now[1]) * 1000000 + tonumber(now[2])}
        """;

    public sealed record Entered(bool Accepted, long Occupancy, long AtMicros);

    public sealed record Written(bool Accepted, long AtMicros);

    public RedisKey KeyOf(string key) => $"stress:{runId}:{{{key}}}";

    public async Task<Entered> EnterAsync(string key, long fence, string writer)
    {
        var reply = (RedisResult[])(await db.ScriptEvaluateAsync(EnterScript, [KeyOf(key)], [fence, writer]))!;
        return new Entered((long)reply[0] == 1, (long)reply[1], (long)reply[2]);
    }

    public async Task<Written> WriteAsync(string key, long fence, string writer)
    {
        var reply = (RedisResult[])(await db.ScriptEvaluateAsync(WriteScript, [KeyOf(key)], [fence, writer]))!;
        return new Written((long)reply[0] == 1, (long)reply[1]);
    }

    /// <summary>A permit holder enters: always accepted; the occupancy says how many are inside now.</summary>
    public async Task<Entered> EnterSharedAsync(string key)
    {
        var reply = (RedisResult[])(await db.ScriptEvaluateAsync(EnterSharedScript, [KeyOf(key)]))!;
        return new Entered(true, (long)reply[0], (long)reply[1]);
    }

    /// <summary>The most holders ever inside at once, and how many entries there were.</summary>
    public async Task<(long Max, long Entries)> OccupancyAsync(string key)
    {
        var values = await db.HashGetAsync(KeyOf(key), ["max", "entries"]);
        return ((long)values[0], (long)values[1]);
    }

    /// <summary>Leaves the section: one writer fewer inside.</summary>
    public Task ExitAsync(string key) => db.HashDecrementAsync(KeyOf(key), "inside");
}
