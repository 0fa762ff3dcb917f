using System.CommandLine;
using Lock.Actors;
using StackExchange.Redis;

namespace Lock.Host;

/// <summary><c>locks</c>: the locks in Redis under the prefix, from every node, with their remaining TTL.</summary>
internal static class LocksCommand
{
    public static Command Create(GlobalOptions global)
    {
        var command = new Command("locks", "List the locks currently held in Redis under the prefix (SCAN, never KEYS), with remaining TTL.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            // The locks of a private server started for this command would always be none.
            if (parse.GetValue(global.Redis) is null && Environment.GetEnvironmentVariable(RedisEndpoint.EnvironmentVariable) is null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(
                    $"locks lists the locks in a Redis that nodes use: name it with --redis (or {RedisEndpoint.EnvironmentVariable}).");
                return HostFailureException.Misconfigured;
            }
            return await global.RunAsync(parse, cancellationToken, (settings, output, token) => RunAsync(settings, output, token));
        });
        return command;
    }

    public static async Task<int> RunAsync(NodeSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(settings.Redis.Configuration);
        options.AbortOnConnectFail = true;
        IConnectionMultiplexer connection;
        try
        {
            connection = await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch (RedisConnectionException e)
        {
            throw new HostFailureException($"Redis ({settings.Redis.Description}) is not reachable: {e.Message}", HostFailureException.Failed);
        }

        await using (connection)
        {
            var prefix = settings.KeyPrefix ?? GlobalOptions.ConfiguredKeyPrefix();
            var locks = new List<LockProtocol.LockStatus>();
            await foreach (var status in new LockScanner(connection, prefix, options.DefaultDatabase ?? 0).ScanAsync(cancellationToken))
                locks.Add(status);

            if (locks.Count == 0)
            {
                await output.WriteLineAsync($"No locks held under prefix '{prefix}' ({settings.Redis.Description}).");
                return 0;
            }
            var width = Math.Max(3, locks.Max(l => l.Key.Length));
            await output.WriteLineAsync($"{"Key".PadRight(width)}  Remaining TTL");
            foreach (var status in locks.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                var ttl = status.RemainingTtl is { } remaining ? $"{remaining.TotalSeconds:0.000} s" : "no expiry";
                await output.WriteLineAsync($"{status.Key.PadRight(width)}  {ttl}");
            }
            await output.WriteLineAsync($"{locks.Count} lock(s) under prefix '{prefix}'.");
            return 0;
        }
    }
}
