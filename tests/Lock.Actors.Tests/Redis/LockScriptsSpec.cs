using Lock.Actors.Redis;
using Lock.Actors.Tests.Infrastructure;
using StackExchange.Redis;

namespace Lock.Actors.Tests.Redis;

/// <summary>
/// The batched scripts on real Redis: several locks in one call, each with its own answer, and one
/// lock whose keys cannot be used failing alone.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class LockScriptsSpec(RedisFixture redis)
{
    private readonly LockKeys _keys = new(LockSpec.NewPrefix());

    [Fact]
    public async Task One_acquire_call_answers_each_lock_and_a_broken_lock_fails_alone()
    {
        var free = _keys.NamesOf("free");
        var held = _keys.NamesOf("held");
        var broken = _keys.NamesOf("broken");
        await redis.Db.StringSetAsync(held.Lock, "someone-else", TimeSpan.FromSeconds(30));
        // A fencing counter that is not a number: no token can be made for this lock only.
        await redis.Db.HashSetAsync(broken.Fence, "not", "a counter");
        var alsoFree = _keys.NamesOf("also-free");

        var reply = await Run([free, held, broken, alsoFree], "token-1", "a");

        Assert.Equal(8, reply.Length);
        Assert.Equal(1, (long)reply[0]);
        Assert.True((long)reply[1] > 0, "a fencing token");
        Assert.Equal(0, (long)reply[2]);
        Assert.InRange((long)reply[3], 1, 30_000); // the holder's remaining ttl
        Assert.Equal(-1, (long)reply[4]);
        Assert.Contains("WRONGTYPE", (string)reply[5]!);
        Assert.Equal(1, (long)reply[6]);

        Assert.Equal("token-1", (string?)await redis.Db.StringGetAsync(free.Lock));
        Assert.Equal("token-1", (string?)await redis.Db.StringGetAsync(alsoFree.Lock));
        Assert.Equal("someone-else", (string?)await redis.Db.StringGetAsync(held.Lock));
        // A lock that could get no fencing token is not left behind.
        Assert.False(await redis.Db.KeyExistsAsync(broken.Lock));
        // The failed lock's marker is for waiters only; the held one got one, the free ones none.
        Assert.True(await redis.Db.KeyExistsAsync(held.Wait));
        Assert.False(await redis.Db.KeyExistsAsync(free.Wait));
    }

    [Fact]
    public async Task One_release_call_deletes_only_what_its_tokens_hold_and_announces_only_awaited_keys()
    {
        var mine = _keys.NamesOf("mine");
        var awaited = _keys.NamesOf("awaited");
        var theirs = _keys.NamesOf("theirs");
        await Run([mine, awaited], "token-2", "a");
        await redis.Db.StringSetAsync(theirs.Lock, "someone-else", TimeSpan.FromSeconds(30));
        await redis.Db.StringSetAsync(awaited.Wait, "1", TimeSpan.FromSeconds(30));

        var announced = new List<string>();
        var subscriber = redis.Admin.GetSubscriber();
        var channel = _keys.ReleaseChannel;
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await subscriber.SubscribeAsync(channel, (_, message) =>
        {
            lock (announced) announced.Add(message!);
            heard.TrySetResult();
        });
        try
        {
            var reply = await Run([mine, awaited, theirs], "token-2", "r");

            Assert.Equal([1L, 0L, 1L, 0L, 0L, 0L], reply.Select(r => (long)r).ToArray());
            Assert.False(await redis.Db.KeyExistsAsync(mine.Lock));
            Assert.False(await redis.Db.KeyExistsAsync(awaited.Lock));
            Assert.False(await redis.Db.KeyExistsAsync(awaited.Wait));
            Assert.Equal("someone-else", (string?)await redis.Db.StringGetAsync(theirs.Lock));

            await heard.Task.WaitAsync(TimeSpan.FromSeconds(5));
            // Publishing is ordered before the reply; the only announcement is the awaited key's.
            await subscriber.PingAsync();
            lock (announced) Assert.Equal(["awaited"], announced);
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel);
        }
    }

    [Fact]
    public async Task Acquires_and_releases_of_different_locks_share_one_call()
    {
        var held = _keys.NamesOf("held-by-me");
        var wanted = _keys.NamesOf("wanted");
        await Run([held], "token-3", "a");

        var reply = await Run([held, wanted], "token-3", "r", "a");

        Assert.Equal(1, (long)reply[0]);
        Assert.Equal(1, (long)reply[2]);
        Assert.False(await redis.Db.KeyExistsAsync(held.Lock));
        Assert.Equal("token-3", (string?)await redis.Db.StringGetAsync(wanted.Lock));
    }

    [Fact]
    public async Task A_grant_s_token_is_above_its_counter_and_at_least_the_server_clock_less_the_reseed_window()
    {
        var behind = _keys.NamesOf("counter-behind");
        var stale = _keys.NamesOf("counter-stale");
        var recent = _keys.NamesOf("counter-recent");
        var ahead = _keys.NamesOf("counter-ahead");
        var fresh = _keys.NamesOf("counter-fresh");
        var before = await ServerMicrosecondsAsync();
        // A counter a failover set back far, one last written 150 ms ago, one 50 ms ago, one ahead of
        // the clock, and none.
        await redis.Db.StringSetAsync(behind.Fence, 41);
        await redis.Db.StringSetAsync(stale.Fence, before - 150_000);
        await redis.Db.StringSetAsync(recent.Fence, before - 50_000);
        var future = before + 86_400_000_000L;
        await redis.Db.StringSetAsync(ahead.Fence, future);

        var reply = await Run([behind, stale, recent, ahead, fresh], "token-4", "a");
        var after = await ServerMicrosecondsAsync();

        // Behind the clock by more than 100 ms: reseeded from the clock.
        Assert.InRange((long)reply[1], before, after);
        Assert.InRange((long)reply[3], before, after);
        // Within 100 ms: one above the last token, which was itself no later than the clock.
        Assert.Equal(before - 50_000 + 1, (long)reply[5]);
        Assert.Equal(future + 1, (long)reply[7]);
        Assert.InRange((long)reply[9], before, after);
        // Each counter remembers its last token; a counter the grant created expires the configured
        // period after it was seeded.
        Assert.Equal((long)reply[1], (long)await redis.Db.StringGetAsync(behind.Fence));
        Assert.Equal((long)reply[5], (long)await redis.Db.StringGetAsync(recent.Fence));
        Assert.Equal(future + 1, (long)await redis.Db.StringGetAsync(ahead.Fence));
        Assert.InRange((await redis.Db.KeyTimeToLiveAsync(fresh.Fence))!.Value, TimeSpan.FromHours(23), TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task Two_grants_of_one_key_in_one_call_get_increasing_tokens()
    {
        // The clock is read once per call: granted, released and granted again in the same call, the
        // second token must still be above the first.
        var key = _keys.NamesOf("twice");
        var reply = await Run([key, key, key], "token-5", "a", "r", "a");
        Assert.Equal([1L, 1L, 1L], new[] { (long)reply[0], (long)reply[2], (long)reply[4] });
        Assert.True((long)reply[5] > (long)reply[1], $"second token {(long)reply[5]}, first {(long)reply[1]}");
    }

    private async Task<long> ServerMicrosecondsAsync()
    {
        var time = (RedisResult[])(await redis.Db.ExecuteAsync("TIME"))!;
        return (long)time[0] * 1_000_000 + (long)time[1];
    }

    // One script call; the i-th lock gets operations[i] (or the last one given), 30 s ttl for acquires.
    private async Task<RedisResult[]> Run(LockKeyNames[] locks, string token, params string[] operations)
    {
        var keys = locks.SelectMany(l => l.ScriptKeys()).ToArray();
        var values = new RedisValue[]
            {
                86_400_000, _keys.ReleaseChannel.ToString(), FencingTokens.ReseedWindowMicroseconds, _keys.ChangeChannel.ToString(), 1_000,
            }
            .Concat(locks.SelectMany((l, i) =>
            {
                var op = operations[Math.Min(i, operations.Length - 1)];
                return new RedisValue[] { op, token, op == "a" ? 30_000 : l.Key, "" };
            })).ToArray();
        return (RedisResult[])(await redis.Db.ScriptEvaluateAsync(LockScripts.AcquireOrRelease, keys, values))!;
    }
}
