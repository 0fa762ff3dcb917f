namespace Lock.Actors.Diagnostics;

/// <summary>
/// Names of the <c>System.Diagnostics.Metrics</c> instruments the library publishes, for OpenTelemetry
/// (<c>AddMeter(LockMeter.Name)</c>) or <c>dotnet-counters monitor --counters Lock.Actors</c>.
/// Every measurement carries the tag <c>actor_system</c>.
/// </summary>
public static class LockMeter
{
    /// <summary>The meter's name.</summary>
    public const string Name = "Lock.Actors";

    /// <summary>Counter: locks granted.</summary>
    public const string Acquired = "lock.acquired";

    /// <summary>Counter: acquires that failed, tagged <c>reason</c> (timeout, unavailable, invalid_request, shutting_down).</summary>
    public const string NotAcquired = "lock.not_acquired";

    /// <summary>Counter: locks released by their token.</summary>
    public const string Released = "lock.released";

    /// <summary>Counter: successful extends, by the watchdog or on request.</summary>
    public const string Extended = "lock.extended";

    /// <summary>Counter: held locks lost without a release (TTL ran out, or found gone by the watchdog).</summary>
    public const string Lost = "lock.lost";

    /// <summary>Gauge: locks this node holds now.</summary>
    public const string Active = "lock.active";

    /// <summary>Gauge: acquire requests queued in key actors now.</summary>
    public const string Waiters = "lock.waiters";

    /// <summary>Histogram (s): from an acquire's arrival at its key actor to its grant.</summary>
    public const string AcquireWait = "lock.acquire.wait";
}
