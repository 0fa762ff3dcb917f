namespace Lock.Benchmarks;

/// <summary>Every measurement of a run, by scenario and contender; reported as medians.</summary>
public sealed class Results
{
    private readonly Dictionary<string, Dictionary<string, List<double>>> _values = new();

    public void Add(string scenario, string contender, double value)
    {
        if (!_values.TryGetValue(scenario, out var byContender)) _values[scenario] = byContender = new();
        if (!byContender.TryGetValue(contender, out var list)) byContender[contender] = list = new();
        list.Add(value);
    }

    public IEnumerable<string> Scenarios => _values.Keys;

    public double Median(string scenario, string contender)
    {
        if (!_values.TryGetValue(scenario, out var byContender) || !byContender.TryGetValue(contender, out var list) || list.Count == 0)
            return double.NaN;
        var sorted = list.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public Dictionary<string, Dictionary<string, double>> Medians() =>
        _values.ToDictionary(s => s.Key, s => s.Value.ToDictionary(c => c.Key, c => Median(s.Key, c.Key)));
}
