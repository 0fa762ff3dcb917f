using BenchmarkDotNet.Attributes;
using Lock.Benchmarks.Contenders;

namespace Lock.Benchmarks;

/// <summary>
/// BenchmarkDotNet: one caller, one key, acquire + release back to back, per contender; latency and
/// bytes allocated per cycle. Runs in-process against the contenders the program set up.
/// </summary>
[MemoryDiagnoser]
public class SingleCallerBenchmarks
{
    // BenchmarkDotNet builds this class itself; the in-process toolchain lets it see the live contenders.
    internal static IReadOnlyList<ILockContender> Contenders { get; set; } = [];

    private ILockContender _contender = null!;

    [ParamsSource(nameof(Names))]
    public string Contender { get; set; } = "";

    public static IEnumerable<string> Names => Contenders.Select(c => c.Name);

    [GlobalSetup]
    public void Setup() => _contender = Contenders.Single(c => c.Name == Contender);

    [Benchmark]
    public Task Cycle() => LoadRunner.CycleAsync(_contender, "bench:single:" + Contender);
}
