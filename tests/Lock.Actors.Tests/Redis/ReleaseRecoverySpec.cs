using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Redis;

/// <summary>
/// Releases that Redis refused (scripts denied through the ACL on a private server): retried by the
/// node in the background, and retried by the handle when asked again.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class ReleaseRecoverySpec(ITestOutputHelper output) : PrivateRedisSpec(NewServer(), output)
{
    private IConnectionMultiplexer _admin = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _admin = await ConnectionMultiplexer.ConnectAsync(Server.Configuration + ",allowAdmin=true");
    }

    public override async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        await base.DisposeAsync();
    }

    private Task RefuseScriptsAsync() => _admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "default", "-evalsha", "-eval");

    private Task AcceptScriptsAsync() => _admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "default", "+evalsha", "+eval");

    [Fact]
    public async Task A_release_Redis_refused_is_retried_in_the_background_and_frees_the_key_long_before_its_ttl()
    {
        Manager.Tell(new Acquire("blocked", Ttl: TimeSpan.FromSeconds(30), AutoExtend: true));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        await RefuseScriptsAsync();
        Manager.Tell(new Release("blocked", acquired.Token));
        Assert.Equal(LockFailure.Unavailable, (await ExpectMsgAsync<ReleaseFailed>()).Reason);
        await AcceptScriptsAsync();

        // Nobody asks again: the node gives the lock back by itself, within a fraction of a second.
        var lockKey = Locks.Keys.LockKey("blocked");
        await AwaitAssertAsync(async () => Assert.False(await _admin.GetDatabase().KeyExistsAsync(lockKey)),
            TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(20));
        Manager.Tell(new Acquire("blocked", Timeout: TimeSpan.Zero));
        await ExpectMsgAsync<LockAcquired>();
    }

    [Fact]
    public async Task A_handle_whose_release_failed_asks_Redis_again_and_reports_Lost_when_its_ttl_runs_out()
    {
        var handle = await Locks.Service.AcquireAsync("handle", ttl: TimeSpan.FromMilliseconds(1500));
        var lost = handle.Lost;

        await RefuseScriptsAsync();
        await Assert.ThrowsAsync<LockOperationException>(() => handle.ReleaseAsync());
        // Asked again, it asks Redis again (which still refuses) rather than answering false by itself.
        await Assert.ThrowsAsync<LockOperationException>(() => handle.ReleaseAsync());
        // Disposing asks too: its failure is logged, never thrown.
        await EventFilter.Warning(contains: "on dispose failed").ExpectOneAsync(async () => await handle.DisposeAsync());

        // No release landed, and the TTL runs out: the loss is reported.
        await Task.Delay(Timeout.Infinite, lost).ContinueWith(_ => { }).WaitAsync(TimeSpan.FromSeconds(3));
        Assert.True(lost.IsCancellationRequested);

        // Lost is reported when the lock's validity ends on this node's clock, which is counted from
        // before the acquire left: the key itself expires on the server a round trip later at most.
        await AwaitAssertAsync(async () => Assert.False(await _admin.GetDatabase().KeyExistsAsync(Locks.Keys.LockKey("handle"))));
        await AcceptScriptsAsync();
        Assert.False(await handle.ReleaseAsync());
    }
}
