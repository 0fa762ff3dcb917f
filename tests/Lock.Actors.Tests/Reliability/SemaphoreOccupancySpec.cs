using System.Diagnostics;
using Lock.Actors.Tests.Infrastructure;
using Lock.Host;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Lock.Actors.Tests.Reliability;

/// <summary>
/// A semaphore of N never has more than N holders: four nodes (two of them separate processes running
/// the host's <c>stress</c> command with <c>--limit</c>, two ActorSystems here) cycle permits of one
/// semaphore for tens of seconds, and every holder counts itself in and out of an occupancy counter on
/// a separate Redis, which keeps the most ever inside.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class SemaphoreOccupancySpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    private const int Limit = 3;
    private const string Key = "stress:0";
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    private readonly RedisServerProcess _resourceRedis = RedisServerProcess.Create();
    private readonly string _directory = Directory.CreateTempSubdirectory("lock-semaphore-").FullName;
    private readonly List<Process> _workers = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await _resourceRedis.StartAgainAsync();
    }

    public override async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            worker.Dispose();
        }
        await _resourceRedis.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Four_nodes_two_of_them_processes_never_hold_more_permits_than_the_limit()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        for (var i = 1; i <= 2; i++) _workers.Add(StartWorker($"p{i}", run));
        using var resourceConnection = await ConnectionMultiplexer.ConnectAsync(_resourceRedis.Configuration);
        var resource = new FencedResource(resourceConnection.GetDatabase(), run);

        var nodes = new[] { Locks.Service, (await StartNodeAsync("node-b")).Service };
        var cycles = new int[nodes.Length];
        var clock = Stopwatch.StartNew();
        // Two loops per node, as the stress workers run: eight callers for three permits.
        var loops = Enumerable.Range(0, 2 * nodes.Length).Select(async loop =>
        {
            var random = new Random(loop);
            while (clock.Elapsed < Duration)
            {
                await using var permit = await nodes[loop % nodes.Length].TryAcquirePermitAsync(
                    Key, Limit, TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(5), autoExtend: true);
                if (permit is null) continue;
                await resource.EnterSharedAsync(Key);
                try
                {
                    await Task.Delay(random.Next(0, 31));
                }
                finally
                {
                    await resource.ExitAsync(Key);
                }
                Interlocked.Increment(ref cycles[loop % nodes.Length]);
            }
        }).ToList();
        await Task.WhenAll(loops);
        foreach (var worker in _workers)
            await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var (max, entries) = await resource.OccupancyAsync(Key);
        var records = Directory.EnumerateFiles(_directory, "*.jsonl").SelectMany(File.ReadLines).Select(StressRecord.FromJson).ToList();
        var perProcess = records.Where(r => r.Outcome == "section").GroupBy(r => r.Worker.Split('/')[0]).ToDictionary(g => g.Key, g => g.Count());
        Output.WriteLine($"{entries} permits held in {Duration.TotalSeconds} s; most inside at once {max} (limit {Limit}); " +
                         $"in-process nodes {string.Join(", ", cycles)}; processes {string.Join(", ", perProcess.Select(p => $"{p.Key} {p.Value}"))}");

        Assert.All(_workers, worker => Assert.Equal(0, worker.ExitCode));
        Assert.True(max <= Limit, $"{max} holders were inside a semaphore of {Limit}");
        // Eight callers for three permits: the semaphore was full, not merely unused.
        Assert.Equal(Limit, max);
        Assert.All(cycles, count => Assert.True(count > 0, "an in-process node never held a permit"));
        Assert.Equal(2, perProcess.Count);
        Assert.All(perProcess.Values, count => Assert.True(count > 0, "a worker process never held a permit"));
        Assert.Equal(entries, cycles.Sum() + perProcess.Values.Sum());
        Assert.DoesNotContain(records, r => r.Occupancy > Limit);
    }

    private Process StartWorker(string name, string run)
    {
        var info = new ProcessStartInfo(Processes.Dotnet)
        {
            ArgumentList =
            {
                typeof(LockHostCli).Assembly.Location, "stress", "--redis", Redis.Configuration, "--resource", _resourceRedis.Configuration,
                "--prefix", Prefix, "--run", run, "--worker", name, "--keys", "1", "--limit", Limit.ToString(),
                "--seconds", Duration.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--ttl-ms", "1500", "--out", Path.Combine(_directory, name + ".jsonl"), "--log-level", "Warning",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line) Output.WriteLine($"{name} stderr {line}");
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
