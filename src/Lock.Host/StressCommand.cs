using System.CommandLine;
using System.Diagnostics;
using Lock.Actors;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Host;

/// <summary>
/// <c>stress</c>: one worker process of the cross-process safety run. It runs lock cycles on a few
/// shared keys for a while, and inside each critical section enters, writes to and leaves a
/// <see cref="FencedResource"/> on a separate Redis, recording every cycle as a JSON line. On stdout
/// it prints "holding KEY TOKEN-PREFIX" when it takes a lock and "section ..." when it leaves one,
/// so a fault injector can follow it.
/// </summary>
internal static class StressCommand
{
    private const int LoopsPerWorker = 2;

    public static Command Create(GlobalOptions global)
    {
        var resource = new Option<string>("--resource") { Description = "Redis configuration string of the fenced resource (a different Redis from the lock's).", Required = true };
        var worker = new Option<string>("--worker") { Description = "Name of this worker in the records.", DefaultValueFactory = _ => $"worker-{Environment.ProcessId}" };
        var run = new Option<string>("--run") { Description = "Run id shared by the workers of one run (names the resource keys).", Required = true };
        var keys = new Option<int>("--keys") { Description = "Shared lock keys.", DefaultValueFactory = _ => 3 };
        var seconds = new Option<double>("--seconds") { Description = "How long to run cycles.", DefaultValueFactory = _ => 20 };
        var ttl = new Option<int>("--ttl-ms") { Description = "Lock TTL (auto-extended).", DefaultValueFactory = _ => 1500 };
        var holdMin = new Option<int>("--hold-min-ms") { Description = "Shortest random hold inside a section.", DefaultValueFactory = _ => 0 };
        var holdMax = new Option<int>("--hold-max-ms") { Description = "Longest random hold inside a section.", DefaultValueFactory = _ => 30 };
        var output = new Option<string>("--out") { Description = "File to append the JSON-line records to.", Required = true };
        var limit = new Option<int?>("--limit") { Description = "Cycle permits of a semaphore of this many instead of exclusive locks." };
        var command = new Command("stress", "Run one worker of the cross-process safety run (used by the reliability tests).")
        {
            resource, worker, run, keys, seconds, ttl, holdMin, holdMax, output, limit,
        };
        // A tool of the test suite, not of operators: it runs, but --help does not list it.
        command.Hidden = true;
        command.SetAction((parse, cancellationToken) => global.RunAsync(parse, cancellationToken, (settings, stdout, token) =>
            RunAsync(settings, new StressOptions(
                parse.GetValue(resource)!, parse.GetValue(worker)!, parse.GetValue(run)!, parse.GetValue(keys),
                TimeSpan.FromSeconds(parse.GetValue(seconds)), TimeSpan.FromMilliseconds(parse.GetValue(ttl)),
                parse.GetValue(holdMin), Math.Max(parse.GetValue(holdMin), parse.GetValue(holdMax)), parse.GetValue(output)!,
                parse.GetValue(limit)), stdout, token)));
        return command;
    }

    private sealed record StressOptions(
        string Resource, string Worker, string Run, int Keys, TimeSpan Duration, TimeSpan Ttl, int HoldMinMs, int HoldMaxMs, string Output,
        int? Limit);

    private static async Task<int> RunAsync(NodeSettings settings, StressOptions options, TextWriter stdout, CancellationToken stop)
    {
        using var host = await LockNode.StartAsync(options.Worker, settings, stop);
        var locks = host.Services.GetRequiredService<LockService>();
        await using var resourceConnection = await ConnectionMultiplexer.ConnectAsync(options.Resource);
        var resource = new FencedResource(resourceConnection.GetDatabase(), options.Run);
        await using var records = new StreamWriter(options.Output, append: true) { AutoFlush = true };
        var gate = new SemaphoreSlim(1, 1);

        async Task Record(StressRecord record, string? progress)
        {
            await gate.WaitAsync();
            try
            {
                await records.WriteLineAsync(record.ToJson());
                if (progress is not null) await stdout.WriteLineAsync(progress);
                await stdout.FlushAsync();
            }
            finally
            {
                gate.Release();
            }
        }

        var clock = Stopwatch.StartNew();
        async Task Loop(int loop)
        {
            var random = new Random(HashCode.Combine(options.Worker, loop));
            var name = $"{options.Worker}/{loop}";
            while (clock.Elapsed < options.Duration && !stop.IsCancellationRequested)
            {
                var key = $"stress:{random.Next(options.Keys)}";
                LockHandle? handle;
                try
                {
                    handle = options.Limit is { } permits
                        ? await locks.TryAcquirePermitAsync(key, permits, options.Ttl, TimeSpan.FromSeconds(5), autoExtend: true, stop)
                        : await locks.TryAcquireAsync(key, options.Ttl, TimeSpan.FromSeconds(5), autoExtend: true, stop);
                }
                catch (LockAcquireException e) when (e.Reason == AcquireFailure.Unavailable)
                {
                    await Record(new StressRecord(name, key, "unavailable"), null);
                    await Task.Delay(50, stop); // Redis is down: do not spin
                    continue;
                }
                if (handle is null)
                {
                    await Record(new StressRecord(name, key, "timeout"), null);
                    continue;
                }

                await using (handle)
                {
                    await stdout.WriteLineAsync($"holding {key} {handle.Token[..8]} {name}");
                    var holdMs = random.Next(options.HoldMinMs, options.HoldMaxMs + 1);
                    var record = options.Limit is null
                        ? await SectionAsync(resource, handle, name, holdMs)
                        : await SharedSectionAsync(resource, handle, name, holdMs);
                    await Record(record, $"section {name} {key} {record.Fence} enter={record.EnterAccepted} write={record.WriteAccepted}");
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, LoopsPerWorker).Select(Loop));
        return 0;
    }

    /// <summary>A permit's section: entered with the others inside (the occupancy counts them), held, left.</summary>
    private static async Task<StressRecord> SharedSectionAsync(FencedResource resource, LockHandle handle, string name, int holdMs)
    {
        var entered = await resource.EnterSharedAsync(handle.Key);
        try
        {
            if (holdMs > 0) await Task.Delay(holdMs);
            return new StressRecord(name, handle.Key, "section", handle.FencingToken, true, entered.Occupancy, entered.AtMicros);
        }
        finally
        {
            await resource.ExitAsync(handle.Key);
        }
    }

    private static async Task<StressRecord> SectionAsync(FencedResource resource, LockHandle handle, string name, int holdMs)
    {
        var key = handle.Key;
        var entered = await resource.EnterAsync(key, handle.FencingToken, name);
        var record = new StressRecord(name, key, "section", handle.FencingToken, entered.Accepted, entered.Occupancy, entered.AtMicros);
        if (!entered.Accepted) return record;
        try
        {
            if (holdMs > 0) await Task.Delay(holdMs);
            // A holder that knows its lock is gone stops before writing, as a well-behaved client does.
            if (handle.Lost.IsCancellationRequested) return record with { LostBeforeWrite = true };
            var written = await resource.WriteAsync(key, handle.FencingToken, name);
            return record with { WriteAttempted = true, WriteAccepted = written.Accepted, WriteMicros = written.AtMicros };
        }
        finally
        {
            await resource.ExitAsync(key);
        }
    }
}
