using System.Globalization;
using System.Text.RegularExpressions;

namespace Lock.Host;

/// <summary>Values given on the command line that the parser cannot check: each problem is one sentence (exit 2).</summary>
internal static partial class CommandValues
{
    /// <summary>"30s", "500ms", "2m", "1h", or a number of seconds.</summary>
    public static TimeSpan Duration(string text, string option)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success || !double.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            throw new HostFailureException(
                $"{option} '{text}' is not a duration: write for example 30s, 500ms, 5m or 1h.", HostFailureException.Misconfigured);
        var value = match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(number),
            "m" => TimeSpan.FromMinutes(number),
            "h" => TimeSpan.FromHours(number),
            _ => TimeSpan.FromSeconds(number),
        };
        if (value <= TimeSpan.Zero)
            throw new HostFailureException($"{option} '{text}' must be more than zero.", HostFailureException.Misconfigured);
        return value;
    }

    /// <summary>A node's name is its ActorSystem's name: letters, digits, '-' and '_'.</summary>
    public static string NodeName(string name)
    {
        if (!NodeNamePattern().IsMatch(name))
            throw new HostFailureException(
                $"--name '{name}' is not a valid node name: use letters, digits, '-' and '_', starting with a letter or digit.",
                HostFailureException.Misconfigured);
        return name;
    }

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)(?<unit>ms|s|m|h)?$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")]
    private static partial Regex NodeNamePattern();
}
