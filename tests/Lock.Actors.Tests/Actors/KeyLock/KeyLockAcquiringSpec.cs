using Lock.Actors.Actors;
using Lock.Actors.Actors.KeyLock;
using Lock.Actors.Tests.Infrastructure.Unit;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors.KeyLock;

/// <summary>Idle → Acquiring → Held or Waiting: the head's attempt and what its answer leads to.</summary>
[Trait("Category", "Unit")]
public sealed class KeyLockAcquiringSpec(ITestOutputHelper output) : KeyLockActorSpec(output)
{
    [Fact]
    public async Task Acquire_makes_one_attempt_and_grants_with_the_stores_fencing_token()
    {
        var requester = CreateTestProbe();
        Send(new Acquire(Key, Ttl: TimeSpan.FromSeconds(7)), requester.Ref);

        var attempt = await ExpectAttemptAsync();
        Assert.Equal(TimeSpan.FromSeconds(7), attempt.Ttl);
        attempt.Grant(41);

        var granted = await Manager.ExpectMsgAsync<LockManagerActor.Granted>();
        var acquired = await requester.ExpectMsgAsync<LockAcquired>();
        Assert.Equal((Key, 41L, attempt.Token), (acquired.Key, acquired.FencingToken, acquired.Token));
        Assert.Equal(acquired.Token, granted.Lock.Token);
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task Only_the_head_of_the_queue_talks_to_Redis()
    {
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        Send(new Acquire(Key), first.Ref);
        var attempt = await ExpectAttemptAsync();
        Send(new Acquire(Key), second.Ref);
        await ExpectNoStoreCallAsync();

        attempt.Grant(1);
        await first.ExpectMsgAsync<LockAcquired>();
        // The second waits behind the local holder: asking Redis could only be refused.
        await QuietAsync(second);
    }

    [Fact]
    public async Task Waiters_are_served_in_arrival_order_after_the_holder_releases()
    {
        var holder = CreateTestProbe();
        var acquired = await GrantAsync(holder, 1);
        var waiters = new[] { CreateTestProbe(), CreateTestProbe(), CreateTestProbe() };
        foreach (var waiter in waiters) Send(new Acquire(Key), waiter.Ref);

        Send(new Release(Key, acquired.Token), holder.Ref);
        (await ExpectReleaseCallAsync()).Answer(true);
        await holder.ExpectMsgAsync<LockReleased>();

        for (var i = 0; i < waiters.Length; i++)
        {
            var attempt = await ExpectAttemptAsync();
            attempt.Grant(2 + i);
            var next = await waiters[i].ExpectMsgAsync<LockAcquired>();
            Assert.Equal(attempt.Token, next.Token);
            Send(new Release(Key, next.Token), waiters[i].Ref);
            (await ExpectReleaseCallAsync()).Answer(true);
            await waiters[i].ExpectMsgAsync<LockReleased>();
        }
    }

    [Fact]
    public async Task A_key_held_elsewhere_is_tried_again_when_its_release_is_announced_not_before()
    {
        var requester = CreateTestProbe();
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(10)), requester.Ref);
        var first = await ExpectAttemptAsync();
        first.HeldElsewhere(TimeSpan.FromSeconds(20));
        await ExpectNoStoreCallAsync();

        Send(KeyLockProtocol.KeyReleased.Instance);
        var second = await ExpectAttemptAsync();
        // The same waiter keeps its token across attempts: a retry whose reply was lost finds it in Redis.
        Assert.Equal(first.Token, second.Token);
        second.Grant(5);
        Assert.Equal(5, (await requester.ExpectMsgAsync<LockAcquired>()).FencingToken);
    }

    [Fact]
    public async Task Without_a_notification_the_head_tries_again_after_the_retry_interval()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(10)));
        (await ExpectAttemptAsync()).HeldElsewhere(TimeSpan.FromSeconds(20));

        await AdvanceAsync(RetryInterval - TimeSpan.FromMilliseconds(1));
        await ExpectNoStoreCallAsync();
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        await ExpectAttemptAsync();
    }

    [Fact]
    public async Task A_holder_about_to_expire_is_tried_again_when_its_ttl_ends()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(10)));
        (await ExpectAttemptAsync()).HeldElsewhere(TimeSpan.FromMilliseconds(300));

        await AdvanceAsync(TimeSpan.FromMilliseconds(299));
        await ExpectNoStoreCallAsync();
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        (await ExpectAttemptAsync()).Grant(3);
        await ExpectMsgAsync<LockAcquired>();
    }

    [Fact]
    public async Task A_release_announced_during_the_attempt_makes_a_held_answer_stale()
    {
        var requester = CreateTestProbe();
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(10)), requester.Ref);
        var attempt = await ExpectAttemptAsync();

        // The holder elsewhere released while our attempt was on its way: its "held" answer is old news.
        Send(KeyLockProtocol.KeyReleased.Instance);
        await ExpectNoStoreCallAsync();
        attempt.HeldElsewhere(TimeSpan.FromSeconds(20));

        (await ExpectAttemptAsync()).Grant(9);
        Assert.Equal(9, (await requester.ExpectMsgAsync<LockAcquired>()).FencingToken);
    }

    [Fact]
    public async Task A_grant_that_arrives_after_the_requester_left_is_given_back_at_once()
    {
        var requester = CreateTestProbe();
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(10)), requester.Ref);
        var attempt = await ExpectAttemptAsync();
        Send(new KeyLockProtocol.Abandon(requester.Ref));
        // Its wait, if Redis registered one, is withdrawn right behind the attempt.
        await ExpectWithdrawAsync(attempt.Token);
        await ExpectNoStoreCallAsync();

        attempt.Grant(4);
        var giveBack = await ExpectReleaseCallAsync();
        Assert.Equal(attempt.Token, giveBack.Token);
        giveBack.Answer(true);
        await QuietAsync(requester);
        await QuietAsync(Manager);
    }

    [Fact]
    public async Task A_waiter_whose_owner_has_stopped_is_skipped_without_an_attempt()
    {
        var owner = CreateTestProbe();
        var other = CreateTestProbe();
        var holder = await GrantAsync(CreateTestProbe(), 1);
        Send(new Acquire(Key, Owner: owner.Ref), owner.Ref);
        Send(new Acquire(Key), other.Ref);
        Watch(owner.Ref);
        Sys.Stop(owner.Ref);
        await ExpectTerminatedAsync(owner.Ref);

        Send(new Release(Key, holder.Token));
        (await ExpectReleaseCallAsync()).Answer(true);
        await ExpectMsgAsync<LockReleased>();

        // The stopped owner's waiter is dropped; the next attempt is the other waiter's.
        (await ExpectAttemptAsync()).Grant(2);
        await other.ExpectMsgAsync<LockAcquired>();
    }
}
