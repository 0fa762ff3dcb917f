using System.Diagnostics;
using System.Diagnostics.Metrics;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Diagnostics;

/// <summary>
/// The instruments of one node (ActorSystem), and the few figures its health check reads.
/// Actors record into it; the gauges read counters the actors keep up to date.
/// </summary>
internal sealed class LockMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly KeyValuePair<string, object?> _system;
    private readonly Counter<long> _acquired;
    private readonly Counter<long> _notAcquired;
    private readonly Counter<long> _released;
    private readonly Counter<long> _extended;
    private readonly Counter<long> _lost;
    private readonly Histogram<double> _acquireWait;
    private int _active;
    private int _waiters;
    private long _lastLostAt;

    public LockMetrics(string actorSystemName)
    {
        _meter = new Meter(LockMeter.Name);
        _system = new KeyValuePair<string, object?>("actor_system", actorSystemName);
        _acquired = _meter.CreateCounter<long>(LockMeter.Acquired, "{lock}", "Locks granted");
        _notAcquired = _meter.CreateCounter<long>(LockMeter.NotAcquired, "{request}", "Acquires that failed, by reason");
        _released = _meter.CreateCounter<long>(LockMeter.Released, "{lock}", "Locks released by their token");
        _extended = _meter.CreateCounter<long>(LockMeter.Extended, "{extend}", "Successful extends");
        _lost = _meter.CreateCounter<long>(LockMeter.Lost, "{lock}", "Held locks lost without a release");
        // Durations in seconds, as OpenTelemetry's semantic conventions ask.
        _acquireWait = _meter.CreateHistogram<double>(LockMeter.AcquireWait, "s", "Time from an acquire's arrival to its grant");
        _meter.CreateObservableGauge(LockMeter.Active, () => new Measurement<int>(ActiveLocks, _system), "{lock}", "Locks this node holds");
        _meter.CreateObservableGauge(LockMeter.Waiters, () => new Measurement<int>(Waiters, _system), "{request}", "Acquires queued in key actors");
    }

    public int ActiveLocks => Volatile.Read(ref _active);

    public int Waiters => Volatile.Read(ref _waiters);

    /// <summary>When the watchdog of this node last found an auto-extended lock gone (UTC), or null.</summary>
    public DateTimeOffset? LastWatchdogLossAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastLostAt);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public void Acquired(long waitStartedAt)
    {
        _acquired.Add(1, _system);
        _acquireWait.Record(Stopwatch.GetElapsedTime(waitStartedAt).TotalSeconds, _system);
    }

    public void NotAcquired(AcquireFailure reason) =>
        _notAcquired.Add(1, _system, new KeyValuePair<string, object?>("reason", ReasonTag(reason)));

    public void Released() => _released.Add(1, _system);

    public void Extended() => _extended.Add(1, _system);

    public void Lost(bool byWatchdog)
    {
        _lost.Add(1, _system);
        if (byWatchdog) Interlocked.Exchange(ref _lastLostAt, DateTimeOffset.UtcNow.UtcTicks);
    }

    public void SetActiveLocks(int count) => Volatile.Write(ref _active, count);

    public void AddWaiters(int delta)
    {
        if (delta != 0) Interlocked.Add(ref _waiters, delta);
    }

    public void Dispose() => _meter.Dispose();

    private static string ReasonTag(AcquireFailure reason) => reason switch
    {
        AcquireFailure.Timeout => "timeout",
        AcquireFailure.Unavailable => "unavailable",
        AcquireFailure.InvalidRequest => "invalid_request",
        AcquireFailure.ShuttingDown => "shutting_down",
        _ => reason.ToString(),
    };
}
