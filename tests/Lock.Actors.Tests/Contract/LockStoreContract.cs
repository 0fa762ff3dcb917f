using Lock.Actors.Redis;

namespace Lock.Actors.Tests.Contract;

/// <summary>
/// What every <see cref="ILockStore"/> promises the key actors, run against each implementation: the
/// Redis store (on a real server) and the in-memory store that Redis-free specs build on.
/// </summary>
public abstract class LockStoreContract
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    internal abstract ILockStore Store { get; }

    private LockKeyNames NewKey() => Store.NamesOf("contract-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task A_free_key_is_granted_with_a_positive_fencing_token()
    {
        var outcome = await Store.TryAcquireAsync(NewKey(), "a", Ttl);
        Assert.True(outcome.Acquired);
        Assert.True(outcome.FencingToken > 0, $"fencing token {outcome.FencingToken}");
    }

    [Fact]
    public async Task Every_grant_of_a_key_gets_a_higher_fencing_token_than_the_last()
    {
        var key = NewKey();
        var last = 0L;
        foreach (var token in new[] { "a", "b", "c", "a" })
        {
            var outcome = await Store.TryAcquireAsync(key, token, Ttl);
            Assert.True(outcome.Acquired);
            Assert.True(outcome.FencingToken > last, $"token {outcome.FencingToken} after {last}");
            last = outcome.FencingToken;
            Assert.True(await Store.ReleaseAsync(key, token));
        }
    }

    [Fact]
    public async Task A_held_key_is_refused_with_the_holders_remaining_ttl()
    {
        var key = NewKey();
        await Store.TryAcquireAsync(key, "holder", Ttl);
        var outcome = await Store.TryAcquireAsync(key, "other", Ttl);
        Assert.False(outcome.Acquired);
        Assert.InRange(outcome.HolderTtl!.Value, TimeSpan.FromSeconds(20), Ttl);
    }

    [Fact]
    public async Task The_holding_token_asking_again_is_granted_with_its_own_fencing_token()
    {
        var key = NewKey();
        var first = await Store.TryAcquireAsync(key, "retry", Ttl);
        var again = await Store.TryAcquireAsync(key, "retry", Ttl);
        Assert.True(again.Acquired);
        Assert.Equal(first.FencingToken, again.FencingToken);
    }

    [Fact]
    public async Task Only_the_holding_token_releases()
    {
        var key = NewKey();
        await Store.TryAcquireAsync(key, "holder", Ttl);
        Assert.False(await Store.ReleaseAsync(key, "other"));
        Assert.True((await Store.GetStateAsync(key.Key)).Locked);
        Assert.True(await Store.ReleaseAsync(key, "holder"));
        Assert.False((await Store.GetStateAsync(key.Key)).Locked);
        Assert.False(await Store.ReleaseAsync(key, "holder"));
    }

    [Fact]
    public async Task Only_the_holding_token_extends_and_an_extend_sets_the_ttl()
    {
        var key = NewKey();
        await Store.TryAcquireAsync(key, "holder", TimeSpan.FromSeconds(5));
        Assert.False(await Store.ExtendAsync(key, "other", TimeSpan.FromMinutes(5)));
        Assert.True(await Store.ExtendAsync(key, "holder", TimeSpan.FromMinutes(5)));
        Assert.InRange((await Store.GetStateAsync(key.Key)).RemainingTtl!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        Assert.False(await Store.ExtendAsync(NewKey(), "holder", Ttl));
    }

    [Fact]
    public async Task A_release_is_announced_when_someone_waited_and_only_then()
    {
        var announced = new List<string>();
        var waitedFor = NewKey();
        var unwanted = NewKey();
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Store.SubscribeReleasesAsync(key =>
        {
            lock (announced) announced.Add(key);
            if (key == waitedFor.Key) heard.TrySetResult();
        });
        try
        {
            await Store.TryAcquireAsync(unwanted, "holder", Ttl);
            await Store.ReleaseAsync(unwanted, "holder");
            await Store.TryAcquireAsync(waitedFor, "holder", Ttl);
            Assert.False((await Store.TryAcquireAsync(waitedFor, "waiter", Ttl)).Acquired);
            await Store.ReleaseAsync(waitedFor, "holder");

            await heard.Task.WaitAsync(TimeSpan.FromSeconds(5));
            // Announcements arrive in order: the unwanted key's, had there been one, came first.
            lock (announced) Assert.Equal([waitedFor.Key], announced);
        }
        finally
        {
            await Store.UnsubscribeReleasesAsync();
        }
    }

    [Fact]
    public async Task A_watched_key_reads_its_state_and_announces_its_changes_in_order_and_only_then()
    {
        var watched = NewKey();
        var unwatched = NewKey();
        var changes = System.Threading.Channels.Channel.CreateUnbounded<(string Key, LockChange Change)>();
        await Store.SubscribeChangesAsync((key, change) => changes.Writer.TryWrite((key, change)));
        try
        {
            var before = await Store.TryAcquireAsync(watched, "first|leader-1", Ttl);
            var read = await Store.WatchAsync(watched, TimeSpan.FromSeconds(30));
            Assert.Equal((true, before.FencingToken, "leader-1"), (read.Locked, read.FencingToken, read.Label));
            Assert.InRange(read.RemainingTtl ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), Ttl);

            await Store.TryAcquireAsync(unwatched, "other", Ttl);
            await Store.ReleaseAsync(unwatched, "other");
            await Store.ReleaseAsync(watched, "first|leader-1");
            var next = await Store.TryAcquireAsync(watched, "second|leader-2", Ttl);

            async Task<LockChange> NextAsync()
            {
                var (key, change) = await changes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
                Assert.Equal(watched.Key, key); // the unwatched key's changes are never announced
                return change;
            }
            var released = await NextAsync();
            Assert.Equal((false, before.FencingToken, "leader-1"), (released.Locked, released.FencingToken, released.Label));
            var granted = await NextAsync();
            Assert.Equal((true, next.FencingToken, "leader-2", Ttl), (granted.Locked, granted.FencingToken, granted.Label, granted.Ttl));
        }
        finally
        {
            await Store.UnsubscribeChangesAsync();
        }
    }

    [Fact]
    public async Task A_holder_that_never_releases_is_gone_when_its_ttl_ends()
    {
        var key = NewKey();
        await Store.TryAcquireAsync(key, "crashed", TimeSpan.FromMilliseconds(100));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        // Polls the store: the TTL runs on the store's clock, not on anything the spec can signal.
        while ((await Store.GetStateAsync(key.Key)).Locked)
        {
            Assert.True(DateTime.UtcNow < deadline, "the lock outlived its TTL by seconds");
            await Task.Delay(20);
        }
        Assert.True((await Store.TryAcquireAsync(key, "next", Ttl)).Acquired);
    }
    private static SharedAcquire Shared(string token, int limit = 0) => new(token, Ttl, limit);

    [Fact]
    public async Task Shared_holders_share_a_key_each_with_a_higher_fencing_token_and_keep_a_writer_out()
    {
        var key = NewKey();
        var outcomes = await Store.TryAcquireSharedAsync(key, [Shared("r1"), Shared("r2")]);
        Assert.All(outcomes, outcome => Assert.True(outcome.Acquired));
        Assert.True(outcomes[1].FencingToken > outcomes[0].FencingToken);
        var state = await Store.GetStateAsync(key.Key);
        Assert.Equal((true, LockProtocol.LockMode.Shared, 2), (state.Locked, state.Mode, state.Holders));

        Assert.False((await Store.TryAcquireAsync(key, "writer", Ttl)).Acquired);
        Assert.True(await Store.ReleaseAsync(key, "r1"));
        Assert.True(await Store.ExtendAsync(key, "r2", Ttl));
        Assert.True(await Store.ReleaseAsync(key, "r2"));
        Assert.False(await Store.ReleaseAsync(key, "r2"));
        var writer = await Store.TryAcquireAsync(key, "writer", Ttl);
        Assert.True(writer.Acquired);
        Assert.True(writer.FencingToken > outcomes[1].FencingToken);
        // Readers wait while the writer holds.
        Assert.False((await Store.TryAcquireSharedAsync(key, [Shared("r3")]))[0].Acquired);
    }

    [Fact]
    public async Task Permits_beyond_the_limit_wait_and_another_limit_is_refused_as_invalid()
    {
        var key = NewKey();
        var outcomes = await Store.TryAcquireSharedAsync(key, [Shared("p1", 2), Shared("p2", 2), Shared("p3", 2)]);
        Assert.Equal([true, true, false], outcomes.Select(o => o.Acquired));
        Assert.Null(outcomes[2].Invalid);
        var other = (await Store.TryAcquireSharedAsync(key, [Shared("p4", 3), Shared("reader")]));
        Assert.All(other, outcome => Assert.NotNull(outcome.Invalid));
        Assert.True(await Store.ReleaseAsync(key, "p1"));
        Assert.True((await Store.TryAcquireSharedAsync(key, [Shared("p3", 2)]))[0].Acquired);
    }

    [Fact]
    public async Task A_waiting_writer_keeps_new_readers_out()
    {
        var key = NewKey();
        Assert.True((await Store.TryAcquireSharedAsync(key, [Shared("inside")]))[0].Acquired);
        Assert.False((await Store.TryAcquireAsync(key, "writer", Ttl)).Acquired);
        Assert.False((await Store.TryAcquireSharedAsync(key, [Shared("late")]))[0].Acquired);
        Assert.True(await Store.ReleaseAsync(key, "inside"));
        Assert.True((await Store.TryAcquireAsync(key, "writer", Ttl)).Acquired);
    }

    [Fact]
    public async Task A_withdrawn_writer_no_longer_keeps_new_readers_out()
    {
        var key = NewKey();
        Assert.True((await Store.TryAcquireSharedAsync(key, [Shared("inside")]))[0].Acquired);
        Assert.False((await Store.TryAcquireAsync(key, "writer", Ttl)).Acquired);
        Assert.False((await Store.TryAcquireSharedAsync(key, [Shared("late")]))[0].Acquired);
        await Store.WithdrawAsync(key, "writer");
        Assert.True((await Store.TryAcquireSharedAsync(key, [Shared("late")]))[0].Acquired);
    }
}
