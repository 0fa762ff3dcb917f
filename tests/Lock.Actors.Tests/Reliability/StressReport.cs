using Lock.Host;

namespace Lock.Actors.Tests.Reliability;

/// <summary>
/// Reads back every cycle the stress workers recorded and checks what a lock must guarantee: no two
/// accepted critical sections on one key overlap (on the resource server's clock), fencing tokens of
/// accepted sections strictly increase per key, and every worker made progress.
/// </summary>
internal sealed class StressReport
{
    public StressReport(IReadOnlyList<StressRecord> records)
    {
        Records = records;
        Sections = records.Where(r => r.Outcome == "section").ToList();
        Accepted = Sections.Where(r => r.Accepted).ToList();
        FencedOut = Sections.Count(r => !r.EnterAccepted || r.WriteAttempted && !r.WriteAccepted);
        StoppedOnLoss = Sections.Count(r => r.LostBeforeWrite);
        Timeouts = records.Count(r => r.Outcome == "timeout");
        Unavailable = records.Count(r => r.Outcome == "unavailable");
        AcceptedPerWorker = records.GroupBy(r => r.Worker.Split('/')[0])
            .ToDictionary(g => g.Key, g => g.Count(r => r.Accepted));

        foreach (var key in Accepted.GroupBy(r => r.Key))
        {
            var ordered = key.OrderBy(r => r.EnterMicros).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                var (before, after) = (ordered[i - 1], ordered[i]);
                if (after.EnterMicros < before.WriteMicros)
                    Violations.Add($"{key.Key}: {after.Worker} (fence {after.Fence}) entered at {after.EnterMicros} inside {before.Worker}'s section (fence {before.Fence}, {before.EnterMicros}..{before.WriteMicros})");
                if (after.Fence <= before.Fence)
                    Violations.Add($"{key.Key}: fencing token {after.Fence} of {after.Worker} did not increase over {before.Fence} of {before.Worker}");
            }
        }
        MaxOccupancyAtAcceptedEntry = Accepted.Count == 0 ? 0 : Accepted.Max(r => r.Occupancy);
    }

    public IReadOnlyList<StressRecord> Records { get; }
    public IReadOnlyList<StressRecord> Sections { get; }
    public IReadOnlyList<StressRecord> Accepted { get; }

    /// <summary>Sections the resource refused: a holder whose lock had vanished without it noticing in time.</summary>
    public int FencedOut { get; }

    /// <summary>Sections whose holder saw its lock lost and stopped before writing.</summary>
    public int StoppedOnLoss { get; }

    public int Timeouts { get; }
    public int Unavailable { get; }
    public long MaxOccupancyAtAcceptedEntry { get; }

    /// <summary>The occupancy counter at accepted entries before a moment (a worker killed inside a section never leaves it).</summary>
    public long MaxOccupancyBefore(long micros) =>
        Accepted.Where(r => r.EnterMicros < micros).Select(r => r.Occupancy).DefaultIfEmpty(0).Max();
    public IReadOnlyDictionary<string, int> AcceptedPerWorker { get; }

    /// <summary>Per worker: accepted sections / timeouts / unavailable answers.</summary>
    public string OutcomesPerWorker =>
        string.Join(", ", Records.GroupBy(r => r.Worker.Split('/')[0]).OrderBy(g => g.Key).Select(g =>
            $"{g.Key} {g.Count(r => r.Accepted)}/{g.Count(r => r.Outcome == "timeout")}/{g.Count(r => r.Outcome == "unavailable")}"));
    public List<string> Violations { get; } = new();
}
