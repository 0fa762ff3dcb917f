namespace Lock.Benchmarks;

/// <summary>How much of each scenario a run does.</summary>
public sealed record Plan(
    TimeSpan Duration, int Rounds, int Warmup, int[] UncontendedCallers, (int Waiters, int HoldMs)[] HotKeys,
    int SingleCycles, int[] SweepCallers, TimeSpan SweepDuration, int MemoryKeys)
{
    public static readonly Plan Full = new(
        TimeSpan.FromSeconds(2), Rounds: 5, Warmup: 1, [1, 16, 64], [(8, 0), (8, 1), (32, 0), (32, 1)],
        SingleCycles: 3000, [1, 2, 4, 8, 16, 32, 64, 128, 256], TimeSpan.FromSeconds(1.5), MemoryKeys: 1_000_000);

    /// <summary>The bars' scenarios only, for a profile-and-fix loop.</summary>
    public static readonly Plan Quick = new(
        TimeSpan.FromSeconds(2), Rounds: 3, Warmup: 1, [64], [(8, 1)],
        SingleCycles: 1000, [], TimeSpan.Zero, MemoryKeys: 20_000);

    public static readonly Plan Smoke = new(
        TimeSpan.FromMilliseconds(250), Rounds: 1, Warmup: 0, [1, 16], [(8, 0)],
        SingleCycles: 100, [1, 16], TimeSpan.FromMilliseconds(250), MemoryKeys: 2_000);
}
