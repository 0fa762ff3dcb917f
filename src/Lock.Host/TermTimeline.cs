using StackExchange.Redis;

namespace Lock.Host;

/// <summary>
/// What a leader writes while it leads, on a Redis of its own (not the lock's): each write carries the
/// term's fencing token and is refused when a later term has written already, and every write,
/// accepted or not, goes on a list stamped with that server's clock. Read back, the list shows whether
/// two terms ever overlapped.
/// </summary>
internal sealed class TermTimeline(IDatabase db, string name)
{
    // KEYS[1] the list, KEYS[2] the last term that wrote; ARGV[1] term, ARGV[2] writer.
    // Returns 1 when the write is accepted (its term is the latest), 0 when a later term wrote first.
    private const string WriteScript = """
        local now = redis.call('TIME')
        local micros = tonumber(now[1]) * 1000000 + tonumber(now[2])
        local accepted = tonumber(ARGV[1]) >= tonumber(redis.call('GET', KEYS[2]) or '0')
        if accepted then redis.call('SET', KEYS[2], ARGV[1]) end
        redis.call('RPUSH', KEYS[1], ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. string.format('%.0f', micros) .. ' ' .. (accepted and '1' or '0'))
        return accepted and 1 or 0
        """;

    public RedisKey ListKey => $"terms:{{{name}}}";

    private RedisKey LastTermKey => $"terms:{{{name}}}:last";

    public async Task<bool> WriteAsync(long term, string writer) =>
        (long)(await db.ScriptEvaluateAsync(WriteScript, [ListKey, LastTermKey], [term, writer]))! == 1;
}
