using System.Diagnostics;
using System.Globalization;

namespace Lock.Benchmarks;

/// <summary>
/// What one uncontended cycle costs, from counters read around a measurement: CPU of this process
/// (in all and by thread group) and of a local redis-server (from /proc), bytes allocated, thread-pool
/// work items and context switches. On a machine whose cores both sides share, these explain a
/// throughput ratio better than the ratio itself. Printed with LOCK_BENCH_COST=1; a profiling aid,
/// not part of the report.
/// </summary>
public sealed class CycleCost
{
    private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly double _redisCpuUs = RedisServerCpuMicroseconds();
    private readonly long _allocated = GC.GetTotalAllocatedBytes();
    private readonly long _workItems = ThreadPool.CompletedWorkItemCount;
    private readonly Dictionary<string, ThreadGroup> _threads = ThreadGroups();

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("LOCK_BENCH_COST") == "1";

    public string Describe(double cycles)
    {
        if (cycles <= 0) return "no cycles";
        var threads = ThreadGroups();
        var switches = threads.Values.Sum(t => t.Switches) - _threads.Values.Sum(t => t.Switches);
        var byGroup = threads
            .Select(t => (Name: t.Key, CpuUs: t.Value.CpuUs - _threads.GetValueOrDefault(t.Key).CpuUs))
            .Where(t => t.CpuUs / cycles >= 0.1)
            .OrderByDescending(t => t.CpuUs)
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Name} {t.CpuUs / cycles:0.0}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"per cycle: {(Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMicroseconds / cycles:0.0} us CPU here, " +
            $"{(RedisServerCpuMicroseconds() - _redisCpuUs) / cycles:0.0} us CPU in redis-server, " +
            $"{(GC.GetTotalAllocatedBytes() - _allocated) / cycles:0} B allocated, " +
            $"{(ThreadPool.CompletedWorkItemCount - _workItems) / cycles:0.0} thread-pool work items, " +
            $"{switches / cycles:0.0} context switches; us CPU by thread: {string.Join(", ", byGroup)}");
    }

    private readonly record struct ThreadGroup(double CpuUs, long Switches);

    // This process's threads grouped by name without digits (".NET TP Worker", the Redis client's
    // socket threads, dispatcher threads): user + system time and voluntary + involuntary switches.
    // Each hand-off that finds its thread asleep costs a switch or two. A thread that ends during a
    // round (the pool retires idle workers) drops out of the sums, so a group can read low or even
    // below zero: a rough split, not an account. Linux only; empty elsewhere.
    private static Dictionary<string, ThreadGroup> ThreadGroups()
    {
        var groups = new Dictionary<string, ThreadGroup>(StringComparer.Ordinal);
        try
        {
            foreach (var thread in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    var name = new string(File.ReadAllText(Path.Combine(thread, "comm")).Trim().Where(c => !char.IsDigit(c)).ToArray());
                    var cpuUs = CpuMicroseconds(File.ReadAllText(Path.Combine(thread, "stat")));
                    var switches = File.ReadLines(Path.Combine(thread, "status"))
                        .Where(line => line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)
                                       || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        .Sum(line => long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture));
                    var sum = groups.GetValueOrDefault(name);
                    groups[name] = new ThreadGroup(sum.CpuUs + cpuUs, sum.Switches + switches);
                }
                catch (IOException)
                {
                    // The thread ended meanwhile.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
        return groups;
    }

    // Every local redis-server's user + system time (Linux; 0 elsewhere or for a remote Redis).
    private static double RedisServerCpuMicroseconds()
    {
        var total = 0.0;
        try
        {
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!char.IsDigit(Path.GetFileName(directory)[0])) continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    if (!stat.Contains("(redis-server)", StringComparison.Ordinal)) continue;
                    total += CpuMicroseconds(stat);
                }
                catch (IOException)
                {
                    // The process ended meanwhile.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
        return total;
    }

    // User + system time from a /proc stat line (of a process or a thread): the fields after the
    // name in parentheses, utime and stime, in clock ticks of 10 ms.
    private static double CpuMicroseconds(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) * 10_000;
    }
}
