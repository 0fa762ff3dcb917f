using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.TestKit.Xunit2;
using Lock.Actors.Tests.Infrastructure;
using Lock.Host;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Lock.Actors.Tests.Reliability;

/// <summary>
/// The cross-process safety run: K worker processes (the host's <c>stress</c> command) contend for a
/// few keys and write to a fenced resource on a second Redis, while the lock Redis is restarted with
/// its data lost, paused past the TTL, put to sleep, has every client killed, and one worker holding a
/// lock is killed with SIGKILL. Afterwards every recorded section is checked.
/// <para>
/// Length: LOCK_CHAOS_SECONDS (default 40; the README's figures come from a longer run). The report is
/// written to the test output and, when LOCK_CHAOS_REPORT names a file, there too.
/// </para>
/// </summary>
[Collection(AloneCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class CrossProcessChaosSpec(ITestOutputHelper output) : TestKit(output: output), IAsyncLifetime
{
    private const int Workers = 4;
    private static readonly TimeSpan Ttl = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan RecoveryBound = Ttl + TimeSpan.FromSeconds(1);

    private readonly RedisServerProcess _lockRedis = RedisServerProcess.Create();
    private readonly RedisServerProcess _resourceRedis = RedisServerProcess.Create();
    private readonly string _directory = Directory.CreateTempSubdirectory("lock-chaos-").FullName;
    private readonly List<Process> _workers = new();
    private readonly ConcurrentQueue<(long At, string Line)> _lines = new();
    private readonly List<(string Fault, TimeSpan Recovery)> _recoveries = new();
    private long _killedAtMicros = long.MaxValue;

    public async Task InitializeAsync()
    {
        await _lockRedis.StartAgainAsync();
        await _resourceRedis.StartAgainAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            worker.Dispose();
        }
        await _lockRedis.DisposeAsync();
        await _resourceRedis.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Lock_holders_in_separate_processes_never_act_at_once_through_real_faults_and_recover_within_ttl()
    {
        // The workers' run must outlast the fault sequence (about 20 s here, more on a cold, busy
        // machine): a worker that already finished its run makes no progress after a fault.
        var seconds = double.TryParse(Environment.GetEnvironmentVariable("LOCK_CHAOS_SECONDS"), out var s) ? s : 40;
        var run = Guid.NewGuid().ToString("N")[..8];
        // The last worker holds its locks for a while: it is the one killed while holding.
        for (var i = 1; i <= Workers; i++)
            _workers.Add(StartWorker($"w{i}", run, seconds, i == Workers ? ["--hold-min-ms", "200", "--hold-max-ms", "400"] : []));

        using var admin = await ConnectionMultiplexer.ConnectAsync(_lockRedis.Configuration + ",allowAdmin=true");
        await ProgressAsync(after: Stopwatch.GetTimestamp(), sections: 30, TimeSpan.FromSeconds(30));
        var faultsStartAt = DateTimeOffset.UtcNow;

        // The SIGKILL first, while the victim still takes locks at its usual pace.
        await KillHolderAsync(admin, "w4");
        await FaultAsync("redis-server restarted, data lost", async () =>
        {
            await _lockRedis.RestartAsync();
            return Stopwatch.GetTimestamp();
        });
        await FaultAsync("CLIENT PAUSE 3000 ms (twice the TTL)", async () =>
        {
            var paused = Stopwatch.GetTimestamp();
            await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
            // The fault lasts as long as the pause: recovery is counted from its end.
            return paused + 3 * Stopwatch.Frequency;
        });
        await FaultAsync("DEBUG SLEEP 1 s", async () =>
        {
            await admin.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", "1");
            return Stopwatch.GetTimestamp();
        });
        await FaultAsync("CLIENT KILL of every client", async () =>
        {
            await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "normal");
            await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
            return Stopwatch.GetTimestamp();
        });

        foreach (var worker in _workers.Where(w => !w.HasExited))
            await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(seconds + 60));

        var report = new StressReport(ReadRecords());
        Publish(report, run, seconds);

        Assert.Empty(report.Violations);
        Assert.All(report.AcceptedPerWorker, worker => Assert.True(worker.Value > 0, $"{worker.Key} made no progress"));
        Assert.Equal(Workers, report.AcceptedPerWorker.Count);
        Assert.All(_recoveries, r => Assert.True(r.Recovery <= RecoveryBound, $"{r.Fault}: progress resumed after {r.Recovery}"));
        // Before the first fault the lock alone kept holders apart: the resource never had to refuse
        // a section that ended before it (one that straddles a fault may rightly be fenced out).
        var faultsStartMicros = faultsStartAt.ToUnixTimeMilliseconds() * 1000;
        var beforeFaults = report.Sections.Where(r => Math.Max(r.EnterMicros, r.WriteMicros) < faultsStartMicros).ToList();
        Assert.NotEmpty(beforeFaults);
        Assert.DoesNotContain(beforeFaults, r => !r.EnterAccepted || r.WriteAttempted && !r.WriteAccepted);
        // Among accepted writers the occupancy counter never passed 1 (until a writer was killed inside its section).
        Assert.Equal(1, report.MaxOccupancyBefore(_killedAtMicros));
    }

    private Process StartWorker(string name, string run, double seconds, string[] extra)
    {
        var hostDll = typeof(LockHostCli).Assembly.Location;
        var info = new ProcessStartInfo(Processes.Dotnet)
        {
            ArgumentList =
            {
                hostDll, "stress", "--redis", _lockRedis.Configuration, "--resource", _resourceRedis.Configuration,
                "--prefix", "chaos:", "--run", run, "--worker", name, "--seconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--ttl-ms", ((int)Ttl.TotalMilliseconds).ToString(), "--out", Path.Combine(_directory, name + ".jsonl"),
                "--log-level", "Warning",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in extra) info.ArgumentList.Add(argument);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line) _lines.Enqueue((Stopwatch.GetTimestamp(), $"{name} {line}"));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line) _lines.Enqueue((Stopwatch.GetTimestamp(), $"{name} stderr {line}"));
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Injects a fault (which returns when it ends), then measures how long after that the first accepted section came.</summary>
    private async Task FaultAsync(string fault, Func<Task<long>> inject)
    {
        StillRunning(fault);
        var ended = await inject();
        var recovery = await ProgressAsync(after: ended, sections: 1, TimeSpan.FromSeconds(20));
        _recoveries.Add((fault, recovery));
        // Let the run settle before the next fault.
        await ProgressAsync(after: Stopwatch.GetTimestamp(), sections: 20, TimeSpan.FromSeconds(20));
    }

    /// <summary>SIGKILL of a worker while it holds a lock; that key must be taken by another worker within TTL + 1 s.</summary>
    private async Task KillHolderAsync(IConnectionMultiplexer admin, string victim)
    {
        // The victim first completes a section of its own (it made progress), then dies holding the next lock.
        await ProgressAsync(after: 0, sections: 1, TimeSpan.FromSeconds(20),
            line => line.StartsWith(victim + " section ", StringComparison.Ordinal));
        var since = Stopwatch.GetTimestamp();
        string[]? holding = null;
        await AwaitWorkersAsync(() =>
        {
            holding = _lines.Where(l => l.At > since && l.Line.StartsWith($"{victim} holding ", StringComparison.Ordinal))
                .Select(l => l.Line.Split(' ')).LastOrDefault();
            return Task.FromResult(holding is not null);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(1), $"lock taken by {victim}");
        var process = _workers[int.Parse(victim[1..]) - 1];
        process.Kill(entireProcessTree: true);
        var killed = Stopwatch.GetTimestamp();
        _killedAtMicros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var key = holding![2];
        var value = (string?)await admin.GetDatabase().StringGetAsync($"chaos:{{{key}}}");
        var heldAtKill = value is not null && value.StartsWith(holding[3], StringComparison.Ordinal);

        var recovery = await ProgressAsync(after: killed, sections: 1, TimeSpan.FromSeconds(20),
            line => line.Contains($" {key} ") && !line.StartsWith(victim + " ", StringComparison.Ordinal));
        _recoveries.Add(($"SIGKILL of {victim} holding '{key}'", recovery));
        Assert.True(heldAtKill, $"{victim} was meant to hold '{key}' when killed");
    }

    /// <summary>Waits for <paramref name="sections"/> accepted sections after a moment; returns how long the first took.</summary>
    private async Task<TimeSpan> ProgressAsync(long after, int sections, TimeSpan within, Func<string, bool>? filter = null)
    {
        long first = 0;
        await AwaitWorkersAsync(() =>
        {
            var accepted = _lines.Where(l => l.At > after && l.Line.Contains(" section ") && l.Line.EndsWith("enter=True write=True")
                                             && (filter is null || filter(l.Line))).Select(l => l.At).Take(sections).ToList();
            if (accepted.Count > 0) first = accepted[0];
            return Task.FromResult(accepted.Count >= sections);
        }, within, TimeSpan.FromMilliseconds(10), $"{sections} accepted section(s)");
        return Stopwatch.GetElapsedTime(after, first);
    }

    /// <summary>
    /// AwaitConditionAsync on the workers' output; a timeout says what was awaited and where each
    /// worker stopped, read when it fails (not when the wait began).
    /// </summary>
    private async Task AwaitWorkersAsync(Func<Task<bool>> condition, TimeSpan within, TimeSpan interval, string awaited)
    {
        try
        {
            await AwaitConditionAsync(condition, within, interval);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new TimeoutException($"No {awaited} within {within}; each worker's last lines: {LastLines()}", e);
        }
    }

    private void StillRunning(string fault) =>
        Assert.False(_workers.All(w => w.HasExited),
            $"The workers' run ended before the fault '{fault}': raise LOCK_CHAOS_SECONDS so the run outlasts the faults.");

    // What every worker said last, for a failure message: where a stalled run stopped.
    private string LastLines()
    {
        var lines = _lines.ToArray();
        return string.Join(" || ", _workers.Select((worker, i) =>
        {
            var name = $"w{i + 1}";
            var last = lines.Where(l => l.Line.StartsWith(name + " ", StringComparison.Ordinal)).TakeLast(6).Select(l => l.Line);
            return $"{name} (exited: {worker.HasExited}): {string.Join(" | ", last)}";
        }));
    }

    private List<StressRecord> ReadRecords() =>
        Directory.GetFiles(_directory, "*.jsonl")
            .SelectMany(File.ReadLines)
            .Where(line => line.StartsWith('{'))
            .Select(StressRecord.FromJson)
            .ToList();

    private void Publish(StressReport report, string run, double seconds)
    {
        var lines = new List<string>
        {
            $"Cross-process safety run {run}: {Workers} worker processes x 2 loops, 3 keys, TTL {Ttl.TotalMilliseconds} ms auto-extended, {seconds} s",
            $"cycles {report.Records.Count}, sections {report.Sections.Count}, accepted {report.Accepted.Count}, " +
            $"fenced out {report.FencedOut}, stopped on LockLost {report.StoppedOnLoss}, timeouts {report.Timeouts}, unavailable {report.Unavailable}",
            $"per worker, accepted/timeouts/unavailable: {report.OutcomesPerWorker}",
            $"max occupancy at an accepted entry: {report.MaxOccupancyBefore(_killedAtMicros)} before the SIGKILL, " +
            $"{report.MaxOccupancyAtAcceptedEntry} after it (the killed worker never left its section)",
            $"violations: {report.Violations.Count}",
        };
        lines.AddRange(report.Violations.Take(20).Select(v => "  " + v));
        lines.Add("faults (recovery = first accepted section after the fault ended; bound TTL + 1 s):");
        lines.AddRange(_recoveries.Select(r => $"  {r.Fault}: {r.Recovery.TotalMilliseconds:0} ms"));
        lines.Add($"worst recovery: {_recoveries.Max(r => r.Recovery).TotalMilliseconds:0} ms");
        foreach (var line in lines) Output?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("LOCK_CHAOS_REPORT") is { Length: > 0 } file) File.WriteAllLines(file, lines);
    }
}
