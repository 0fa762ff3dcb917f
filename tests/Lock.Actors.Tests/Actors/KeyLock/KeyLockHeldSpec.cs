using Lock.Actors.Actors;
using Lock.Actors.Tests.Infrastructure.Unit;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors.KeyLock;

/// <summary>Held: the watchdog, explicit extends, and how a lock is lost.</summary>
[Trait("Category", "Unit")]
public sealed class KeyLockHeldSpec(ITestOutputHelper output) : KeyLockActorSpec(output)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task The_watchdog_extends_every_third_of_the_ttl()
    {
        var owner = CreateTestProbe();
        await GrantAsync(owner, 1, Ttl, autoExtend: true, owner: owner.Ref);

        await AdvanceAsync(TimeSpan.FromMilliseconds(999));
        await ExpectNoStoreCallAsync();
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        var extend = await ExpectExtendCallAsync();
        Assert.Equal(Ttl, extend.Ttl);
        extend.Answer(true);

        // Well past the first TTL: still held, because each extend moved it on.
        for (var i = 0; i < 4; i++)
        {
            await AdvanceAsync(TimeSpan.FromSeconds(1));
            (await ExpectExtendCallAsync()).Answer(true);
        }
        await QuietAsync(owner);
    }

    [Fact]
    public async Task A_failed_extend_is_retried_after_a_tenth_of_the_ttl_not_the_retry_interval()
    {
        var owner = CreateTestProbe();
        await GrantAsync(owner, 1, Ttl, autoExtend: true, owner: owner.Ref);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        (await ExpectExtendCallAsync()).Fail("NOPERM this user has no permissions to run the 'evalsha' command");

        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        (await ExpectExtendCallAsync()).Fail("still refused");
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        (await ExpectExtendCallAsync()).Answer(true);
        await QuietAsync(owner);

        // Back on the normal period.
        await AdvanceAsync(TimeSpan.FromMilliseconds(999));
        await ExpectNoStoreCallAsync();
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        await ExpectExtendCallAsync();
    }

    [Fact]
    public async Task An_extend_Redis_refuses_loses_the_lock_and_serves_the_next_waiter()
    {
        var owner = CreateTestProbe();
        var acquired = await GrantAsync(owner, 1, Ttl, autoExtend: true, owner: owner.Ref);
        var waiter = CreateTestProbe();
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(30)), waiter.Ref);

        await AdvanceAsync(TimeSpan.FromSeconds(1));
        (await ExpectExtendCallAsync()).Answer(false);

        var lost = await owner.ExpectMsgAsync<LockLost>();
        Assert.Equal(acquired.Token, lost.Token);
        Assert.Contains("no longer held", lost.Reason);
        Assert.Equal(acquired.Token, (await Manager.ExpectMsgAsync<LockManagerActor.Ended>()).Token);
        (await ExpectAttemptAsync()).Grant(2);
        await waiter.ExpectMsgAsync<LockAcquired>();
    }

    [Fact]
    public async Task An_extend_Redis_never_answers_loses_the_lock_when_its_validity_ends()
    {
        var owner = CreateTestProbe();
        await GrantAsync(owner, 1, Ttl, autoExtend: true, owner: owner.Ref);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        await ExpectExtendCallAsync(); // never answered

        await AdvanceAsync(TimeSpan.FromMilliseconds(1999));
        await QuietAsync(owner);
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.Contains("did not answer", (await owner.ExpectMsgAsync<LockLost>()).Reason);
    }

    [Fact]
    public async Task Failed_extends_until_the_ttl_ends_lose_the_lock_naming_the_error()
    {
        var owner = CreateTestProbe();
        await GrantAsync(owner, 1, Ttl, autoExtend: true, owner: owner.Ref);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        (await ExpectExtendCallAsync()).Fail("CLUSTERDOWN The cluster is down");
        for (var i = 0; i < 7; i++)
        {
            await AdvanceAsync(TimeSpan.FromMilliseconds(250));
            (await ExpectExtendCallAsync()).Fail("CLUSTERDOWN The cluster is down");
        }
        await QuietAsync(owner);
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        (await ExpectExtendCallAsync()).Fail("CLUSTERDOWN The cluster is down");

        var lost = await owner.ExpectMsgAsync<LockLost>();
        Assert.Contains("CLUSTERDOWN", lost.Reason);
    }

    [Fact]
    public async Task A_lock_without_watchdog_is_lost_when_its_ttl_ends()
    {
        var owner = CreateTestProbe();
        await GrantAsync(owner, 1, Ttl, owner: owner.Ref);

        await AdvanceAsync(Ttl - TimeSpan.FromMilliseconds(1));
        await QuietAsync(owner);
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.Contains("TTL ran out", (await owner.ExpectMsgAsync<LockLost>()).Reason);
        await Manager.ExpectMsgAsync<LockManagerActor.Ended>();
    }

    [Fact]
    public async Task An_explicit_extend_moves_the_end_of_the_lock()
    {
        var owner = CreateTestProbe();
        var acquired = await GrantAsync(owner, 1, Ttl, owner: owner.Ref);
        await AdvanceAsync(TimeSpan.FromSeconds(2));
        Send(new Extend(Key, acquired.Token, TimeSpan.FromSeconds(10)));
        var extend = await ExpectExtendCallAsync();
        Assert.Equal(TimeSpan.FromSeconds(10), extend.Ttl);
        extend.Answer(true);
        Assert.Equal(TimeSpan.FromSeconds(10), (await ExpectMsgAsync<LockExtended>()).Ttl);

        await AdvanceAsync(TimeSpan.FromSeconds(9));
        await QuietAsync(owner);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        await owner.ExpectMsgAsync<LockLost>();
    }

    [Fact]
    public async Task Release_and_extend_with_another_token_are_left_to_Redis()
    {
        await GrantAsync(CreateTestProbe(), 1);
        Send(new Release(Key, "someone-elses"));
        var release = await ExpectReleaseCallAsync();
        Assert.Equal("someone-elses", release.Token);
        release.Answer(false);
        Assert.Equal(LockFailure.NotHeld, (await ExpectMsgAsync<ReleaseFailed>()).Reason);

        Send(new Extend(Key, "someone-elses"));
        (await ExpectExtendCallAsync()).Fail("connection lost");
        Assert.Equal(LockFailure.Unavailable, (await ExpectMsgAsync<ExtendFailed>()).Reason);
    }
}
