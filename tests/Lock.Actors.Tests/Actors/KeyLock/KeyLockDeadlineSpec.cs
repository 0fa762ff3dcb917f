using Lock.Actors.Actors.KeyLock;
using Lock.Actors.Tests.Infrastructure.Unit;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors.KeyLock;

/// <summary>Each waiter's own timeout, and what its refusal says: held elsewhere, or Redis unavailable.</summary>
[Trait("Category", "Unit")]
public sealed class KeyLockDeadlineSpec(ITestOutputHelper output) : KeyLockActorSpec(output)
{
    [Fact]
    public async Task A_waiter_behind_a_key_held_elsewhere_times_out_at_its_deadline()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.FromMilliseconds(2500)));
        (await ExpectAttemptAsync()).HeldElsewhere(TimeSpan.FromSeconds(60));

        // Retries at each retry-interval, each answered "held".
        await AdvanceAsync(RetryInterval);
        (await ExpectAttemptAsync()).HeldElsewhere(TimeSpan.FromSeconds(60));
        await AdvanceAsync(RetryInterval);
        (await ExpectAttemptAsync()).HeldElsewhere(TimeSpan.FromSeconds(60));
        await AdvanceAsync(TimeSpan.FromMilliseconds(499));
        await QuietAsync(this);

        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        var refused = await ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.Timeout, refused.Reason);
        Assert.Contains($"'{Key}'", refused.Message);
    }

    [Fact]
    public async Task A_waiter_behind_a_local_holder_times_out_without_asking_Redis()
    {
        await GrantAsync(CreateTestProbe(), 1);
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(2)));

        await AdvanceAsync(TimeSpan.FromSeconds(2));
        var refused = await ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.Timeout, refused.Reason);
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task A_zero_timeout_still_tries_once_and_its_grant_is_not_cut_off_by_its_own_deadline()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.Zero));
        var attempt = await ExpectAttemptAsync();
        // The deadline has passed the moment the request arrived; Redis gets a retry-interval to answer.
        await AdvanceAsync(RetryInterval - TimeSpan.FromMilliseconds(1));
        await QuietAsync(this);
        attempt.Grant(8);
        Assert.Equal(8, (await ExpectMsgAsync<LockAcquired>()).FencingToken);
    }

    [Fact]
    public async Task A_zero_timeout_on_a_held_key_is_refused_as_timeout_after_one_attempt()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.Zero));
        var attempt = await ExpectAttemptAsync();
        attempt.HeldElsewhere(TimeSpan.FromSeconds(30));
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.Equal(AcquireFailure.Timeout, (await ExpectMsgAsync<LockNotAcquired>()).Reason);
        // Refused, it was registered as a waiting writer: it no longer is, and nothing else is asked.
        await ExpectWithdrawAsync(attempt.Token);
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task An_attempt_Redis_does_not_answer_is_refused_as_unavailable_not_as_held()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.FromMilliseconds(200)));
        await ExpectAttemptAsync(); // never answered: a paused server

        await AdvanceAsync(RetryInterval);
        var refused = await ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.Unavailable, refused.Reason);
        Assert.Contains("did not answer", refused.Message);
    }

    [Fact]
    public async Task A_silent_Redis_names_the_configuration_problem_the_store_knows()
    {
        Store.ConfigurationProblem = "the ACL user may not run EVALSHA";
        Send(new Acquire(Key, Timeout: TimeSpan.FromMilliseconds(200)));
        await ExpectAttemptAsync();

        await AdvanceAsync(RetryInterval);
        var refused = await ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.Unavailable, refused.Reason);
        Assert.Contains("EVALSHA", refused.Message);
    }

    [Fact]
    public async Task A_waiter_queued_behind_a_hanging_attempt_is_unavailable_at_its_deadline()
    {
        var head = CreateTestProbe();
        var behind = CreateTestProbe();
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(10)), head.Ref);
        await ExpectAttemptAsync(); // hangs
        Send(new Acquire(Key, Timeout: TimeSpan.FromMilliseconds(500)), behind.Ref);

        await AdvanceAsync(TimeSpan.FromMilliseconds(500));
        // It never heard from Redis, and Redis is not answering: not "held", but unavailable.
        Assert.Equal(AcquireFailure.Unavailable, (await behind.ExpectMsgAsync<LockNotAcquired>()).Reason);
        await QuietAsync(head);
    }

    [Fact]
    public async Task A_grant_that_comes_after_the_deadline_is_given_back()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.FromMilliseconds(100)));
        var attempt = await ExpectAttemptAsync();
        await AdvanceAsync(RetryInterval);
        Assert.Equal(AcquireFailure.Unavailable, (await ExpectMsgAsync<LockNotAcquired>()).Reason);
        await ExpectWithdrawAsync(attempt.Token);

        attempt.Grant(12);
        var giveBack = await ExpectReleaseCallAsync();
        Assert.Equal(attempt.Token, giveBack.Token);
        giveBack.Answer(true);
        await QuietAsync(this);
    }

    [Fact]
    public async Task A_failed_attempt_is_retried_within_the_timeout_and_can_still_be_granted()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.FromSeconds(5)));
        (await ExpectAttemptAsync()).Fail("No connection is active/available");

        // Sooner than the retry-interval: a failover or reconnect is usually over in moments.
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        (await ExpectAttemptAsync()).Fail("No connection is active/available");
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        (await ExpectAttemptAsync()).Grant(21);
        Assert.Equal(21, (await ExpectMsgAsync<LockAcquired>()).FencingToken);
    }

    [Fact]
    public async Task Failures_until_the_deadline_are_refused_as_unavailable_naming_the_last_error()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.FromMilliseconds(600)));
        (await ExpectAttemptAsync()).Fail("first error");
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        (await ExpectAttemptAsync()).Fail("second error");
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        var last = await ExpectAttemptAsync();
        last.Fail("READONLY You can't write against a read only replica");
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));

        var refused = await ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.Unavailable, refused.Reason);
        Assert.Contains("READONLY", refused.Message);
        Assert.Contains($"'{Key}'", refused.Message);
        await ExpectWithdrawAsync(last.Token);
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task A_grant_too_few_replicas_confirmed_is_retried_then_refused_naming_the_replicas()
    {
        Send(new Acquire(Key, Timeout: TimeSpan.FromMilliseconds(400)));
        (await ExpectAttemptAsync()).NotConfirmed("only 0 of 1 replicas acknowledged the grant");
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        (await ExpectAttemptAsync()).NotConfirmed("only 0 of 1 replicas acknowledged the grant");
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));

        var refused = await ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.Unavailable, refused.Reason);
        Assert.Contains("replicas", refused.Message);
    }

    [Fact]
    public async Task Shutdown_refuses_every_waiter_and_a_late_grant_is_given_back()
    {
        var head = CreateTestProbe();
        var behind = CreateTestProbe();
        Send(new Acquire(Key), head.Ref);
        var attempt = await ExpectAttemptAsync();
        Send(new Acquire(Key), behind.Ref);

        Send(KeyLockProtocol.RefuseWaiters.Instance);
        Assert.Equal(AcquireFailure.ShuttingDown, (await head.ExpectMsgAsync<LockNotAcquired>()).Reason);
        Assert.Equal(AcquireFailure.ShuttingDown, (await behind.ExpectMsgAsync<LockNotAcquired>()).Reason);
        // Only the head ever asked Redis: only its wait is withdrawn.
        await ExpectWithdrawAsync(attempt.Token);

        attempt.Grant(3);
        (await ExpectReleaseCallAsync()).Answer(true);
        await ExpectNoStoreCallAsync();
    }
}
