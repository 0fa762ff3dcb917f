using System.Diagnostics;
using System.Globalization;

namespace Lock.Benchmarks;

/// <summary>
/// What one uncontended cycle costs, from counters read around a measurement: CPU of this process
/// and of a local redis-server (from /proc), bytes allocated, thread-pool work items. On a machine
/// whose cores both sides share, these explain a throughput ratio better than the ratio itself.
/// Printed with LOCK_BENCH_COST=1; a profiling aid, not part of the report.
/// </summary>
public sealed class CycleCost
{
    private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly double _redisCpuUs = RedisServerCpuMicroseconds();
    private readonly long _allocated = GC.GetTotalAllocatedBytes();
    private readonly long _workItems = ThreadPool.CompletedWorkItemCount;

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("LOCK_BENCH_COST") == "1";

    public string Describe(double cycles) => cycles <= 0
        ? "no cycles"
        : string.Create(CultureInfo.InvariantCulture,
            $"per cycle: {(Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMicroseconds / cycles:0.0} us CPU here, " +
            $"{(RedisServerCpuMicroseconds() - _redisCpuUs) / cycles:0.0} us CPU in redis-server, " +
            $"{(GC.GetTotalAllocatedBytes() - _allocated) / cycles:0} B allocated, " +
            $"{(ThreadPool.CompletedWorkItemCount - _workItems) / cycles:0.0} thread-pool work items");

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
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    // utime and stime, in clock ticks of 10 ms.
                    total += (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) * 10_000;
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
}
