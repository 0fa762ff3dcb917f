using System.Diagnostics;
using Akka.Actor;
using Lock.Actors;
using static Lock.Actors.LockProtocol;

namespace Lock.Benchmarks;

/// <summary>
/// Touch many distinct keys through one node (acquire + release each, 64 callers), wait for the idle
/// key actors to stop, then compare the managed heap after a full GC with where it started.
/// </summary>
public static class MemoryScenario
{
    public sealed record Result(int Keys, double Seconds, long HeapBeforeBytes, long HeapAfterBytes, int LiveKeyActors, int PeakKeyActors);

    public static async Task<Result> RunAsync(DistributedLocks locks, int keys, string prefix, Action<string> progress)
    {
        var manager = locks.Manager;
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var next = -1;
        var peak = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < keys)
            {
                var acquired = await manager.Ask<LockAcquired>(new Acquire($"{prefix}m:{i}", Timeout: TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(15));
                await manager.Ask<LockReleased>(new Release(acquired.Key, acquired.Token), TimeSpan.FromSeconds(15));
                if (i % 100_000 == 0 && i > 0)
                {
                    var live = await KeyActorsAsync(manager);
                    InterlockedMax(ref peak, live);
                    progress($"  memory: {i:N0} keys touched, {live:N0} key actors alive, {clock.Elapsed.TotalSeconds:0} s");
                }
            }
        })));
        var seconds = clock.Elapsed.TotalSeconds;
        InterlockedMax(ref peak, await KeyActorsAsync(manager));

        // Idle key actors stop after lock.idle-timeout; wait for them, bounded.
        var wait = Stopwatch.StartNew();
        int remaining;
        while ((remaining = await KeyActorsAsync(manager)) > 0 && wait.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(200);
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        return new Result(keys, seconds, heapBefore, heapAfter, remaining, peak);
    }

    private static Task<int> KeyActorsAsync(IActorRef manager) =>
        manager.Ask<int>(Lock.Actors.Actors.LockManagerActor.CountKeyActors.Instance, TimeSpan.FromSeconds(10));

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
