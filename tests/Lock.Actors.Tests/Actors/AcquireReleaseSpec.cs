using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

[Collection(RedisCollection.Name)]
public sealed class AcquireReleaseSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    [Fact]
    public async Task Acquire_writes_the_token_with_the_ttl_and_replies_with_a_fencing_token()
    {
        Manager.Tell(new Acquire("orders:42", Ttl: TimeSpan.FromSeconds(20)));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        Assert.Equal("orders:42", acquired.Key);
        Assert.Equal(TimeSpan.FromSeconds(20), acquired.Ttl);
        Assert.Matches("^[0-9a-f]{32}$", acquired.Token);
        Assert.True(acquired.FencingToken > 0);
        Assert.Equal(acquired.Token, (string?)await Redis.Db.StringGetAsync(RedisKey("orders:42")));
        var pttl = await Redis.Db.KeyTimeToLiveAsync(RedisKey("orders:42"));
        Assert.InRange(pttl!.Value, TimeSpan.FromSeconds(19), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Default_ttl_is_taken_from_settings()
    {
        Manager.Tell(new Acquire("defaults"));
        var acquired = await ExpectMsgAsync<LockAcquired>();
        Assert.Equal(TimeSpan.FromSeconds(30), acquired.Ttl);
        var pttl = await Redis.Db.KeyTimeToLiveAsync(RedisKey("defaults"));
        Assert.InRange(pttl!.Value, TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Release_with_the_token_deletes_the_key()
    {
        Manager.Tell(new Acquire("report"));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        Manager.Tell(new Release("report", acquired.Token));
        await ExpectMsgAsync(new LockReleased("report"));
        Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("report")));
    }

    [Fact]
    public async Task Release_with_a_wrong_or_stale_token_releases_nothing_and_says_so()
    {
        Manager.Tell(new Acquire("report"));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        Manager.Tell(new Release("report", "not-the-token"));
        var failed = await ExpectMsgAsync<ReleaseFailed>();
        Assert.Equal(LockFailure.NotHeld, failed.Reason);
        Assert.Contains("report", failed.Message);
        Assert.Equal(acquired.Token, (string?)await Redis.Db.StringGetAsync(RedisKey("report")));

        // Released once, the token is stale: a second release says so too.
        Manager.Tell(new Release("report", acquired.Token));
        await ExpectMsgAsync(new LockReleased("report"));
        Manager.Tell(new Release("report", acquired.Token));
        Assert.Equal(LockFailure.NotHeld, (await ExpectMsgAsync<ReleaseFailed>()).Reason);
    }

    [Fact]
    public async Task A_key_never_acquired_on_this_node_is_released_by_token_through_Redis()
    {
        // The token came from elsewhere (another process): Redis decides, not the local table.
        await Redis.Db.StringSetAsync(RedisKey("foreign"), "foreign-token", TimeSpan.FromSeconds(30));
        Manager.Tell(new Release("foreign", "wrong"));
        Assert.Equal(LockFailure.NotHeld, (await ExpectMsgAsync<ReleaseFailed>()).Reason);
        Manager.Tell(new Release("foreign", "foreign-token"));
        await ExpectMsgAsync(new LockReleased("foreign"));
        Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("foreign")));
    }

    [Fact]
    public async Task Extend_with_the_token_resets_the_ttl_and_a_wrong_token_is_refused()
    {
        Manager.Tell(new Acquire("batch", Ttl: TimeSpan.FromSeconds(5)));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        Manager.Tell(new Extend("batch", acquired.Token, TimeSpan.FromSeconds(60)));
        await ExpectMsgAsync(new LockExtended("batch", TimeSpan.FromSeconds(60)));
        var pttl = await Redis.Db.KeyTimeToLiveAsync(RedisKey("batch"));
        Assert.InRange(pttl!.Value, TimeSpan.FromSeconds(59), TimeSpan.FromSeconds(60));

        Manager.Tell(new Extend("batch", "wrong-token", TimeSpan.FromSeconds(90)));
        Assert.Equal(LockFailure.NotHeld, (await ExpectMsgAsync<ExtendFailed>()).Reason);
        pttl = await Redis.Db.KeyTimeToLiveAsync(RedisKey("batch"));
        Assert.True(pttl!.Value <= TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Extend_without_a_ttl_reuses_the_ttl_the_lock_was_taken_with()
    {
        Manager.Tell(new Acquire("batch", Ttl: TimeSpan.FromSeconds(8)));
        var acquired = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Extend("batch", acquired.Token));
        await ExpectMsgAsync(new LockExtended("batch", TimeSpan.FromSeconds(8)));
    }

    [Fact]
    public async Task IsLocked_reports_whether_the_key_is_held_anywhere_with_its_remaining_ttl()
    {
        Manager.Tell(new IsLocked("status"));
        await ExpectMsgAsync(new LockStatus("status", false, null));

        Manager.Tell(new Acquire("status", Ttl: TimeSpan.FromSeconds(10)));
        await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new IsLocked("status"));
        var status = await ExpectMsgAsync<LockStatus>();
        Assert.True(status.Locked);
        Assert.InRange(status.RemainingTtl!.Value, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10));

        // Held by someone else entirely (another process wrote it): still locked.
        await Redis.Db.StringSetAsync(RedisKey("elsewhere"), "x", TimeSpan.FromSeconds(10));
        Manager.Tell(new IsLocked("elsewhere"));
        Assert.True((await ExpectMsgAsync<LockStatus>()).Locked);
    }

    [Fact]
    public async Task Fencing_tokens_strictly_increase_per_key()
    {
        var fences = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            Manager.Tell(new Acquire("fenced"));
            var acquired = await ExpectMsgAsync<LockAcquired>();
            fences.Add(acquired.FencingToken);
            Manager.Tell(new Release("fenced", acquired.Token));
            await ExpectMsgAsync<LockReleased>();
        }
        Assert.Equal(fences.OrderBy(f => f), fences);
        Assert.Equal(fences.Count, fences.Distinct().Count());
    }

    [Fact]
    public async Task A_held_key_times_out_for_a_second_requester_on_the_same_node()
    {
        Manager.Tell(new Acquire("busy"));
        await ExpectMsgAsync<LockAcquired>();

        Manager.Tell(new Acquire("busy", Timeout: TimeSpan.FromMilliseconds(300)));
        var failed = await ExpectMsgAsync<LockNotAcquired>(TimeSpan.FromSeconds(3));
        Assert.Equal(AcquireFailure.Timeout, failed.Reason);
        Assert.Contains("busy", failed.Message);
    }

    [Fact]
    public async Task Scripts_are_loaded_again_after_the_server_forgets_them()
    {
        Manager.Tell(new Acquire("scripts"));
        var first = await ExpectMsgAsync<LockAcquired>();
        await Redis.Server.ScriptFlushAsync();

        Manager.Tell(new Release("scripts", first.Token));
        await ExpectMsgAsync(new LockReleased("scripts"));
        await Redis.Server.ScriptFlushAsync();
        Manager.Tell(new Acquire("scripts"));
        var second = await ExpectMsgAsync<LockAcquired>();
        Assert.True(second.FencingToken > first.FencingToken);
    }
}
