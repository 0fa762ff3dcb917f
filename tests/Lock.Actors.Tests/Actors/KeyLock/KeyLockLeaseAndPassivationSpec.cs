using Lock.Actors.Actors;
using Lock.Actors.Actors.KeyLock;
using Lock.Actors.Coordination;
using Lock.Actors.Tests.Infrastructure.Unit;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors.KeyLock;

/// <summary>The lease's protocol on the key actor, and idle passivation.</summary>
[Trait("Category", "Unit")]
public sealed class KeyLockLeaseAndPassivationSpec(ITestOutputHelper output) : KeyLockActorSpec(output)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(6);

    private LeaseProtocol.AcquireLease LeaseRequest(Akka.Actor.IActorRef owner) =>
        new(new Acquire(Key, Ttl: Ttl, Timeout: TimeSpan.Zero, AutoExtend: true, Owner: owner), "node-a", TimeSpan.FromSeconds(1));

    [Fact]
    public async Task A_lease_holds_the_lock_under_its_own_identity_and_hears_its_validity()
    {
        var owner = CreateTestProbe();
        Send(LeaseRequest(owner.Ref), owner.Ref);
        var attempt = await ExpectAttemptAsync();
        Assert.Equal("node-a", attempt.Token);
        attempt.Grant(30);

        Assert.Equal("node-a", (await owner.ExpectMsgAsync<LockAcquired>()).Token);
        var valid = await owner.ExpectMsgAsync<LeaseProtocol.LeaseValid>();
        Assert.Equal(Clock.Now + MonotonicClock.Ticks(Ttl), valid.ValidUntil);

        // The watchdog runs at the lease's heartbeat interval, and each extend is reported.
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        (await ExpectExtendCallAsync()).Answer(true);
        var renewed = await owner.ExpectMsgAsync<LeaseProtocol.LeaseValid>();
        Assert.Equal(Clock.Now + MonotonicClock.Ticks(Ttl), renewed.ValidUntil);
    }

    [Fact]
    public async Task The_same_identity_asking_again_is_answered_without_Redis()
    {
        var owner = CreateTestProbe();
        Send(LeaseRequest(owner.Ref), owner.Ref);
        (await ExpectAttemptAsync()).Grant(30);
        await owner.ExpectMsgAsync<LockAcquired>();
        await owner.ExpectMsgAsync<LeaseProtocol.LeaseValid>();

        Send(LeaseRequest(owner.Ref), owner.Ref);
        Assert.Equal(30, (await owner.ExpectMsgAsync<LockAcquired>()).FencingToken);
        await owner.ExpectMsgAsync<LeaseProtocol.LeaseValid>();
        await ExpectNoStoreCallAsync();
    }

    [Fact]
    public async Task An_idle_key_actor_asks_to_passivate_with_the_count_of_manager_messages()
    {
        var holder = CreateTestProbe();
        var acquired = await GrantAsync(holder, 1);
        Send(new Release(Key, acquired.Token), holder.Ref);
        (await ExpectReleaseCallAsync()).Answer(true);
        await Manager.ExpectMsgAsync<LockManagerActor.Ended>();

        await AdvanceAsync(IdleTimeout - TimeSpan.FromMilliseconds(1));
        await QuietAsync(Manager);
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        var request = await Manager.ExpectMsgAsync<LockManagerActor.PassivationRequested>();
        // Acquire and Release count as from the manager: it forwards them.
        Assert.Equal((Key, 2L), (request.Key, request.Received));
    }

    [Fact]
    public async Task A_key_actor_does_not_passivate_while_it_holds_or_a_release_is_being_retried()
    {
        var holder = CreateTestProbe();
        var acquired = await GrantAsync(holder, 1, TimeSpan.FromMinutes(5));
        await AdvanceAsync(IdleTimeout * 2);
        await QuietAsync(Manager);

        Send(new Release(Key, acquired.Token), holder.Ref);
        (await ExpectReleaseCallAsync()).Fail("connection lost");
        await AdvanceAsync(TimeSpan.FromMilliseconds(250));
        (await ExpectReleaseCallAsync()).Answer(true);
        await Manager.ExpectMsgAsync<LockManagerActor.Ended>();

        // Quiet from here: it asks after a full idle timeout, not sooner.
        await AdvanceAsync(IdleTimeout - TimeSpan.FromMilliseconds(1));
        await QuietAsync(Manager);
        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        await Manager.ExpectMsgAsync<LockManagerActor.PassivationRequested>();
    }

    [Fact]
    public async Task A_key_actor_that_is_busy_again_does_not_ask_to_passivate()
    {
        var first = CreateTestProbe();
        var acquired = await GrantAsync(first, 1);
        Send(new Release(Key, acquired.Token), first.Ref);
        (await ExpectReleaseCallAsync()).Answer(true);
        await Manager.ExpectMsgAsync<LockManagerActor.Ended>();

        await AdvanceAsync(IdleTimeout / 2);
        await GrantAsync(CreateTestProbe(), 2, TimeSpan.FromMinutes(5));
        await AdvanceAsync(IdleTimeout);
        await QuietAsync(Manager);
    }
}
