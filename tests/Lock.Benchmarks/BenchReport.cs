using System.Globalization;
using System.Text;
using System.Text.Json;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace Lock.Benchmarks;

/// <summary>Writes benchmarks.md, benchmarks.json and throughput.svg, and judges the bars.</summary>
public static class BenchReport
{
    private const string Ask = "Lock.Actors (Ask)";
    private const string Service = "Lock.Actors (LockService)";
    private const string Floor = "floor";
    private const string Poll = "poll-100ms";
    private static readonly string[] Peers = ["DistributedLock.Redis", "RedLock.net"];

    public static string Write(string directory, Results results, IReadOnlyList<string> contenders, Plan plan, MemoryScenario.Result memory, bool smoke)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Lock.Actors benchmarks{(smoke ? " (smoke run: figures meaningless)" : "")}").AppendLine();
        md.AppendLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, one Redis and one connection for all contenders. " +
                      $"Each figure is the median of {plan.Rounds} interleaved rounds of {plan.Duration.TotalSeconds:0.##} s (first round discarded).").AppendLine();
        md.AppendLine("`dotnet run -c Release --project tests/Lock.Benchmarks`").AppendLine();

        md.AppendLine("## Uncontended acquire + release cycles/s (distinct keys)").AppendLine();
        Table(md, "callers", contenders, plan.UncontendedCallers.Select(c => ($"{c}", $"uncontended/{c}")), results, "0");

        md.AppendLine("## Hot key: hand-offs/s, and hand-off latency p50 / p99 (ms, release sent -> next holder has it)").AppendLine();
        md.Append("| waiters, hold |");
        foreach (var c in contenders) md.Append($" {c} |");
        md.AppendLine().Append("|---|").Append(string.Concat(contenders.Select(_ => "---|"))).AppendLine();
        foreach (var (waiters, hold) in plan.HotKeys)
        {
            var s = $"hot/{waiters}/{hold}ms";
            md.Append($"| {waiters}, {hold} ms |");
            foreach (var c in contenders)
                md.Append($" {F(results.Median(s, c), "0")}/s, {F(results.Median(s + "/p50", c), "0.00")} / {F(results.Median(s + "/p99", c), "0.00")} |");
            md.AppendLine();
        }
        md.AppendLine();

        md.AppendLine("## Single caller, one key").AppendLine();
        md.AppendLine("| contender | p50 ms | p99 ms | bytes/cycle (whole process) | BenchmarkDotNet median µs | BenchmarkDotNet allocated B/op |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var c in contenders)
            md.AppendLine($"| {c} | {F(results.Median("single/p50", c), "0.000")} | {F(results.Median("single/p99", c), "0.000")} | " +
                          $"{F(results.Median("single/bytes", c), "0")} | {F(results.Median("bdn/median-us", c), "0.0")} | {F(results.Median("bdn/allocated-bytes", c), "0")} |");
        md.AppendLine();

        md.AppendLine("## Throughput against callers (cycles/s)").AppendLine();
        Table(md, "callers", contenders, plan.SweepCallers.Select(c => ($"{c}", $"sweep/{c}")), results, "0");
        md.AppendLine("![throughput against callers](throughput.svg)").AppendLine();

        md.AppendLine($"## Memory: {memory.Keys:N0} distinct keys through one node").AppendLine();
        md.AppendLine($"{memory.Seconds:0.0} s; key actors alive at peak {memory.PeakKeyActors:N0}, after the idle timeout {memory.LiveKeyActors}; " +
                      $"managed heap after a full GC {memory.HeapBeforeBytes / 1048576.0:0.0} MiB before, {memory.HeapAfterBytes / 1048576.0:0.0} MiB after " +
                      $"({(memory.HeapAfterBytes - memory.HeapBeforeBytes) / 1048576.0:+0.0;-0.0} MiB).").AppendLine();

        var bars = Bars(results, plan, memory);
        md.AppendLine("## The bars").AppendLine();
        foreach (var bar in bars) md.AppendLine($"- {(bar.Met ? "met" : "**missed**")}: {bar.Text}");

        File.WriteAllText(Path.Combine(directory, "benchmarks.md"), md.ToString());
        File.WriteAllText(Path.Combine(directory, "benchmarks.json"), JsonSerializer.Serialize(new
        {
            smoke,
            medians = results.Medians(),
            memory,
            bars = bars.Select(b => new { b.Text, b.Met, b.Ratio }),
        }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        WriteChart(Path.Combine(directory, "throughput.svg"), results, contenders, plan.SweepCallers);
        return md.ToString();
    }

    private sealed record Bar(string Text, bool Met, double Ratio);

    private static List<Bar> Bars(Results r, Plan plan, MemoryScenario.Result memory)
    {
        var bars = new List<Bar>();
        var top = $"uncontended/{plan.UncontendedCallers.Max()}";
        foreach (var ours in new[] { Ask, Service })
        {
            foreach (var peer in Peers)
            {
                var ratio = r.Median(top, ours) / r.Median(top, peer);
                bars.Add(new Bar($"{top}: {ours} / {peer} = {ratio:0.00}x (bar >= 1.0x, aim 1.5x)", ratio >= 1.0, ratio));
            }
            var floor = r.Median(top, ours) / r.Median(top, Floor);
            bars.Add(new Bar($"{top}: {ours} / floor = {floor:0.00}x (bar >= 0.5x)", floor >= 0.5, floor));
        }
        foreach (var (waiters, hold) in plan.HotKeys)
        {
            var s = $"hot/{waiters}/{hold}ms/p50";
            var p50 = r.Median(s, Ask);
            bars.Add(new Bar($"{s}: Lock.Actors hand-off p50 = {p50:0.00} ms (bar <= 2 ms)", p50 <= 2, p50));
            foreach (var other in Peers.Append(Poll))
            {
                var ratio = r.Median(s, other) / p50;
                bars.Add(new Bar($"{s}: {other} / Lock.Actors = {ratio:0.0}x lower latency for Lock.Actors (bar >= 10x)", ratio >= 10, ratio));
            }
        }
        var single = r.Median("single/p50", Ask) / r.Median("single/p50", Floor);
        bars.Add(new Bar($"single caller p50: Lock.Actors (Ask) / floor = {single:0.00}x (bar <= 3x)", single <= 3, single));
        bars.Add(new Bar($"{memory.Keys:N0} keys: live key actors after the idle timeout = {memory.LiveKeyActors} (bar 0)", memory.LiveKeyActors == 0, memory.LiveKeyActors));
        var growth = (memory.HeapAfterBytes - memory.HeapBeforeBytes) / 1048576.0;
        bars.Add(new Bar($"{memory.Keys:N0} keys: managed heap grew {growth:0.0} MiB (bar within 20 MB)", growth <= 20, growth));
        return bars;
    }

    private static void Table(StringBuilder md, string first, IReadOnlyList<string> contenders, IEnumerable<(string Label, string Scenario)> rows, Results results, string format)
    {
        md.Append($"| {first} |");
        foreach (var c in contenders) md.Append($" {c} |");
        md.AppendLine(" Lock.Actors (Ask) / best peer | / floor |");
        md.Append("|---|").Append(string.Concat(contenders.Select(_ => "---|"))).AppendLine("---|---|");
        foreach (var (label, scenario) in rows)
        {
            md.Append($"| {label} |");
            foreach (var c in contenders) md.Append($" {F(results.Median(scenario, c), format)} |");
            var best = Peers.Max(p => results.Median(scenario, p));
            md.AppendLine($" {F(results.Median(scenario, Ask) / best, "0.00")}x | {F(results.Median(scenario, Ask) / results.Median(scenario, Floor), "0.00")}x |");
        }
        md.AppendLine();
    }

    private static void WriteChart(string path, Results results, IReadOnlyList<string> contenders, int[] callers)
    {
        var model = new PlotModel
        {
            Title = "Uncontended acquire + release throughput",
            Background = OxyColors.White,
            Padding = new OxyThickness(8, 24, 8, 8),
        };
        // Below the plot, in a row: room for fonts wider than the exporter's estimate.
        model.Legends.Add(new Legend
        {
            LegendPlacement = LegendPlacement.Outside,
            LegendPosition = LegendPosition.BottomCenter,
            LegendOrientation = LegendOrientation.Horizontal,
            LegendItemSpacing = 48,
        });
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Bottom, Base = 2, Title = "concurrent callers", MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "cycles / s", Minimum = 0, MajorGridlineStyle = LineStyle.Dot });
        foreach (var contender in contenders)
        {
            var series = new LineSeries { Title = contender, MarkerType = MarkerType.Circle };
            foreach (var c in callers)
                if (results.Median($"sweep/{c}", contender) is var v && !double.IsNaN(v)) series.Points.Add(new DataPoint(c, v));
            model.Series.Add(series);
        }
        using var stream = File.Create(path);
        // Not every SVG renderer honours dominant-baseline; without this, labels drift off their swatches.
        new SvgExporter { Width = 1000, Height = 560, UseVerticalTextAlignmentWorkaround = true }.Export(model, stream);
    }

    /// <summary>Draws throughput.svg again from the medians in benchmarks.json (no new measurements).</summary>
    public static void RedrawChart(string directory, IReadOnlyList<string> contenders, int[] callers)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "benchmarks.json")));
        var results = new Results();
        foreach (var scenario in json.RootElement.GetProperty("medians").EnumerateObject())
            foreach (var contender in scenario.Value.EnumerateObject())
                if (contender.Value.ValueKind == JsonValueKind.Number)
                    results.Add(scenario.Name, contender.Name, contender.Value.GetDouble());
        WriteChart(Path.Combine(directory, "throughput.svg"), results, contenders, callers);
    }

    private static string F(double value, string format) =>
        double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);
}
