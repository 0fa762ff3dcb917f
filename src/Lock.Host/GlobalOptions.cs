using System.CommandLine;
using Akka.Configuration;
using Lock.Actors;
using Microsoft.Extensions.Logging;

namespace Lock.Host;

/// <summary>The options every command takes, and how a command gets its Redis and reports failures.</summary>
internal sealed class GlobalOptions
{
    public const string PrefixEnvironmentVariable = "LOCK_PREFIX";

    public Option<string?> Redis { get; } = new("--redis")
    {
        Description = "StackExchange.Redis configuration string of the Redis to use (default: $LOCK_REDIS; " +
                      "without either, a private redis-server from PATH is started and stopped with the command).",
        Recursive = true,
    };

    public Option<string?> Prefix { get; } = new("--prefix")
    {
        Description = "Key prefix of the locks (default: $LOCK_PREFIX, else lock.key-prefix from hocon/).",
        Recursive = true,
    };

    public Option<LogLevel> LogLevel { get; } = new("--log-level")
    {
        Description = "Lowest level written to the console log.",
        DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Information,
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Redis);
        command.Options.Add(Prefix);
        command.Options.Add(LogLevel);
    }

    /// <summary>The key prefix in effect: the option, the environment, or the host's HOCON.</summary>
    public string? KeyPrefix(ParseResult parse) =>
        parse.GetValue(Prefix) ?? Environment.GetEnvironmentVariable(PrefixEnvironmentVariable);

    public static string ConfiguredKeyPrefix()
    {
        var hostConfig = ConfigurationFactory.ParseString(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, LockNode.HostConfigFile)));
        return LockSettings.Create(hostConfig.WithFallback(DistributedLocks.DefaultConfig()).GetConfig(LockSettings.ConfigPath)).KeyPrefix;
    }

    /// <summary>
    /// Resolves the Redis (starting the embedded one if needed), runs <paramref name="body"/>, and turns a
    /// <see cref="HostFailureException"/> into its sentence on standard error and its exit code.
    /// </summary>
    public async Task<int> RunAsync(
        ParseResult parse, CancellationToken cancellationToken, Func<NodeSettings, TextWriter, CancellationToken, Task<int>> body)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        try
        {
            await using var redis = await RedisEndpoint.ResolveAsync(
                parse.GetValue(Redis), Environment.GetEnvironmentVariable(RedisEndpoint.EnvironmentVariable),
                Environment.GetEnvironmentVariable("PATH"), cancellationToken);
            return await body(new NodeSettings(redis, KeyPrefix(parse), parse.GetValue(LogLevel)), output, cancellationToken);
        }
        catch (HostFailureException e)
        {
            await error.WriteLineAsync(e.Message);
            return e.ExitCode;
        }
    }
}
