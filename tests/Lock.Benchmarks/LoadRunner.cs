using System.Diagnostics;
using Lock.Benchmarks.Contenders;

namespace Lock.Benchmarks;

/// <summary>The load loops of the concurrent scenarios. Every figure is from one contender alone on the Redis.</summary>
public static class LoadRunner
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    /// <summary>Acquire + release cycles per second, each caller on keys of its own (no contention).</summary>
    public static async Task<double> UncontendedAsync(ILockContender contender, int callers, TimeSpan duration, string prefix)
    {
        var cycles = 0L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var key = $"{prefix}u:{caller}";
            var mine = 0L;
            while (clock.Elapsed < duration)
            {
                var handle = await contender.AcquireAsync(key, Ttl, TimeSpan.FromSeconds(5))
                             ?? throw new InvalidOperationException($"{contender.Name}: uncontended key {key} was held");
                await contender.ReleaseAsync(handle);
                mine++;
            }
            Interlocked.Add(ref cycles, mine);
        })));
        return cycles / clock.Elapsed.TotalSeconds;
    }

    public sealed record HotKeyResult(double HandOffsPerSecond, double P50Ms, double P99Ms, int HandOffs);

    /// <summary>
    /// Waiters all on one key, each holding it for <paramref name="hold"/>: grants per second, and the
    /// hand-off latency from a release being sent to the next holder (one already waiting) having the lock.
    /// </summary>
    public static async Task<HotKeyResult> HotKeyAsync(ILockContender contender, int waiters, TimeSpan hold, TimeSpan duration, string key)
    {
        var latencies = new List<double>();
        var gate = new object();
        long releasedAt = 0;
        var handOffs = 0;
        var nextGrant = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, waiters).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                var askedAt = Stopwatch.GetTimestamp();
                var handle = await contender.AcquireAsync(key, Ttl, duration);
                if (handle is null) continue;
                var granted = Interlocked.Exchange(ref nextGrant, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                granted.TrySetResult();
                var previous = Interlocked.Exchange(ref releasedAt, 0);
                // A hand-off: this caller was already waiting when the previous holder released.
                // (A caller that asked only after the release just took a free key.)
                if (previous != 0 && askedAt < previous)
                {
                    var latency = Stopwatch.GetElapsedTime(previous).TotalMilliseconds;
                    lock (gate)
                    {
                        latencies.Add(latency);
                        handOffs++;
                    }
                }
                if (hold > TimeSpan.Zero) await Task.Delay(hold);
                var someoneElse = Volatile.Read(ref nextGrant).Task;
                Volatile.Write(ref releasedAt, Stopwatch.GetTimestamp());
                await contender.ReleaseAsync(handle);
                // Step back until another waiter has had the key (bounded), as a worker that just
                // did its job does: what is measured is the hand-off to someone already waiting,
                // not the releaser grabbing the free key again.
                await Task.WhenAny(someoneElse, Task.Delay(250));
            }
        })));
        latencies.Sort();
        return new HotKeyResult(handOffs / clock.Elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), handOffs);
    }

    public sealed record LatencyResult(double P50Ms, double P99Ms, double BytesPerCycle);

    /// <summary>One caller, one key, back to back: cycle latency and bytes allocated (whole process) per cycle.</summary>
    public static async Task<LatencyResult> SingleCallerAsync(ILockContender contender, int cycles, string key)
    {
        var samples = new double[cycles];
        for (var i = 0; i < Math.Min(200, cycles); i++) await CycleAsync(contender, key);
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < cycles; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await CycleAsync(contender, key);
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Array.Sort(samples);
        return new LatencyResult(Percentile(samples, 0.50), Percentile(samples, 0.99), (double)allocated / cycles);
    }

    public static async Task CycleAsync(ILockContender contender, string key)
    {
        var handle = await contender.AcquireAsync(key, Ttl, TimeSpan.FromSeconds(5))
                     ?? throw new InvalidOperationException($"{contender.Name}: single caller's key {key} was held");
        await contender.ReleaseAsync(handle);
    }

    public static double Percentile(IReadOnlyList<double> sorted, double fraction) =>
        sorted.Count == 0 ? double.NaN : sorted[(int)Math.Clamp(Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
}
