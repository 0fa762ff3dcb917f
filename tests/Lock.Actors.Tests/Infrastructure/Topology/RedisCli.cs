using System.Diagnostics;

namespace Lock.Actors.Tests.Infrastructure.Topology;

/// <summary>redis-cli from PATH, for the commands a topology is built and inspected with (sentinel, cluster).</summary>
public static class RedisCli
{
    /// <summary>Runs redis-cli with <paramref name="arguments"/> and returns what it printed; fails on a non-zero exit.</summary>
    public static async Task<string> RunAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}{await output}");
        return (await output).Trim();
    }

    /// <summary>One field of INFO (<c>role</c>, <c>master_link_status</c>, ...) of the server on <paramref name="port"/>.</summary>
    public static async Task<string?> InfoFieldAsync(int port, string section, string field)
    {
        var info = await RunAsync("-p", port.ToString(), "INFO", section);
        foreach (var line in info.Split('\n'))
            if (line.StartsWith(field + ":", StringComparison.Ordinal)) return line[(field.Length + 1)..].Trim();
        return null;
    }
}
