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
        Description = "The Redis to use: a StackExchange.Redis configuration string (host:port,password=…) or a " +
                      "redis:// or rediss:// URL (default: $LOCK_REDIS; without either, a private redis-server is " +
                      "started and stopped with the command).",
        Recursive = true,
    };

    public Option<string?> RedisServer { get; } = new("--redis-server")
    {
        Description = "The redis-server executable for the private server (default: the one on PATH).",
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
        command.Options.Add(RedisServer);
        command.Options.Add(Prefix);
        command.Options.Add(LogLevel);
    }

    /// <summary>
    /// As <see cref="RunAsync"/>, for a command that only means something on a Redis that nodes use
    /// (a private server started for it would hold no lock): without one named it says so (exit 2).
    /// </summary>
    public async Task<int> RunNamedAsync(
        ParseResult parse, string commandName, CancellationToken cancellationToken, Func<NodeSettings, TextWriter, CancellationToken, Task<int>> body,
        Action? check = null)
    {
        if (string.IsNullOrWhiteSpace(parse.GetValue(Redis)) && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(RedisEndpoint.EnvironmentVariable)))
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync(
                $"{commandName} works on the Redis that your nodes use: name it with --redis (or {RedisEndpoint.EnvironmentVariable}).");
            return HostFailureException.Misconfigured;
        }
        return await RunAsync(parse, cancellationToken, body, check);
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
    /// <param name="check">Checks the command's own values first, before any server is started; it throws
    /// <see cref="HostFailureException"/> for a bad one.</param>
    public async Task<int> RunAsync(
        ParseResult parse, CancellationToken cancellationToken, Func<NodeSettings, TextWriter, CancellationToken, Task<int>> body,
        Action? check = null)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        try
        {
            check?.Invoke();
            await using var redis = await RedisEndpoint.ResolveAsync(
                parse.GetValue(Redis), Environment.GetEnvironmentVariable(RedisEndpoint.EnvironmentVariable),
                Environment.GetEnvironmentVariable("PATH"), cancellationToken, parse.GetValue(RedisServer));
            await redis.EnsureReachableAsync();
            return await body(new NodeSettings(redis, KeyPrefix(parse), parse.GetValue(LogLevel)), output, cancellationToken);
        }
        catch (HostFailureException e)
        {
            await error.WriteLineAsync(e.Message);
            return e.ExitCode;
        }
    }
}
