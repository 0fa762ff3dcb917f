using System.CommandLine;
using System.Globalization;
using Lock.Actors;
using StackExchange.Redis;

namespace Lock.Host;

/// <summary><c>locks</c>: the locks in Redis under the prefix, from every node, with their remaining TTL.</summary>
internal static class LocksCommand
{
    public static Command Create(GlobalOptions global)
    {
        var command = new Command("locks", "List the locks currently held in Redis under the prefix (SCAN, never KEYS): mode, remaining TTL and fencing token.");
        command.SetAction((parse, cancellationToken) =>
            global.RunNamedAsync(parse, "locks", cancellationToken, (settings, output, token) => RunAsync(settings, output, token)));
        return command;
    }

    public static async Task<int> RunAsync(NodeSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var database = ConfigurationOptions.Parse(settings.Redis.Configuration).DefaultDatabase ?? 0;
        var connection = await settings.Redis.ConnectAsync();
        await using (connection)
        {
            var prefix = settings.KeyPrefix ?? GlobalOptions.ConfiguredKeyPrefix();
            var locks = new List<LockScanner.ScannedLock>();
            await foreach (var held in new LockScanner(connection, prefix, database).ScanAsync(cancellationToken))
                locks.Add(held);

            if (locks.Count == 0)
            {
                await output.WriteLineAsync($"No locks held under prefix '{prefix}' ({settings.Redis.Description}).");
                return 0;
            }
            var width = Math.Max(3, locks.Max(l => l.Key.Length));
            await output.WriteLineAsync($"{"Key".PadRight(width)}  {"Mode",-9}  {"Remaining TTL",13}  {"Fencing token",18}");
            foreach (var held in locks.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                var ttl = held.RemainingTtl is { } remaining ? $"{remaining.TotalSeconds:0.000} s" : "no expiry";
                var fencing = held.FencingToken?.ToString(CultureInfo.InvariantCulture) ?? "-";
                await output.WriteLineAsync($"{held.Key.PadRight(width)}  {ModeName(held.Mode),-9}  {ttl,13}  {fencing,18}");
            }
            await output.WriteLineAsync($"{locks.Count} lock(s) under prefix '{prefix}'.");
            return 0;
        }
    }

    private static string ModeName(LockProtocol.LockMode mode) => mode == LockProtocol.LockMode.Exclusive ? "exclusive" : "shared";
}
