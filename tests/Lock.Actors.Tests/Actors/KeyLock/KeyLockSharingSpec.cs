using Lock.Actors.Actors;
using Lock.Actors.Redis;
using Lock.Actors.Tests.Infrastructure.Unit;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors.KeyLock;

/// <summary>Sharing: shared waiters asked for together, shared holders each on their own, and a writer among them.</summary>
[Trait("Category", "Unit")]
public sealed class KeyLockSharingSpec(ITestOutputHelper output) : KeyLockActorSpec(output)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    private static Acquire Reader(bool autoExtend = false) =>
        new(Key, Ttl, TimeSpan.FromSeconds(10), autoExtend, Mode: LockMode.Shared);

    private static Acquire Permit(int limit) => new(Key, Ttl, TimeSpan.FromSeconds(10), Mode: LockMode.Shared, Limit: limit);

    private Task<ProbeLockStore.TryAcquireShared> ExpectSharedAttemptAsync() =>
        Redis.ExpectMsgAsync<ProbeLockStore.TryAcquireShared>().AsTask();

    [Fact]
    public async Task Readers_that_queue_behind_a_call_in_flight_are_asked_for_together_in_the_next_call()
    {
        var first = CreateTestProbe();
        Send(Reader(), first.Ref);
        var call = await ExpectSharedAttemptAsync();
        Assert.Single(call.Requests);

        var second = CreateTestProbe();
        var third = CreateTestProbe();
        Send(Reader(), second.Ref);
        Send(Reader(), third.Ref);
        await ExpectNoStoreCallAsync();
        call.Answer(AcquireOutcome.Granted(1));

        var together = await ExpectSharedAttemptAsync();
        Assert.Equal(2, together.Requests.Count);
        Assert.All(together.Requests, request => Assert.Equal(0, request.Limit));
        together.Answer(AcquireOutcome.Granted(2), AcquireOutcome.Granted(3));
        Assert.Equal(1, (await first.ExpectMsgAsync<LockAcquired>()).FencingToken);
        Assert.Equal(2, (await second.ExpectMsgAsync<LockAcquired>()).FencingToken);
        Assert.Equal(3, (await third.ExpectMsgAsync<LockAcquired>()).FencingToken);
        for (var i = 0; i < 3; i++)
            Assert.Equal(LockMode.Shared, (await Manager.ExpectMsgAsync<LockManagerActor.Granted>()).Lock.Mode);
        await QuietAsync(first, second, third);
    }

    [Fact]
    public async Task A_reader_arriving_while_readers_hold_here_asks_Redis_at_once()
    {
        await GrantReaderAsync(CreateTestProbe(), 1);
        var late = CreateTestProbe();
        Send(Reader(), late.Ref);
        (await ExpectSharedAttemptAsync()).Answer(AcquireOutcome.Granted(2));
        Assert.Equal(2, (await late.ExpectMsgAsync<LockAcquired>()).FencingToken);
    }

    [Fact]
    public async Task Local_fifo_a_reader_behind_a_waiting_writer_waits_and_the_writer_goes_when_the_last_reader_leaves()
    {
        var reader1 = await GrantReaderAsync(CreateTestProbe(), 1);
        var reader2 = await GrantReaderAsync(CreateTestProbe(), 2);

        // The writer asks Redis even though readers hold here: its wait must be registered there.
        var writer = CreateTestProbe();
        Send(new Acquire(Key, Ttl, TimeSpan.FromSeconds(10)), writer.Ref);
        (await ExpectAttemptAsync()).HeldElsewhere(Ttl);
        // A reader behind the waiting writer does not overtake it.
        var laterReader = CreateTestProbe();
        Send(Reader(), laterReader.Ref);
        await ExpectNoStoreCallAsync();

        Send(new Release(Key, reader1.Token));
        (await ExpectReleaseCallAsync()).Answer(true);
        await ExpectMsgAsync<LockReleased>();
        // One reader still holds: no new attempt on its leaving.
        await ExpectNoStoreCallAsync();

        Send(new Release(Key, reader2.Token));
        (await ExpectReleaseCallAsync()).Answer(true);
        await ExpectMsgAsync<LockReleased>();
        // The last one left: the writer tries at once, without waiting for the notification.
        (await ExpectAttemptAsync()).Grant(3);
        Assert.Equal(3, (await writer.ExpectMsgAsync<LockAcquired>()).FencingToken);
        await QuietAsync(laterReader);
    }

    [Fact]
    public async Task A_writer_does_not_ask_while_a_release_of_a_local_share_is_unanswered()
    {
        var reader = await GrantReaderAsync(CreateTestProbe(), 1);
        var writer = CreateTestProbe();
        Send(new Acquire(Key, Ttl, TimeSpan.FromSeconds(10)), writer.Ref);
        (await ExpectAttemptAsync()).HeldElsewhere(Ttl);

        Send(new Release(Key, reader.Token));
        var release = await ExpectReleaseCallAsync();
        // The release landed in Redis and its announcement comes before its answer: a writer granted
        // now would be granted while this node still counts the share, so it waits for the answer.
        Send(Lock.Actors.Actors.KeyLock.KeyLockProtocol.KeyReleased.Instance);
        await ExpectNoStoreCallAsync();
        release.Answer(true);
        await ExpectMsgAsync<LockReleased>();
        (await ExpectAttemptAsync()).Grant(2);
        await writer.ExpectMsgAsync<LockAcquired>();
    }

    [Fact]
    public async Task A_reader_that_times_out_after_asking_is_withdrawn_and_one_that_never_asked_is_not()
    {
        Send(new Acquire(Key, Ttl, TimeSpan.FromMilliseconds(500), Mode: LockMode.Shared));
        var asked = await ExpectSharedAttemptAsync();
        var behind = CreateTestProbe();
        Send(new Acquire(Key, Ttl, TimeSpan.FromMilliseconds(500)), behind.Ref);
        asked.Answer(AcquireOutcome.HeldElsewhere(Ttl));
        await AdvanceAsync(TimeSpan.FromMilliseconds(500));
        Assert.Equal(AcquireFailure.Timeout, (await ExpectMsgAsync<LockNotAcquired>()).Reason);
        Assert.Equal(AcquireFailure.Timeout, (await behind.ExpectMsgAsync<LockNotAcquired>()).Reason);
        // Redis may owe the reader a turn after the next writer: given back. The writer behind never asked.
        await ExpectWithdrawAsync(asked.Tokens[0]);
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task A_writer_tells_Redis_when_it_may_already_be_registered_as_waiting()
    {
        var writer = CreateTestProbe();
        Send(new Acquire(Key, Ttl, TimeSpan.FromSeconds(10)), writer.Ref);
        var first = await ExpectAttemptAsync();
        // The first attempt: nothing to strike off when granted (the exclusive path stays as it was).
        Assert.False(first.Waited);
        first.HeldElsewhere(TimeSpan.FromMilliseconds(100));
        await AdvanceAsync(TimeSpan.FromMilliseconds(100));
        var retry = await ExpectAttemptAsync();
        Assert.True(retry.Waited);
        retry.Grant(7);
        await writer.ExpectMsgAsync<LockAcquired>();
    }

    [Fact]
    public async Task A_request_under_another_limit_is_refused_as_invalid_and_the_queue_goes_on()
    {
        var refused = CreateTestProbe();
        var next = CreateTestProbe();
        Send(Permit(2), refused.Ref);
        var call = await ExpectSharedAttemptAsync();
        Send(new Acquire(Key, Ttl, TimeSpan.FromSeconds(10)), next.Ref);
        call.Answer(AcquireOutcome.Refused("Lock 'job' is held as a semaphore of 3 permits; this request names a limit of 2."));

        var notAcquired = await refused.ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.InvalidRequest, notAcquired.Reason);
        Assert.Contains("'job'", notAcquired.Message);
        (await ExpectAttemptAsync()).Grant(4);
        await next.ExpectMsgAsync<LockAcquired>();
    }

    [Fact]
    public async Task A_permit_given_back_lets_the_next_permit_waiter_ask_right_behind_the_release()
    {
        var holder = CreateTestProbe();
        Send(Permit(1), holder.Ref);
        (await ExpectSharedAttemptAsync()).Answer(AcquireOutcome.Granted(1));
        var permit = await holder.ExpectMsgAsync<LockAcquired>();
        await Manager.ExpectMsgAsync<LockManagerActor.Granted>();

        var waiter = CreateTestProbe();
        Send(Permit(1), waiter.Ref);
        (await ExpectSharedAttemptAsync()).Answer(AcquireOutcome.HeldElsewhere(Ttl));
        await ExpectNoStoreCallAsync();

        // The next permit asks right behind the release (the calls reach Redis in that order), not after its answer.
        Send(new Release(Key, permit.Token), holder.Ref);
        var release = await ExpectReleaseCallAsync();
        var next = await ExpectSharedAttemptAsync();
        next.Answer(AcquireOutcome.Granted(2));
        Assert.Equal(2, (await waiter.ExpectMsgAsync<LockAcquired>()).FencingToken);
        release.Answer(true);
        await holder.ExpectMsgAsync<LockReleased>();
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task Each_shared_holder_has_its_own_watchdog_and_loses_its_share_alone()
    {
        var keeper = CreateTestProbe();
        Send(Reader(autoExtend: true) with { Owner = keeper.Ref }, keeper.Ref);
        (await ExpectSharedAttemptAsync()).Answer(AcquireOutcome.Granted(1));
        var kept = await keeper.ExpectMsgAsync<LockAcquired>();
        await Manager.ExpectMsgAsync<LockManagerActor.Granted>();
        var other = await GrantReaderAsync(CreateTestProbe(), 2, autoExtend: true);

        await AdvanceAsync(Ttl / 3);
        var extends = new[] { await ExpectExtendCallAsync(), await ExpectExtendCallAsync() };
        Assert.Equal(new[] { kept.Token, other.Token }.Order(), extends.Select(e => e.Token).Order());
        // Redis no longer has the keeper's share: only the keeper hears of it.
        extends.Single(e => e.Token == kept.Token).Answer(false);
        extends.Single(e => e.Token == other.Token).Answer(true);
        var lost = await keeper.ExpectMsgAsync<LockLost>();
        Assert.Equal(kept.Token, lost.Token);
        Assert.Equal(kept.Token, (await Manager.ExpectMsgAsync<LockManagerActor.Ended>()).Token);

        await AdvanceAsync(Ttl / 3);
        Assert.Equal(other.Token, (await ExpectExtendCallAsync()).Token);
        await QuietAsync(keeper);
    }

    [Fact]
    public async Task An_owner_that_stops_gives_back_its_shares_and_only_its_own()
    {
        var owner = CreateTestProbe();
        Send(Reader() with { Owner = owner.Ref }, owner.Ref);
        (await ExpectSharedAttemptAsync()).Answer(AcquireOutcome.Granted(1));
        var owned = await owner.ExpectMsgAsync<LockAcquired>();
        await Manager.ExpectMsgAsync<LockManagerActor.Granted>();
        await GrantReaderAsync(CreateTestProbe(), 2);

        Send(new Lock.Actors.Actors.KeyLock.KeyLockProtocol.OwnerStopped(owner.Ref));
        var release = await ExpectReleaseCallAsync();
        Assert.Equal(owned.Token, release.Token);
        release.Answer(true);
        Assert.Equal(owned.Token, (await Manager.ExpectMsgAsync<LockManagerActor.Ended>()).Token);
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task A_writer_granted_while_shares_were_counted_here_means_they_were_lost()
    {
        var reader = CreateTestProbe();
        Send(Reader() with { Owner = reader.Ref }, reader.Ref);
        (await ExpectSharedAttemptAsync()).Answer(AcquireOutcome.Granted(1));
        await reader.ExpectMsgAsync<LockAcquired>();
        await Manager.ExpectMsgAsync<LockManagerActor.Granted>();

        var writer = CreateTestProbe();
        Send(new Acquire(Key, Ttl, TimeSpan.FromSeconds(10)), writer.Ref);
        // Redis let the writer in: the share had expired there (a long pause, say).
        (await ExpectAttemptAsync()).Grant(2);
        await reader.ExpectMsgAsync<LockLost>();
        await writer.ExpectMsgAsync<LockAcquired>();
    }

    private async Task<LockAcquired> GrantReaderAsync(Akka.TestKit.TestProbe requester, long fencingToken, bool autoExtend = false)
    {
        Send(Reader(autoExtend), requester.Ref);
        (await ExpectSharedAttemptAsync()).Answer(AcquireOutcome.Granted(fencingToken));
        var acquired = await requester.ExpectMsgAsync<LockAcquired>();
        await Manager.ExpectMsgAsync<LockManagerActor.Granted>();
        return acquired;
    }
}
