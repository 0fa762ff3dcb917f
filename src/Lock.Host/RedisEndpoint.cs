using StackExchange.Redis;

namespace Lock.Host;

/// <summary>
/// The Redis a host command uses: --redis, else LOCK_REDIS, else a private redis-server from PATH
/// (stopped when this is disposed).
/// </summary>
internal sealed class RedisEndpoint : IAsyncDisposable
{
    public const string EnvironmentVariable = "LOCK_REDIS";

    private RedisEndpoint(string configuration, EmbeddedRedis? embedded)
    {
        Configuration = configuration;
        Embedded = embedded;
    }

    public string Configuration { get; }

    public EmbeddedRedis? Embedded { get; }

    /// <summary>The configuration without its password, for logs and messages.</summary>
    public string Description => Embedded is null
        ? ConfigurationOptions.Parse(Configuration).ToString(includePassword: false)
        : $"embedded redis-server on 127.0.0.1:{Embedded.Port}";

    public static async Task<RedisEndpoint> ResolveAsync(
        string? option, string? environment, string? pathVariable, CancellationToken cancellationToken)
    {
        var given = !string.IsNullOrWhiteSpace(option) ? (Value: option, Source: "--redis")
            : !string.IsNullOrWhiteSpace(environment) ? (Value: environment, Source: EnvironmentVariable)
            : (Value: null, Source: null);
        if (given.Value is not null)
        {
            try
            {
                ConfigurationOptions.Parse(given.Value);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new HostFailureException(
                    $"The {given.Source} value is not a valid Redis configuration string: {e.Message}",
                    HostFailureException.Misconfigured);
            }
            return new RedisEndpoint(given.Value, null);
        }

        var executable = EmbeddedRedis.FindExecutable(pathVariable) ?? throw new HostFailureException(
            "No Redis to use: pass --redis host:port (or set LOCK_REDIS), or install redis-server " +
            "(Debian/Ubuntu: apt-get install -y redis-server) so the host can start a private one.",
            HostFailureException.Misconfigured);
        var embedded = await EmbeddedRedis.StartAsync(executable, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new RedisEndpoint(embedded.Configuration, embedded);
    }

    public async ValueTask DisposeAsync()
    {
        if (Embedded is not null) await Embedded.DisposeAsync().ConfigureAwait(false);
    }
}
