using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Lock.Actors;
using Medallion.Threading.Redis;
using StackExchange.Redis;

namespace Lock.Benchmarks;

/// <summary>
/// Read-write locks and semaphores side by side with DistributedLock.Redis
/// (<c>dotnet run -c Release --project tests/Lock.Benchmarks -- --shared</c>), on one Redis and one
/// connection, rounds interleaved (the first discarded):
/// <list type="bullet">
/// <item>read-mostly: 16 readers and 1 writer on one key (readers hold 2 ms; the writer holds 2 ms and
/// pauses 10 ms between writes): operations per second, and the writer's wait for each grant;</item>
/// <item>semaphore: 16 callers of a semaphore of 4, each holding 2 ms: grants per second, and the wait
/// for each grant.</item>
/// </list>
/// </summary>
internal static class SharedFigures
{
    private const int Readers = 16;
    private const int Callers = 16;
    private const int Permits = 4;
    private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan WriterPause = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    /// <summary>One library's read, write and permit acquires; each handle is let go by disposing it.</summary>
    private interface IContender
    {
        string Name { get; }
        Task<IAsyncDisposable> ReadAsync(string key);
        Task<IAsyncDisposable> WriteAsync(string key);
        Task<IAsyncDisposable> PermitAsync(string key, int limit);
    }

    private sealed class LockActorsContender(LockService service) : IContender
    {
        public string Name => "Lock.Actors";
        public async Task<IAsyncDisposable> ReadAsync(string key) => await service.AcquireReadAsync(key, Ttl, Wait);
        public async Task<IAsyncDisposable> WriteAsync(string key) => await service.AcquireWriteAsync(key, Ttl, Wait);
        public async Task<IAsyncDisposable> PermitAsync(string key, int limit) => await service.AcquirePermitAsync(key, limit, Ttl, Wait);
    }

    private sealed class DistributedLockContender(IDatabase db) : IContender
    {
        public string Name => "DistributedLock.Redis";
        public async Task<IAsyncDisposable> ReadAsync(string key) =>
            await new RedisDistributedReaderWriterLock(key, db, o => o.Expiry(Ttl)).AcquireReadLockAsync(Wait);
        public async Task<IAsyncDisposable> WriteAsync(string key) =>
            await new RedisDistributedReaderWriterLock(key, db, o => o.Expiry(Ttl)).AcquireWriteLockAsync(Wait);
        public async Task<IAsyncDisposable> PermitAsync(string key, int limit) =>
            await new RedisDistributedSemaphore(key, limit, db, o => o.Expiry(Ttl)).AcquireAsync(Wait);
    }

    private sealed record Figures(double PerSecond, double P50Ms, double P99Ms, int Waits);

    public static async Task<int> RunAsync(int rounds)
    {
        await using var redis = await BenchRedis.StartAsync();
        Console.WriteLine($"Redis: {redis.Description}; {rounds} rounds after a discarded one");
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        await connection.GetServer(connection.GetEndPoints()[0]).FlushDatabaseAsync();
        var config = ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            lock.key-prefix = "bench:"
            """).WithFallback(DistributedLocks.DefaultConfig());
        var system = ActorSystem.Create("bench", BootstrapSetup.Create().WithConfig(config).And(new DistributedLocksSetup(connection)));
        var locks = DistributedLocks.Get(system);
        await locks.Subscribed;
        IContender[] contenders = [new LockActorsContender(locks.Service), new DistributedLockContender(connection.GetDatabase())];

        var duration = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("LOCK_BENCH_SECONDS") ?? "5", System.Globalization.CultureInfo.InvariantCulture));
        var readMostly = new Dictionary<string, List<Figures>>();
        var semaphore = new Dictionary<string, List<Figures>>();
        for (var round = 0; round <= rounds; round++)
        {
            foreach (var contender in round % 2 == 0 ? contenders : contenders.Reverse())
            {
                var rw = await ReadMostlyAsync(contender, $"rw:{round}:{contender.Name}", duration);
                var sem = await SemaphoreAsync(contender, $"sem:{round}:{contender.Name}", duration);
                var discarded = round == 0 ? "  (warm-up, discarded)" : "";
                Console.WriteLine($"  read-mostly {contender.Name,-22} {rw.PerSecond,8:F0} ops/s, writer wait p50 {rw.P50Ms,7:F1} ms p99 {rw.P99Ms,7:F1} ms ({rw.Waits} writes){discarded}");
                Console.WriteLine($"  semaphore   {contender.Name,-22} {sem.PerSecond,8:F0} grants/s, wait p50 {sem.P50Ms,7:F1} ms p99 {sem.P99Ms,7:F1} ms{discarded}");
                if (round == 0) continue;
                Add(readMostly, contender.Name, rw);
                Add(semaphore, contender.Name, sem);
            }
        }

        Console.WriteLine();
        Console.WriteLine("| scenario | Lock.Actors | DistributedLock.Redis | ratio |");
        Console.WriteLine("|---|---|---|---|");
        Row("read-mostly, operations/s (median)", readMostly, f => f.PerSecond, higherIsBetter: true);
        Row("read-mostly, writer wait p99 ms (median)", readMostly, f => f.P99Ms, higherIsBetter: false);
        Row("semaphore 4 / 16 callers, grants/s (median)", semaphore, f => f.PerSecond, higherIsBetter: true);
        Row("semaphore 4 / 16 callers, wait p99 ms (median)", semaphore, f => f.P99Ms, higherIsBetter: false);
        await system.Terminate();
        return 0;
    }

    private static void Add(Dictionary<string, List<Figures>> all, string name, Figures figures)
    {
        if (!all.TryGetValue(name, out var list)) all[name] = list = new List<Figures>();
        list.Add(figures);
    }

    private static void Row(string what, Dictionary<string, List<Figures>> all, Func<Figures, double> pick, bool higherIsBetter)
    {
        var ours = Median(all["Lock.Actors"].Select(pick));
        var theirs = Median(all["DistributedLock.Redis"].Select(pick));
        var ratio = higherIsBetter ? $"{ours / theirs:F2}× theirs" : $"{ours / theirs:F3} of theirs";
        Console.WriteLine($"| {what} | {ours:F1} | {theirs:F1} | {ratio} |");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task<Figures> ReadMostlyAsync(IContender contender, string key, TimeSpan duration)
    {
        var operations = 0L;
        var waits = new List<double>();
        var clock = Stopwatch.StartNew();
        var readers = Enumerable.Range(0, Readers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                await using (await contender.ReadAsync(key)) await Task.Delay(Hold);
                Interlocked.Increment(ref operations);
            }
        }));
        var writer = Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                var asked = Stopwatch.GetTimestamp();
                await using (await contender.WriteAsync(key))
                {
                    waits.Add(Stopwatch.GetElapsedTime(asked).TotalMilliseconds);
                    await Task.Delay(Hold);
                }
                Interlocked.Increment(ref operations);
                await Task.Delay(WriterPause);
            }
        });
        await Task.WhenAll(readers.Append(writer));
        return Summarize(operations, clock.Elapsed, waits);
    }

    private static async Task<Figures> SemaphoreAsync(IContender contender, string key, TimeSpan duration)
    {
        var grants = 0L;
        var waits = new List<double>();
        var gate = new object();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                var asked = Stopwatch.GetTimestamp();
                await using (await contender.PermitAsync(key, Permits))
                {
                    var waited = Stopwatch.GetElapsedTime(asked).TotalMilliseconds;
                    lock (gate) waits.Add(waited);
                    await Task.Delay(Hold);
                }
                Interlocked.Increment(ref grants);
            }
        })));
        return Summarize(grants, clock.Elapsed, waits);
    }

    private static Figures Summarize(long count, TimeSpan elapsed, List<double> waits)
    {
        waits.Sort();
        return new Figures(count / elapsed.TotalSeconds, LoadRunner.Percentile(waits, 0.50), LoadRunner.Percentile(waits, 0.99), waits.Count);
    }
}
