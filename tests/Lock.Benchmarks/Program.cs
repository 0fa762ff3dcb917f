using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Lock.Actors;
using Lock.Benchmarks;
using Lock.Benchmarks.Contenders;
using Lock.Host;
using StackExchange.Redis;

// Side-by-side benchmarks: every contender on the same Redis, the same connection and the same
// workload, interleaved round by round (the first round discarded), medians and ratios reported.
//   dotnet run -c Release --project tests/Lock.Benchmarks             full run (about 10 minutes)
//   dotnet run -c Release --project tests/Lock.Benchmarks -- --quick  the bars' scenarios only (a minute)
//   dotnet run -c Release --project tests/Lock.Benchmarks -- --smoke  seconds; what CI runs
// Profiling aids: LOCK_BENCH_ONLY="floor;Lock.Actors (Ask)" runs some contenders only, LOCK_BENCH_ROUNDS
// and LOCK_BENCH_MEMORY_KEYS override the rounds per scenario and the keys of the memory scenario,
// LOCK_BENCH_COST=1 prints what each uncontended cycle cost.
//   dotnet run -c Release --project tests/Lock.Benchmarks -- --election  hand-over and watch figures (about 2 minutes)
//   dotnet run -c Release --project tests/Lock.Benchmarks -- --shared  read-write lock and semaphore figures (about 2 minutes)
if (args.Contains("--election")) return await ElectionFigures.RunAsync();
if (args.Contains("--shared"))
    return await SharedFigures.RunAsync(int.Parse(Environment.GetEnvironmentVariable("LOCK_BENCH_ROUNDS") ?? "5", CultureInfo.InvariantCulture));
if (Environment.GetEnvironmentVariable("LOCK_BENCH_MINTHREADS") is { } minThreads) ThreadPool.SetMinThreads(int.Parse(minThreads), int.Parse(minThreads));
var smoke = args.Contains("--smoke");
var quick = args.Contains("--quick");
var plan = smoke ? Plan.Smoke : quick ? Plan.Quick : Plan.Full;
if (Environment.GetEnvironmentVariable("LOCK_BENCH_ROUNDS") is { } rounds) plan = plan with { Rounds = int.Parse(rounds, CultureInfo.InvariantCulture) };
if (Environment.GetEnvironmentVariable("LOCK_BENCH_MEMORY_KEYS") is { } memoryKeys) plan = plan with { MemoryKeys = int.Parse(memoryKeys, CultureInfo.InvariantCulture) };
var outDirectory = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault()
                   ?? (smoke || quick ? Path.Combine(Path.GetTempPath(), "lock-bench-" + (smoke ? "smoke" : "quick")) : Path.Combine(FindRepositoryRoot(), "tests", "Lock.Benchmarks", "results"));
Directory.CreateDirectory(outDirectory);

if (args.Contains("--redraw"))
{
    BenchReport.RedrawChart(outDirectory,
        ["floor", "Lock.Actors (Ask)", "Lock.Actors (LockService)", "DistributedLock.Redis", "RedLock.net", "poll-100ms"], Plan.Full.SweepCallers);
    Console.WriteLine($"redrew {Path.Combine(outDirectory, "throughput.svg")}");
    return 0;
}

await using var redis = await BenchRedis.StartAsync();
Console.WriteLine($"Redis: {redis.Description}; plan: {(smoke ? "smoke" : "full")}; results: {outDirectory}");
await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
await connection.GetServer(connection.GetEndPoints()[0]).FlushDatabaseAsync();

var config = ConfigurationFactory.ParseString((Environment.GetEnvironmentVariable("LOCK_BENCH_AKKA") ?? "") + """

    akka.loglevel = WARNING
    lock.key-prefix = "bench:"
    lock.idle-timeout = 1s
    """).WithFallback(DistributedLocks.DefaultConfig());
var system = ActorSystem.Create("bench", BootstrapSetup.Create().WithConfig(config).And(new DistributedLocksSetup(connection)));
var locks = DistributedLocks.Get(system);
await locks.Subscribed;

ILockContender[] contenders =
[
    new FloorContender(connection),
    new LockActorsAskContender(locks.Manager),
    new LockActorsServiceContender(locks.Service),
    new DistributedLockContender(connection),
    new RedLockContender(connection),
    new PollingContender(connection),
];
// LOCK_BENCH_ONLY="floor;Lock.Actors (Ask)" narrows a profiling run to some contenders.
if (Environment.GetEnvironmentVariable("LOCK_BENCH_ONLY") is { Length: > 0 } only)
    contenders = contenders.Where(c => only.Split(';').Contains(c.Name)).ToArray();
var results = new Results();

// 1. Uncontended cycles per second at 1, 16, 64 callers.
foreach (var callers in plan.UncontendedCallers)
{
    await Interleaved($"uncontended/{callers}", async c =>
    {
        var cost = new CycleCost();
        var perSecond = await LoadRunner.UncontendedAsync(c, callers, plan.Duration, $"bench:{callers}:{Slug(c)}:");
        if (CycleCost.Enabled) Console.WriteLine($"    {c.Name} {cost.Describe(perSecond * plan.Duration.TotalSeconds)}");
        return perSecond;
    });
}

// 2. Hot key: hand-offs per second and hand-off latency.
foreach (var (waiters, holdMs) in plan.HotKeys)
{
    await Interleaved($"hot/{waiters}/{holdMs}ms", async c =>
    {
        var r = await LoadRunner.HotKeyAsync(c, waiters, TimeSpan.FromMilliseconds(holdMs), plan.Duration, $"bench:hot:{Slug(c)}");
        results.Add($"hot/{waiters}/{holdMs}ms/p50", c.Name, r.P50Ms);
        results.Add($"hot/{waiters}/{holdMs}ms/p99", c.Name, r.P99Ms);
        return r.HandOffsPerSecond;
    });
}

// 3. Single caller, one key: p50/p99 from our loop, then BenchmarkDotNet for latency and allocations.
await Interleaved("single/p50", async c =>
{
    var r = await LoadRunner.SingleCallerAsync(c, plan.SingleCycles, $"bench:single:{Slug(c)}");
    results.Add("single/p99", c.Name, r.P99Ms);
    results.Add("single/bytes", c.Name, r.BytesPerCycle);
    return r.P50Ms;
});
SingleCallerBenchmarks.Contenders = contenders;
var job = (smoke ? Job.Dry : Job.Default.WithWarmupCount(3).WithIterationCount(10).WithLaunchCount(1))
    .WithToolchain(InProcessEmitToolchain.Instance);
var benchConfig = ManualConfig.Create(DefaultConfig.Instance).AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator)
    .WithArtifactsPath(Path.Combine(outDirectory, "BenchmarkDotNet"));
if (!quick)
{
    var summary = BenchmarkRunner.Run<SingleCallerBenchmarks>(benchConfig);
    foreach (var report in summary.Reports)
    {
        var name = (string)report.BenchmarkCase.Parameters["Contender"];
        if (report.ResultStatistics is { } stats) results.Add("bdn/median-us", name, stats.Median / 1000);
        results.Add("bdn/allocated-bytes", name, report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? double.NaN);
    }
}

// 5. Throughput against callers 1..256, for the chart.
foreach (var callers in plan.SweepCallers)
    await Interleaved($"sweep/{callers}", async c => await LoadRunner.UncontendedAsync(c, callers, plan.SweepDuration, $"bench:s{callers}:{Slug(c)}:"), rounds: 1, warmup: 0);

// 4. Memory: many distinct keys through one node.
var memory = await MemoryScenario.RunAsync(locks, plan.MemoryKeys, "bench:", Console.WriteLine);
Console.WriteLine($"memory: {memory.Keys:N0} keys in {memory.Seconds:0.0} s; heap {memory.HeapBeforeBytes / 1048576.0:0.0} -> {memory.HeapAfterBytes / 1048576.0:0.0} MiB; key actors peak {memory.PeakKeyActors:N0}, left {memory.LiveKeyActors}");

var markdown = BenchReport.Write(outDirectory, results, contenders.Select(c => c.Name).ToList(), plan, memory, smoke);
Console.WriteLine(markdown);
await system.Terminate();
foreach (var contender in contenders) await contender.DisposeAsync();
return 0;

async Task Interleaved(string scenario, Func<ILockContender, Task<double>> measure, int? rounds = null, int? warmup = null)
{
    var total = (rounds ?? plan.Rounds) + (warmup ?? plan.Warmup);
    for (var round = 0; round < total; round++)
    {
        // Rotate the order each round so no contender always runs first (or right after another).
        foreach (var contender in contenders.Skip(round % contenders.Length).Concat(contenders.Take(round % contenders.Length)))
        {
            var value = await measure(contender);
            var discarded = round < (warmup ?? plan.Warmup);
            Console.WriteLine($"  {scenario,-22} {contender.Name,-26} {value,12:0.###}{(discarded ? "  (warm-up, discarded)" : "")}");
            if (!discarded) results.Add(scenario, contender.Name, value);
        }
    }
}

static string Slug(ILockContender c) => new(c.Name.Where(char.IsLetterOrDigit).ToArray());

static string FindRepositoryRoot()
{
    var directory = AppContext.BaseDirectory;
    while (directory is not null && !File.Exists(Path.Combine(directory, "Lock.Actors.sln"))) directory = Path.GetDirectoryName(directory);
    return directory ?? Directory.GetCurrentDirectory();
}
