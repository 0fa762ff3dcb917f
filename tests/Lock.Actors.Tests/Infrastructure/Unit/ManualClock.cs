using System.Diagnostics;
using Lock.Actors.Actors.KeyLock;

namespace Lock.Actors.Tests.Infrastructure.Unit;

/// <summary>A key actor's clock that only moves when the spec moves it.</summary>
internal sealed class ManualClock : MonotonicClock
{
    private long _now = Stopwatch.GetTimestamp();

    public override long Now => Interlocked.Read(ref _now);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _now, Ticks(by));
}
