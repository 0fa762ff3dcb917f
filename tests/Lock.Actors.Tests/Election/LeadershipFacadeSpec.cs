using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Lock.Actors.Tests.Election;

/// <summary>Elections through <see cref="LockService"/>: CampaignAsync, the Leadership handle, WatchLeaderAsync.</summary>
[Collection(RedisCollection.Name)]
public sealed class LeadershipFacadeSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    private static readonly TimeSpan LongTerm = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Disposing_the_leadership_elects_the_next_campaign_and_watchers_see_both()
    {
        var other = await StartNodeAsync("node-b");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var watch = other.Service.WatchLeaderAsync("facade", cancel.Token).GetAsyncEnumerator(cancel.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(new LeaderInfo("facade", null, null), watch.Current);

        var first = await Locks.Service.CampaignAsync("facade", "first", LongTerm, cancel.Token);
        Assert.Equal("facade", first.Name);
        var waiting = other.Service.CampaignAsync("facade", "second", LongTerm, cancel.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(new LeaderInfo("facade", "first", first.FencingToken), watch.Current);
        Assert.False(waiting.IsCompleted);

        await first.DisposeAsync();
        var second = await waiting.WaitAsync(TimeSpan.FromSeconds(3));
        Assert.True(second.FencingToken > first.FencingToken);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(new LeaderInfo("facade", null, null), watch.Current);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(new LeaderInfo("facade", "second", second.FencingToken), watch.Current);
        Assert.False(first.Lost.IsCancellationRequested);
        await second.DisposeAsync();
    }

    [Fact]
    public async Task Lost_is_cancelled_when_the_term_is_lost()
    {
        await using var leadership = await Locks.Service.CampaignAsync("lost", ttl: TimeSpan.FromSeconds(1));
        var lost = new TaskCompletionSource();
        leadership.Lost.Register(() => lost.SetResult());
        await Redis.Db.KeyDeleteAsync(RedisKey("election:lost"));
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_cancelled_campaign_throws_and_never_leads()
    {
        await using var leader = await Locks.Service.CampaignAsync("cancelled", ttl: LongTerm);
        using var cancel = new CancellationTokenSource();
        var withdrawn = Locks.Service.CampaignAsync("cancelled", "withdrawn", LongTerm, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn);

        var next = Locks.Service.CampaignAsync("cancelled", "next", LongTerm);
        await leader.DisposeAsync();
        await using var term = await next.WaitAsync(TimeSpan.FromSeconds(3));
        Assert.True(term.FencingToken > leader.FencingToken);
    }

    [Fact]
    public async Task A_bad_campaign_or_watch_throws_naming_the_problem()
    {
        var campaign = await Assert.ThrowsAsync<LockOperationException>(() => Locks.Service.CampaignAsync(" "));
        Assert.Contains("empty", campaign.Message);
        var watch = await Assert.ThrowsAsync<LockOperationException>(async () =>
        {
            await foreach (var _ in Locks.Service.WatchLeaderAsync("")) { }
        });
        Assert.Contains("empty", watch.Message);
    }
}
