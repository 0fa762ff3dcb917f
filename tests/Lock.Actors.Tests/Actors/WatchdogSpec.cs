using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

[Collection(RedisCollection.Name)]
public sealed class WatchdogSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    [Fact]
    public async Task Auto_extend_keeps_the_lock_well_past_its_ttl()
    {
        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("watched", Ttl: TimeSpan.FromMilliseconds(1200), AutoExtend: true, Owner: owner));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        // Three TTLs later the lock is still ours and nobody was told it was lost.
        await owner.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(3600));
        Assert.Equal(acquired.Token, (string?)await Redis.Db.StringGetAsync(RedisKey("watched")));

        Manager.Tell(new Release("watched", acquired.Token));
        await ExpectMsgAsync<LockReleased>();
        Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("watched")));
    }

    [Fact]
    public async Task LockLost_reaches_the_owner_and_the_event_stream_when_the_key_is_deleted_behind_the_holder()
    {
        var owner = CreateTestProbe();
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events, typeof(LockLost));
        Manager.Tell(new Acquire("stolen", Ttl: TimeSpan.FromMilliseconds(900), AutoExtend: true, Owner: owner));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        await Redis.Db.KeyDeleteAsync(RedisKey("stolen"));

        // The next watchdog round (a third of the TTL) finds it gone.
        var lost = await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(2));
        Assert.Equal("stolen", lost.Key);
        Assert.Equal(acquired.Token, lost.Token);
        Assert.Equal(acquired.Token, (await events.ExpectMsgAsync<LockLost>()).Token);

        Manager.Tell(GetActiveLocks.Instance);
        Assert.Empty((await ExpectMsgAsync<ActiveLocks>()).Locks);
    }

    [Fact]
    public async Task LockLost_reaches_the_owner_when_another_token_took_the_key_over()
    {
        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("taken", Ttl: TimeSpan.FromMilliseconds(900), AutoExtend: true, Owner: owner));
        await ExpectMsgAsync<LockAcquired>();

        await Redis.Db.StringSetAsync(RedisKey("taken"), "intruder", TimeSpan.FromSeconds(30));

        var lost = await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(2));
        Assert.Equal("taken", lost.Key);
        // The intruder's key is not touched by the loser.
        Assert.Equal("intruder", (string?)await Redis.Db.StringGetAsync(RedisKey("taken")));
    }

    [Fact]
    public async Task A_lock_without_auto_extend_is_reported_lost_when_its_ttl_runs_out()
    {
        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("short", Ttl: TimeSpan.FromMilliseconds(400), Owner: owner));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        var lost = await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(2));
        Assert.Equal(acquired.Token, lost.Token);
        Manager.Tell(GetActiveLocks.Instance);
        Assert.Empty((await ExpectMsgAsync<ActiveLocks>()).Locks);
    }

    [Fact]
    public async Task A_short_lock_after_a_long_one_on_the_same_key_is_still_lost_at_its_own_ttl()
    {
        // The key actor's holder timer is not cancelled on release (one timer per TTL, not per
        // acquire): it must still be brought forward for a holder whose TTL ends sooner.
        Manager.Tell(new Acquire("reused", Ttl: TimeSpan.FromSeconds(30)));
        var first = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Release("reused", first.Token));
        await ExpectMsgAsync<LockReleased>();

        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("reused", Ttl: TimeSpan.FromMilliseconds(400), Owner: owner));
        var second = await ExpectMsgAsync<LockAcquired>();
        var lost = await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(2));
        Assert.Equal(second.Token, lost.Token);
    }
}
