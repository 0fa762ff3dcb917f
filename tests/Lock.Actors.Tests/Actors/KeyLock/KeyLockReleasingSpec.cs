using Akka.Actor;
using Lock.Actors.Actors;
using Lock.Actors.Actors.KeyLock;
using Lock.Actors.Tests.Infrastructure.Unit;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors.KeyLock;

/// <summary>Releasing: every way a lock is given back, and a release that Redis does not take.</summary>
[Trait("Category", "Unit")]
public sealed class KeyLockReleasingSpec(ITestOutputHelper output) : KeyLockActorSpec(output)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Release_by_the_holder_deletes_the_lock_and_ends_it_in_the_managers_table()
    {
        var holder = CreateTestProbe();
        var acquired = await GrantAsync(holder, 1);
        Send(new Release(Key, acquired.Token), holder.Ref);
        var release = await ExpectReleaseCallAsync();
        Assert.Equal(acquired.Token, release.Token);
        release.Answer(true);

        await holder.ExpectMsgAsync<LockReleased>();
        Assert.Equal(acquired.Token, (await Manager.ExpectMsgAsync<LockManagerActor.Ended>()).Token);
    }

    [Fact]
    public async Task A_release_that_finds_the_lock_gone_reports_it_lost()
    {
        var holder = CreateTestProbe();
        var acquired = await GrantAsync(holder, 1);
        Sys.EventStream.Subscribe(TestActor, typeof(LockLost));
        Send(new Release(Key, acquired.Token), holder.Ref);
        (await ExpectReleaseCallAsync()).Answer(false);

        Assert.Equal(LockFailure.NotHeld, (await holder.ExpectMsgAsync<ReleaseFailed>()).Reason);
        Assert.Contains("gone from Redis", (await ExpectMsgAsync<LockLost>()).Reason);
    }

    [Fact]
    public async Task A_release_Redis_does_not_take_is_retried_until_it_lands_and_waiters_wait_for_it()
    {
        var holder = CreateTestProbe();
        var acquired = await GrantAsync(holder, 1, Ttl);
        var waiter = CreateTestProbe();
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(30)), waiter.Ref);

        Send(new Release(Key, acquired.Token), holder.Ref);
        (await ExpectReleaseCallAsync()).Fail("NOPERM no permissions to run 'evalsha'");
        Assert.Equal(LockFailure.Unavailable, (await holder.ExpectMsgAsync<ReleaseFailed>()).Reason);
        // Still ours in Redis as far as anyone knows: the waiter does not try yet.
        await ExpectNoStoreCallAsync();

        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        (await ExpectReleaseCallAsync()).Answer(true);
        await Manager.ExpectMsgAsync<LockManagerActor.Ended>();
        (await ExpectAttemptAsync()).Grant(2);
        await waiter.ExpectMsgAsync<LockAcquired>();
    }

    [Fact]
    public async Task A_release_that_never_lands_ends_the_lock_as_lost_when_its_ttl_runs_out()
    {
        var owner = CreateTestProbe();
        var acquired = await GrantAsync(owner, 1, Ttl, owner: owner.Ref);
        Sys.EventStream.Subscribe(TestActor, typeof(LockLost));
        Send(new Release(Key, acquired.Token), owner.Ref);
        (await ExpectReleaseCallAsync()).Fail("connection lost");
        await owner.ExpectMsgAsync<ReleaseFailed>();
        for (var i = 0; i < 11; i++)
        {
            await AdvanceAsync(TimeSpan.FromMilliseconds(250));
            (await ExpectReleaseCallAsync()).Fail("connection lost");
        }

        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        var lost = await ExpectMsgAsync<LockLost>();
        Assert.Contains("did not reach Redis", lost.Reason);
        await Manager.ExpectMsgAsync<LockManagerActor.Ended>();
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task A_handle_may_release_again_while_an_earlier_release_is_being_retried()
    {
        var holder = CreateTestProbe();
        var acquired = await GrantAsync(holder, 1, Ttl);
        Send(new Release(Key, acquired.Token), holder.Ref);
        (await ExpectReleaseCallAsync()).Fail("connection lost");
        await holder.ExpectMsgAsync<ReleaseFailed>();

        Send(new Release(Key, acquired.Token), holder.Ref);
        (await ExpectReleaseCallAsync()).Answer(true);
        await holder.ExpectMsgAsync<LockReleased>();
        await Manager.ExpectMsgAsync<LockManagerActor.Ended>();

        // The lock is gone: the pending retry is dropped, not sent.
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task A_release_while_releasing_does_not_extend_the_lock()
    {
        var holder = CreateTestProbe();
        var acquired = await GrantAsync(holder, 1, Ttl, autoExtend: true);
        Send(new Release(Key, acquired.Token), holder.Ref);
        await ExpectReleaseCallAsync(); // in flight

        await AdvanceAsync(TimeSpan.FromSeconds(1)); // the watchdog's moment
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task A_stopped_owner_loses_its_waiters_and_its_lock_is_released()
    {
        var owner = CreateTestProbe();
        var other = CreateTestProbe();
        var acquired = await GrantAsync(owner, 1, owner: owner.Ref);
        Send(new Acquire(Key, Owner: owner.Ref), owner.Ref);
        Send(new Acquire(Key), other.Ref);

        Send(new KeyLockProtocol.OwnerStopped(owner.Ref));
        var release = await ExpectReleaseCallAsync();
        Assert.Equal(acquired.Token, release.Token);
        release.Answer(true);

        // The owner's queued request is gone; the other waiter is next.
        (await ExpectAttemptAsync()).Grant(2);
        await other.ExpectMsgAsync<LockAcquired>();
        await QuietAsync(owner);
    }

    [Fact]
    public async Task A_lock_granted_to_a_requester_that_stopped_waiting_is_released()
    {
        var requester = CreateTestProbe();
        var acquired = await GrantAsync(requester, 1);
        Send(new KeyLockProtocol.Abandon(requester.Ref));
        Assert.Equal(acquired.Token, (await ExpectReleaseCallAsync()).Token);
    }

    [Fact]
    public async Task Force_release_answers_the_given_address_and_without_a_holder_says_not_held()
    {
        var acquired = await GrantAsync(CreateTestProbe(), 1);
        var aggregator = CreateTestProbe();
        Send(new KeyLockProtocol.ForceRelease(aggregator.Ref, acquired.Token));
        var release = await ExpectReleaseCallAsync();
        Assert.Equal(acquired.Token, release.Token);
        release.Answer(true);
        await aggregator.ExpectMsgAsync<LockReleased>();

        Send(new KeyLockProtocol.ForceRelease(aggregator.Ref, acquired.Token));
        Assert.Equal(LockFailure.NotHeld, (await aggregator.ExpectMsgAsync<ReleaseFailed>()).Reason);
    }

    [Fact]
    public async Task Force_release_during_a_retried_release_tries_again_and_answers()
    {
        var holder = CreateTestProbe();
        var acquired = await GrantAsync(holder, 1, Ttl);
        Send(new Release(Key, acquired.Token), holder.Ref);
        (await ExpectReleaseCallAsync()).Fail("connection lost");
        await holder.ExpectMsgAsync<ReleaseFailed>();

        var aggregator = CreateTestProbe();
        Send(new KeyLockProtocol.ForceRelease(aggregator.Ref, acquired.Token));
        (await ExpectReleaseCallAsync()).Answer(true);
        await aggregator.ExpectMsgAsync<LockReleased>();
        await Manager.ExpectMsgAsync<LockManagerActor.Ended>();
    }
}
