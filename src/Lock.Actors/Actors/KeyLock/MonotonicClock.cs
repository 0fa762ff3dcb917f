using System.Diagnostics;

namespace Lock.Actors.Actors.KeyLock;

/// <summary>
/// Where a key actor reads the time: <see cref="Stopwatch"/> timestamps, which also mark a lease's
/// validity. A seam so that specs can move time by hand together with a test scheduler, and drive
/// deadlines and the watchdog without waiting.
/// </summary>
internal class MonotonicClock
{
    public static MonotonicClock System { get; } = new();

    /// <summary>Now, in <see cref="Stopwatch"/> ticks.</summary>
    public virtual long Now => Stopwatch.GetTimestamp();

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static TimeSpan TicksToSpan(long ticks) => TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);

    /// <summary>The wall-clock time at which this clock read <paramref name="timestamp"/> (for a span's start).</summary>
    public DateTimeOffset WallTimeOf(long timestamp) => DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(timestamp, Now);

    /// <summary>How long from now until <paramref name="timestamp"/>; zero once it has passed.</summary>
    public TimeSpan Until(long timestamp)
    {
        var delay = Stopwatch.GetElapsedTime(Now, timestamp);
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }
}
