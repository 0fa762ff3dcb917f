using System.Globalization;
using StackExchange.Redis;

namespace Lock.Host;

/// <summary>
/// The Redis a host command uses: --redis, else LOCK_REDIS, else a private redis-server (from
/// --redis-server or PATH), stopped when this is disposed. A value is a StackExchange.Redis
/// configuration string or a <c>redis://</c> / <c>rediss://</c> URL.
/// </summary>
internal sealed class RedisEndpoint : IAsyncDisposable
{
    public const string EnvironmentVariable = "LOCK_REDIS";

    /// <summary>How long a named Redis has to answer before the command gives up on it.</summary>
    public static readonly TimeSpan ReachTimeout = TimeSpan.FromSeconds(3);

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
        string? option, string? environment, string? pathVariable, CancellationToken cancellationToken, string? redisServer = null)
    {
        var given = !string.IsNullOrWhiteSpace(option) ? (Value: option, Source: "--redis")
            : !string.IsNullOrWhiteSpace(environment) ? (Value: environment, Source: EnvironmentVariable)
            : (Value: null, Source: null);
        if (given.Value is not null) return new RedisEndpoint(Normalize(given.Value, given.Source!), null);

        var executable = redisServer ?? EmbeddedRedis.FindExecutable(pathVariable) ?? throw new HostFailureException(
            "No Redis to use: pass --redis host:port (or set LOCK_REDIS), or install redis-server " +
            "(Debian/Ubuntu: apt-get install -y redis-server) so the host can start a private one.",
            HostFailureException.Misconfigured);
        var embedded = await EmbeddedRedis.StartAsync(executable, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new RedisEndpoint(embedded.Configuration, embedded);
    }

    /// <summary>
    /// Connects once, within <see cref="ReachTimeout"/>, so a Redis that is not there is reported in a few
    /// seconds and in our words, before any node starts.
    /// </summary>
    public async Task EnsureReachableAsync()
    {
        if (Embedded is not null) return;
        await using var probe = await ConnectAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// A connection (the caller's to dispose) that answered a PING within <see cref="ReachTimeout"/>; otherwise
    /// the one sentence that says why not.
    /// </summary>
    public async Task<IConnectionMultiplexer> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse(Configuration);
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 1;
        options.ConnectTimeout = (int)ReachTimeout.TotalMilliseconds;
        IConnectionMultiplexer? connection = null;
        try
        {
            connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            await connection.GetDatabase(options.DefaultDatabase ?? -1).PingAsync().ConfigureAwait(false);
            return connection;
        }
        catch (RedisConnectionException e) when (e.FailureType == ConnectionFailureType.AuthenticationFailure || RefusedCredentials(e))
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            throw new HostFailureException(
                $"Redis at {Description} refused the credentials for user '{options.User ?? "default"}': check the user and password in --redis.",
                HostFailureException.Misconfigured);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or System.Net.Sockets.SocketException)
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            throw new HostFailureException(
                $"Redis at {Description} did not answer within {ReachTimeout.TotalSeconds:0} s: check the address in --redis and that the server runs.",
                HostFailureException.Failed);
        }
    }

    // StackExchange.Redis reports a refused AUTH as a failed connect; the server's own words are inside.
    private static bool RefusedCredentials(Exception e) =>
        e.ToString() is var text && (text.Contains("WRONGPASS", StringComparison.Ordinal) || text.Contains("NOAUTH", StringComparison.Ordinal));

    /// <summary>
    /// A URL becomes a configuration string; a configuration string is checked for what StackExchange.Redis
    /// would only notice when connecting (no server named, a port that is not a number).
    /// </summary>
    internal static string Normalize(string value, string source)
    {
        value = value.Trim();
        if (value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
            return FromUrl(value, source);

        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Contains('=')) continue;
            if (EndpointProblem(part) is { } problem)
                throw new HostFailureException($"The {source} value names the server '{part}', whose {problem}.", HostFailureException.Misconfigured);
        }
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(value);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or RedisException)
        {
            throw new HostFailureException(
                $"The {source} value is not a valid Redis configuration string: {e.Message}", HostFailureException.Misconfigured);
        }
        if (options.EndPoints.Count == 0)
            throw new HostFailureException(
                $"The {source} value '{value}' names no server: give host:port (or a redis:// URL).", HostFailureException.Misconfigured);
        return value;
    }

    private static string FromUrl(string value, string source)
    {
        // scheme://[user[:password]@]host[:port][/database], read by hand: the user and password are
        // percent-encoded and may hold what a URL parser would take for delimiters.
        var scheme = value[..value.IndexOf("://", StringComparison.Ordinal)];
        var rest = value[(scheme.Length + 3)..];
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "" : rest[(slash + 1)..].TrimEnd('/');
        var at = authority.LastIndexOf('@');
        var userInfo = at < 0 ? "" : authority[..at];
        var hostPort = at < 0 ? authority : authority[(at + 1)..];
        if (EndpointProblem(hostPort) is { } problem)
            throw new HostFailureException($"The {source} URL names the server '{hostPort}', whose {problem}.", HostFailureException.Misconfigured);

        var options = new ConfigurationOptions { Ssl = scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase) };
        options.EndPoints.Add(hostPort.Contains(':') && !hostPort.EndsWith(']') ? hostPort : hostPort + ":6379");
        if (userInfo.Length > 0)
        {
            var colon = userInfo.IndexOf(':');
            // user:password, :password, or a lone word, which (as redis-cli reads it) is the password.
            var user = colon < 0 ? "" : Uri.UnescapeDataString(userInfo[..colon]);
            var password = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[(colon + 1)..]);
            // The URL becomes a configuration string, in which a comma ends a value.
            if (password.Contains(',') || user.Contains(','))
                throw new HostFailureException(
                    $"The {source} URL has a ',' in its user or password, which a Redis configuration string cannot carry: use host:port,user=…,password=… with an ACL user whose password has no comma.",
                    HostFailureException.Misconfigured);
            if (user.Length > 0) options.User = user;
            options.Password = password;
        }
        if (path.Length > 0)
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out var database))
                throw new HostFailureException($"The {source} value '{value}' has '{path}' where the database number goes.", HostFailureException.Misconfigured);
            options.DefaultDatabase = database;
        }
        return options.ToString(includePassword: true);
    }

    private static string? EndpointProblem(string endpoint)
    {
        var host = endpoint;
        string? port = null;
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf(']');
            if (close < 0) return "address has an opening '[' without its ']'";
            host = endpoint[1..close];
            if (close + 1 < endpoint.Length)
            {
                if (endpoint[close + 1] != ':') return "address has something other than :port after ']'";
                port = endpoint[(close + 2)..];
            }
        }
        else if (endpoint.Count(c => c == ':') == 1)
        {
            var colon = endpoint.IndexOf(':');
            host = endpoint[..colon];
            port = endpoint[(colon + 1)..];
        }
        if (host.Length == 0) return "host is empty";
        if (host.Any(char.IsWhiteSpace)) return "host has a space in it";
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535))
            return $"port '{port}' is not a number from 1 to 65535";
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (Embedded is not null) await Embedded.DisposeAsync().ConfigureAwait(false);
    }
}
