using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

/// <summary>
/// The README's pattern for work under a lock: the work runs beside the actor (its result piped back),
/// so the actor hears <see cref="LockLost"/> while the work is in progress and cancels it at once.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class LockLostDuringWorkSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    /// <summary>The README's InvoiceBatch, with the work and its report handed in.</summary>
    private sealed class InvoiceBatch : ReceiveActor
    {
        private sealed record Finished(LockAcquired Held, Exception? Error);

        private CancellationTokenSource? _work;

        public InvoiceBatch(IActorRef locks, Func<long, CancellationToken, Task> write, IActorRef report)
        {
            Receive<string>(batchId => locks.Tell(new Acquire($"invoices:{batchId}",
                Ttl: TimeSpan.FromSeconds(1), Timeout: TimeSpan.FromSeconds(5), AutoExtend: true, Owner: Self)));
            Receive<LockAcquired>(held =>
            {
                _work = new CancellationTokenSource();
                write(held.FencingToken, _work.Token).PipeTo(Self,
                    success: () => new Finished(held, null), failure: error => new Finished(held, error));
            });
            Receive<LockNotAcquired>(refused => report.Tell(refused));
            Receive<LockLost>(_ => _work?.Cancel()); // heard while the work runs: stop it now
            Receive<Finished>(done =>
            {
                _work = null;
                report.Tell(done.Error is OperationCanceledException ? "stopped: lock lost" : "finished");
                locks.Tell(new Release(done.Held.Key, done.Held.Token));
            });
            Receive<LockReleased>(_ => { });
            Receive<ReleaseFailed>(_ => { });
        }
    }

    [Fact]
    public async Task The_loss_stops_the_work_while_it_runs()
    {
        var report = CreateTestProbe();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Work that would run for ever unless cancelled.
        Func<long, CancellationToken, Task> writeForever = async (_, cancel) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, cancel);
        };
        var batch = Sys.ActorOf(Props.Create(() => new InvoiceBatch(Manager, writeForever, report)));
        batch.Tell("2026-12-01");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));

        // Someone deletes the lock: the watchdog's next extend (a third of the 1 s TTL) finds it gone.
        await Redis.Db.KeyDeleteAsync(RedisKey("invoices:2026-12-01"));
        Assert.Equal("stopped: lock lost", await report.ExpectMsgAsync<string>(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task Work_that_keeps_its_lock_finishes_and_releases_it()
    {
        var report = CreateTestProbe();
        Func<long, CancellationToken, Task> writeAtOnce = (_, _) => Task.CompletedTask;
        var batch = Sys.ActorOf(Props.Create(() => new InvoiceBatch(Manager, writeAtOnce, report)));
        batch.Tell("2026-12-02");
        Assert.Equal("finished", await report.ExpectMsgAsync<string>());
        await AwaitAssertAsync(async () => Assert.False(await Redis.Db.KeyExistsAsync(RedisKey("invoices:2026-12-02"))));
    }
}
