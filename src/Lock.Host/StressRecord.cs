using System.Text.Json;

namespace Lock.Host;

/// <summary>
/// One lock cycle of a stress worker, as a JSON line. Times are the resource server's clock (µs).
/// Outcome: "section" (the lock was held; see the Enter/Write fields), "timeout", "unavailable".
/// </summary>
internal sealed record StressRecord(
    string Worker,
    string Key,
    string Outcome,
    long Fence = 0,
    bool EnterAccepted = false,
    long Occupancy = 0,
    long EnterMicros = 0,
    bool WriteAttempted = false,
    bool WriteAccepted = false,
    long WriteMicros = 0,
    bool LostBeforeWrite = false)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Both of its writes landed: the section counts as having acted on the resource.</summary>
    public bool Accepted => EnterAccepted && WriteAccepted;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static StressRecord FromJson(string line) =>
        JsonSerializer.Deserialize<StressRecord>(line, Json) ?? throw new FormatException($"Not a stress record: {line}");
}
