namespace Lock.Actors.Diagnostics;

/// <summary>
/// Names of the spans the library records on the <c>System.Diagnostics.ActivitySource</c>
/// <see cref="SourceName"/>, for OpenTelemetry (<c>AddSource(LockActivities.SourceName)</c>) or an
/// <c>ActivityListener</c>. A span's parent is the activity current where the request message was
/// made (the caller of the facade, or the actor that sent it), so a lock's spans join the caller's trace.
/// </summary>
public static class LockActivities
{
    /// <summary>The activity source's name.</summary>
    public const string SourceName = "Lock.Actors";

    /// <summary>Span: an acquire, from its arrival at the node until it was granted or answered (its wait).</summary>
    public const string Acquire = "lock.acquire";

    /// <summary>Span: a hold, from the grant until the release landed or the lock was lost.</summary>
    public const string Hold = "lock.hold";

    /// <summary>Span: one release call, from its request until Redis answered.</summary>
    public const string Release = "lock.release";

    /// <summary>Span: one extend call (the watchdog's or a request), until Redis answered.</summary>
    public const string Extend = "lock.extend";

    /// <summary>Tag: the lock's key, or <c>sha256:</c> and 16 hex digits with <c>lock.telemetry.hash-keys = on</c>.</summary>
    public const string KeyTag = "lock.key";

    /// <summary>
    /// Tag: how it ended. Acquire: <c>acquired</c>, <c>timeout</c>, <c>unavailable</c>, <c>invalid_request</c>,
    /// <c>shutting_down</c>. Hold: <c>released</c>, <c>lost</c>. Release: <c>released</c>, <c>not_held</c>,
    /// <c>unavailable</c>. Extend: <c>extended</c>, <c>not_held</c>, <c>unavailable</c>.
    /// </summary>
    public const string OutcomeTag = "lock.outcome";

    /// <summary>Tag: the grant's fencing token (on an acquire that was granted, a hold, and a holder's release or extend).</summary>
    public const string FencingTokenTag = "lock.fencing_token";

    /// <summary>Tag on a hold: whether the watchdog kept it.</summary>
    public const string AutoExtendTag = "lock.auto_extend";

    /// <summary>Tag on an extend: <c>true</c> when the watchdog sent it, <c>false</c> when it was asked for.</summary>
    public const string WatchdogTag = "lock.watchdog";
}
