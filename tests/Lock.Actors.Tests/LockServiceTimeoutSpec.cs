using System.Diagnostics;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests;

/// <summary>The facade's own bound: when nobody answers a request, it fails as unavailable, naming the key.</summary>
[Collection(RedisCollection.Name)]
public sealed class LockServiceTimeoutSpec(RedisFixture redis, ITestOutputHelper output)
    // The shutdown task asks the (stopped) manager too; its bound keeps the teardown short.
    : LockSpec(redis, output, "lock.operation-timeout = 300ms\nlock.shutdown.force-release-timeout = 300ms")
{
    [Fact]
    public async Task Calls_that_get_no_answer_fail_as_unavailable_by_their_timeout_and_do_not_hang()
    {
        // With the manager gone every request ends in dead letters: nobody will ever answer.
        Watch(Manager);
        Sys.Stop(Manager);
        await ExpectTerminatedAsync(Manager);
        var clock = Stopwatch.StartNew();

        // An acquire waits its own timeout plus the operation timeout.
        var acquire = await Assert.ThrowsAsync<LockAcquireException>(
            () => Locks.Service.AcquireAsync("silent", timeout: TimeSpan.FromMilliseconds(200)));
        Assert.Equal((AcquireFailure.Unavailable, "silent"), (acquire.Reason, acquire.Key));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(3));

        clock.Restart();
        var release = await Assert.ThrowsAsync<LockOperationException>(() => Locks.Service.ReleaseAsync("silent", "token"));
        Assert.Equal((LockFailure.Unavailable, "silent"), (release.Reason, release.Key));
        var status = await Assert.ThrowsAsync<LockOperationException>(() => Locks.Service.IsLockedAsync("silent"));
        Assert.Equal((LockFailure.Unavailable, "silent"), (status.Reason, status.Key));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(3));
    }
}
