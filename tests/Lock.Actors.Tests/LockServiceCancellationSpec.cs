using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests;

/// <summary>Every facade call takes a cancellation token, and an acquire may wait without a timeout.</summary>
[Collection(RedisCollection.Name)]
public sealed class LockServiceCancellationSpec(RedisFixture redis, ITestOutputHelper output)
    : LockSpec(redis, output, "lock.default-timeout = 200ms")
{
    [Fact]
    public async Task An_infinite_timeout_outwaits_the_default_and_is_granted_on_release()
    {
        var holder = await Manager.Ask<LockAcquired>(new Acquire("forever"), RemainingOrDefault);
        var patient = CreateTestProbe();
        Manager.Tell(new Acquire("forever", Timeout: Timeout.InfiniteTimeSpan), patient);
        // A waiter with the default timeout, queued behind it, times out first: a sync point, not a sleep.
        var impatient = await Manager.Ask<LockNotAcquired>(new Acquire("forever"), RemainingOrDefault);
        Assert.Equal(AcquireFailure.Timeout, impatient.Reason);
        await patient.ExpectNoMsgAsync(TimeSpan.Zero);

        await Manager.Ask<LockReleased>(new Release("forever", holder.Token), RemainingOrDefault);
        var granted = await patient.ExpectMsgAsync<LockAcquired>();
        Assert.True(granted.FencingToken > holder.FencingToken);
    }

    [Fact]
    public async Task An_infinite_facade_acquire_ends_when_cancelled_and_is_never_granted()
    {
        await using var holder = await Locks.Service.AcquireAsync("cancelled-forever");
        using var cancel = new CancellationTokenSource();
        var waiting = Locks.Service.TryAcquireAsync("cancelled-forever", timeout: Timeout.InfiniteTimeSpan, cancellationToken: cancel.Token);
        // Queued behind the local holder (the request reaches the key actor before this sync point).
        await KeyActorSettledAsync("cancelled-forever");
        Assert.False(waiting.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        // The withdrawal reached the key actor before the release: nobody is granted the key after it.
        await holder.ReleaseAsync();
        await KeyActorSettledAsync("cancelled-forever");
        Assert.False(await Locks.Service.IsLockedAsync("cancelled-forever"));
        Assert.Empty(await Locks.Service.GetActiveLocksAsync());
    }

    [Fact]
    public async Task Every_facade_call_honours_a_cancelled_token_and_a_handle_may_be_released_afterwards()
    {
        var handle = await Locks.Service.AcquireAsync("cancellable");
        var cancelled = new CancellationToken(canceled: true);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locks.Service.ReleaseAsync("cancellable", handle.Token, cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locks.Service.ExtendAsync("cancellable", handle.Token, null, cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locks.Service.IsLockedAsync("cancellable", cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locks.Service.GetStatusAsync("cancellable", cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locks.Service.GetActiveLocksAsync(cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locks.Service.ForceReleaseAllAsync(cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handle.ExtendAsync(cancellationToken: cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handle.ReleaseAsync(cancelled));

        // Nothing was sent: the lock is still held, and the handle still releases it.
        Assert.True(await Locks.Service.IsLockedAsync("cancellable"));
        Assert.True(await handle.ReleaseAsync());
        Assert.False(await Locks.Service.IsLockedAsync("cancellable"));
    }

    [Fact]
    public async Task A_negative_timeout_other_than_infinite_is_still_refused_by_name()
    {
        var refused = await Manager.Ask<LockNotAcquired>(new Acquire("negative", Timeout: TimeSpan.FromSeconds(-2)), RemainingOrDefault);
        Assert.Equal(AcquireFailure.InvalidRequest, refused.Reason);
        Assert.Contains("'negative'", refused.Message);
        Assert.Contains("InfiniteTimeSpan", refused.Message);
    }
}
