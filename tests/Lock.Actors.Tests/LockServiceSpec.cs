using Akka.Actor;
using Akka.Configuration;
using Lock.Actors.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests;

/// <summary>The facade for code that is not an actor: the original service's API.</summary>
[Collection(RedisCollection.Name)]
public sealed class LockServiceSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    private LockService Service => Locks.Service;

    [Fact]
    public async Task Await_using_releases_the_lock_at_the_end_of_the_block()
    {
        await using (var handle = await Service.AcquireAsync("scheduler:create_daily_tables", TimeSpan.FromSeconds(60)))
        {
            Assert.True(await Service.IsLockedAsync("scheduler:create_daily_tables"));
            Assert.Equal(handle.Token, (string?)await Redis.Db.StringGetAsync(RedisKey("scheduler:create_daily_tables")));
            Assert.True(handle.FencingToken > 0);
        }
        Assert.False(await Service.IsLockedAsync("scheduler:create_daily_tables"));
    }

    [Fact]
    public async Task TryAcquire_returns_null_and_Acquire_throws_with_the_reason_when_the_key_stays_held()
    {
        await using var held = await Service.AcquireAsync("busy");

        Assert.Null(await Service.TryAcquireAsync("busy", timeout: TimeSpan.FromMilliseconds(200)));
        var error = await Assert.ThrowsAsync<LockAcquireException>(
            () => Service.AcquireAsync("busy", timeout: TimeSpan.FromMilliseconds(200)));
        Assert.Equal((AcquireFailure.Timeout, "busy"), (error.Reason, error.Key));
    }

    [Fact]
    public async Task Invalid_requests_throw_typed_exceptions_naming_the_key()
    {
        var acquire = await Assert.ThrowsAsync<LockAcquireException>(() => Service.TryAcquireAsync("  "));
        Assert.Equal(AcquireFailure.InvalidRequest, acquire.Reason);
        var release = await Assert.ThrowsAsync<LockOperationException>(() => Service.ReleaseAsync("key", ""));
        Assert.Equal((LockFailure.InvalidRequest, "key"), (release.Reason, release.Key));
        var ttl = await Assert.ThrowsAsync<LockAcquireException>(() => Service.AcquireAsync("key", TimeSpan.Zero));
        Assert.Contains("'key'", ttl.Message);
    }

    [Fact]
    public async Task Release_and_extend_by_key_and_token_return_whether_the_token_held_it()
    {
        var handle = await Service.AcquireAsync("by-token", TimeSpan.FromSeconds(5));
        Assert.True(await Service.ExtendAsync("by-token", handle.Token, TimeSpan.FromSeconds(50)));
        Assert.False(await Service.ExtendAsync("by-token", "wrong"));
        Assert.False(await Service.ReleaseAsync("by-token", "wrong"));
        Assert.True(await Service.ReleaseAsync("by-token", handle.Token));
        Assert.False(await Service.ReleaseAsync("by-token", handle.Token));
        // The handle, whose lock was released by token meanwhile, holds nothing any more and says so.
        Assert.False(await handle.ExtendAsync());
        Assert.False(await handle.ReleaseAsync());
    }

    [Fact]
    public async Task The_handle_Lost_token_is_cancelled_when_the_watchdog_finds_the_lock_gone()
    {
        var handle = await Service.AcquireAsync("lost", TimeSpan.FromMilliseconds(900), timeout: null, autoExtend: true);
        var lost = new TaskCompletionSource();
        handle.Lost.Register(() => lost.TrySetResult());
        Assert.False(handle.Lost.IsCancellationRequested);

        await Redis.Db.KeyDeleteAsync(RedisKey("lost"));
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task The_handle_Lost_token_is_cancelled_when_the_ttl_runs_out_unreleased()
    {
        var handle = await Service.AcquireAsync("expiring", TimeSpan.FromMilliseconds(300));
        var lost = new TaskCompletionSource();
        handle.Lost.Register(() => lost.TrySetResult());
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(3));
        Assert.False(await handle.ReleaseAsync());
    }

    [Fact]
    public async Task Releasing_a_handle_whose_lock_vanished_reports_false_and_cancels_Lost()
    {
        var handle = await Service.AcquireAsync("vanished", TimeSpan.FromSeconds(30));
        await Redis.Db.KeyDeleteAsync(RedisKey("vanished")); // a Redis restart or flush, for this key
        Assert.False(handle.Lost.IsCancellationRequested);

        Assert.False(await handle.ReleaseAsync());
        Assert.True(handle.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task ForceReleaseAll_through_the_facade_counts_the_released_locks()
    {
        await Service.AcquireAsync("f1");
        await Service.AcquireAsync("f2");
        Assert.Equal(2, (await Service.GetActiveLocksAsync()).Count);
        Assert.Equal(2, await Service.ForceReleaseAllAsync());
        Assert.Empty(Redis.KeysUnder(Prefix + "{"));
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_never_takes_the_lock_later()
    {
        var holder = await Service.AcquireAsync("cancel");
        using var cancel = new CancellationTokenSource();
        var waiting = Service.TryAcquireAsync("cancel", timeout: TimeSpan.FromSeconds(10), cancellationToken: cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        await holder.DisposeAsync();
        await AwaitAssertAsync(async () =>
        {
            Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("cancel")));
            Assert.Empty(await Service.GetActiveLocksAsync());
        }, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Two_ActorSystems_in_one_process_have_separate_managers_and_services()
    {
        var other = await StartNodeAsync("node-b");
        Assert.NotSame(Locks, other.Locks);
        Assert.NotSame(Service, other.Service);
        Assert.NotEqual(Manager.Path.Address, other.Manager.Path.Address);

        await using var mine = await Service.AcquireAsync("separate");
        Assert.Single(await Service.GetActiveLocksAsync());
        Assert.Empty(await other.Service.GetActiveLocksAsync());
    }

    [Fact]
    public async Task An_application_connection_handed_in_with_a_setup_is_used_and_not_disposed()
    {
        await using var appConnection = await ConnectionMultiplexer.ConnectAsync(Redis.Configuration);
        var config = NodeConfig("127.0.0.1:1", Prefix); // would fail if the extension connected by itself
        var setup = BootstrapSetup.Create().WithConfig(config).And(new DistributedLocksSetup(appConnection));
        var system = ActorSystem.Create("app-connection", setup);
        try
        {
            var locks = DistributedLocks.Get(system);
            Assert.Same(appConnection, locks.Connection);
            await using (await locks.Service.AcquireAsync("shared-connection"))
                Assert.True(await Redis.Db.KeyExistsAsync(RedisKey("shared-connection")));
        }
        finally
        {
            await system.Terminate();
        }
        Assert.True(appConnection.IsConnected);
        Assert.True(await appConnection.GetDatabase().PingAsync() >= TimeSpan.Zero);
    }
}
