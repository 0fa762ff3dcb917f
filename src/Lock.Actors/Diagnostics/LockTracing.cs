using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Lock.Actors.Actors.KeyLock;
using Lock.Actors.Redis;

namespace Lock.Actors.Diagnostics;

/// <summary>
/// Records the spans of <see cref="LockActivities"/>. Each span is recorded whole when its outcome is
/// known, with the start it had: an actor holds no open activity between messages, and nothing is
/// made while no listener samples the source.
/// </summary>
internal sealed class LockTracing(bool hashKeys)
{
    private static readonly ActivitySource Source = new(LockActivities.SourceName);

    public static LockTracing For(LockSettings settings) => settings.HashKeysInTelemetry ? Hashed : Plain;

    private static readonly LockTracing Plain = new(false);
    private static readonly LockTracing Hashed = new(true);

    // Each takes its start as a MonotonicClock reading: turned into wall-clock time only when a span is made.
    public void Acquire(string key, Activity? parent, MonotonicClock clock, long startedAt, string outcome, long? fencingToken = null) =>
        Record(LockActivities.Acquire, key, parent, clock, startedAt, outcome, fencingToken, IsError(outcome));

    public void Hold(string key, Activity? parent, MonotonicClock clock, long grantedAt, string outcome, long fencingToken, bool autoExtend) =>
        Record(LockActivities.Hold, key, parent, clock, grantedAt, outcome, fencingToken, error: false,
            new KeyValuePair<string, object?>(LockActivities.AutoExtendTag, autoExtend));

    public void Release(string key, Activity? parent, MonotonicClock clock, long startedAt, string outcome, long? fencingToken) =>
        Record(LockActivities.Release, key, parent, clock, startedAt, outcome, fencingToken, IsError(outcome));

    public void Extend(string key, Activity? parent, MonotonicClock clock, long startedAt, string outcome, long? fencingToken, bool byWatchdog) =>
        Record(LockActivities.Extend, key, parent, clock, startedAt, outcome, fencingToken, IsError(outcome),
            new KeyValuePair<string, object?>(LockActivities.WatchdogTag, byWatchdog));

    private void Record(
        string name, string key, Activity? parent, MonotonicClock clock, long startedAt, string outcome, long? fencingToken,
        bool error, KeyValuePair<string, object?> extra = default)
    {
        if (!Source.HasListeners()) return;
        // Starting an activity makes it current on this thread; the actor's thread goes back to what it had.
        var previous = Activity.Current;
        var activity = Source.StartActivity(name, ActivityKind.Internal, parent?.Context ?? default, startTime: clock.WallTimeOf(startedAt));
        if (activity is not null)
        {
            if (activity.IsAllDataRequested)
            {
                activity.SetTag(LockActivities.KeyTag, KeyTag(key));
                activity.SetTag(LockActivities.OutcomeTag, outcome);
                if (fencingToken is { } fencing) activity.SetTag(LockActivities.FencingTokenTag, fencing);
                if (extra.Key is not null) activity.SetTag(extra.Key, extra.Value);
                if (error) activity.SetStatus(ActivityStatusCode.Error, outcome);
            }
            activity.Stop();
        }
        Activity.Current = previous;
    }

    private string KeyTag(string key) =>
        hashKeys ? "sha256:" + Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 8)) : key;

    private static bool IsError(string outcome) => outcome is Outcomes.Unavailable or Outcomes.InvalidRequest;

    /// <summary>The values of <see cref="LockActivities.OutcomeTag"/>.</summary>
    public static class Outcomes
    {
        public const string Acquired = "acquired";
        public const string Timeout = "timeout";
        public const string Unavailable = "unavailable";
        public const string InvalidRequest = "invalid_request";
        public const string ShuttingDown = "shutting_down";
        public const string Released = "released";
        public const string Lost = "lost";
        public const string NotHeld = "not_held";
        public const string Extended = "extended";

        public static string Of(LockProtocol.AcquireFailure reason) => reason switch
        {
            LockProtocol.AcquireFailure.Timeout => Timeout,
            LockProtocol.AcquireFailure.Unavailable => Unavailable,
            LockProtocol.AcquireFailure.InvalidRequest => InvalidRequest,
            _ => ShuttingDown,
        };
    }
}
