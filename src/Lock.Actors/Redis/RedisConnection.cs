using System.Security.Authentication;
using Akka.Configuration;
using Akka.Event;
using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>
/// The node's one Redis connection: the application's (borrowed, never disposed here) or one opened
/// from <c>lock.redis.configuration</c> in the background, so that starting the extension never waits
/// on the network. Configuration problems Redis reports (credentials or a TLS certificate refused, an
/// ACL that denies a command the client needs) are kept as <see cref="Problem"/>: logged once as an
/// error, named by the health check and by every acquire they fail.
/// </summary>
internal sealed class RedisConnection
{
    private readonly ILoggingAdapter _log;
    private readonly string _endpoints;
    private readonly string? _user;
    // Found on connecting (cleared when a connection comes back), and found by a check afterwards.
    private string? _connectionProblem;
    private string? _checkProblem;

    private RedisConnection(Task<IConnectionMultiplexer> ready, bool owned, TimeSpan callTimeout, string endpoints, string? user, ILoggingAdapter log)
    {
        Ready = ready;
        Owned = owned;
        CallTimeout = callTimeout;
        _endpoints = endpoints;
        _user = user;
        _log = log;
        _ = WatchAsync();
    }

    /// <summary>Completes with the multiplexer once the first connect attempt has ended (connected or not).</summary>
    public Task<IConnectionMultiplexer> Ready { get; }

    /// <summary>Whether the library opened the connection, and so disposes it.</summary>
    public bool Owned { get; }

    /// <summary>How long a call may stay unanswered before the client fails it by itself.</summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>A configuration problem Redis reported, in one sentence naming the setting; null while there is none.</summary>
    public string? Problem => Volatile.Read(ref _connectionProblem) ?? Volatile.Read(ref _checkProblem);

    /// <summary>Takes the application's multiplexer as it is.</summary>
    public static RedisConnection Borrow(IConnectionMultiplexer connection, ILoggingAdapter log)
    {
        var options = TryParse(connection.Configuration);
        return new RedisConnection(Task.FromResult(connection), owned: false, CallTimeoutOf(options),
            EndpointsOf(options), options?.User, log);
    }

    /// <summary>Starts connecting as <c>lock.redis</c> says (configuration string and TLS files); returns at once.</summary>
    public static RedisConnection Open(LockSettings settings, ILoggingAdapter log)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(settings.RedisConfiguration);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new ConfigurationException($"Invalid setting '{LockSettings.ConfigPath}.redis.configuration': {e.Message}", e);
        }
        // TLS from settings, so a private CA or a client certificate needs no code.
        if (settings.TlsCaCertificate is { } ca)
        {
            options.Ssl = true;
            options.TrustIssuer(ca);
        }
        if (settings.TlsClientCertificate is { } certificate) options.SetUserPemCertificate(certificate, settings.TlsClientKey);
        return Open(options, log);
    }

    /// <summary>Starts connecting from <paramref name="options"/>; returns at once.</summary>
    public static RedisConnection Open(ConfigurationOptions options, ILoggingAdapter log)
    {
        // A node may start before Redis does: connect in the background.
        options.AbortOnConnectFail = false;
        // A lock caller has its own timeout; queueing commands while Redis is down would only hide the outage.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        // After an outage, come back within a fraction of a lock's TTL rather than on a backoff that
        // grows to many seconds: waiters are answering Unavailable all that time.
        options.ReconnectRetryPolicy ??= new LinearRetry(250);
        options.ClientName ??= "lock-actors";
        // One first attempt: the connection keeps retrying in the background anyway, and a problem
        // Redis reports (TLS, credentials) is named only once the first attempt has ended.
        options.ConnectRetry = 1;
        var ready = Task.Run(async () => (IConnectionMultiplexer)await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false));
        return new RedisConnection(ready, owned: true, CallTimeoutOf(options), EndpointsOf(options), options.User, log);
    }

    /// <summary>A problem found by a check after connecting (WAIT refused, SELECT denied): acquires are refused with it.</summary>
    public string? CheckProblem => Volatile.Read(ref _checkProblem);

    /// <summary>
    /// Looks at a failed call: when Redis named a configuration problem in it, records the problem and
    /// returns it (the caller fails with that sentence instead); otherwise null.
    /// </summary>
    public string? Observe(Exception error)
    {
        Classify(error, error is RedisConnectionException connection ? connection.FailureType : ConnectionFailureType.None);
        return Volatile.Read(ref _connectionProblem);
    }

    /// <summary>A call went through: whatever stopped the connection before has been fixed.</summary>
    public void Succeeded()
    {
        if (Volatile.Read(ref _connectionProblem) is not null) ClearConnectionProblem();
    }

    /// <summary>Records a problem found by a check after connecting (WAIT refused, SELECT denied).</summary>
    public void ReportProblem(string problem)
    {
        if (Interlocked.CompareExchange(ref _checkProblem, problem, null) is null)
            _log.Error("Redis configuration problem: {Problem}", problem);
    }

    /// <summary>The multiplexer once the first connect attempt ended, or a failure naming why not within <paramref name="within"/>.</summary>
    public async Task<IConnectionMultiplexer> ConnectedAsync(TimeSpan within)
    {
        if (Ready.IsCompletedSuccessfully) return Ready.Result;
        try
        {
            return within == Timeout.InfiniteTimeSpan ? await Ready.ConfigureAwait(false) : await Ready.WaitAsync(within).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                Problem ?? $"Redis ({_endpoints}) is not connected yet.");
        }
    }

    // Problems show up as failed connection attempts: watch them from the first one on.
    private async Task WatchAsync()
    {
        IConnectionMultiplexer connection;
        try
        {
            connection = await Ready.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Classify(e, ConnectionFailureType.UnableToConnect);
            return;
        }
        connection.ConnectionFailed += (_, failed) =>
        {
            if (failed.Exception is { } error) Classify(error, failed.FailureType);
        };
        // A failure before the handler was attached shows again on the next reconnect attempt.
        connection.ConnectionRestored += (_, _) => ClearConnectionProblem();
    }

    private void Classify(Exception error, ConnectionFailureType type)
    {
        var text = Describe(error);
        if (FindInner<AuthenticationException>(error) is { } tls)
            ReportConnectionProblem(
                $"Redis ({_endpoints}) refused the TLS handshake ({tls.Message}): check lock.redis.tls.ca-certificate and " +
                "lock.redis.tls.client-certificate, or the ssl options in lock.redis.configuration.");
        else if (type == ConnectionFailureType.AuthenticationFailure || text.Contains("WRONGPASS", StringComparison.Ordinal)
                 || text.Contains("NOAUTH", StringComparison.Ordinal))
            ReportConnectionProblem(
                $"Redis ({_endpoints}) refused the credentials{(_user is { Length: > 0 } user ? $" for user '{user}'" : "")} in " +
                $"'{LockSettings.ConfigPath}.redis.configuration': check the user and password.");
        else if (text.Contains("NOPERM", StringComparison.Ordinal))
            ReportConnectionProblem(
                $"Redis ({_endpoints}) denied the user{(_user is { Length: > 0 } user2 ? $" '{user2}'" : "")} a command the client needs " +
                $"({FirstLine(text)}): grant it as README.md's least-privilege ACL lines show.");
    }

    private void ReportConnectionProblem(string problem)
    {
        var before = Interlocked.Exchange(ref _connectionProblem, problem);
        if (before != problem) _log.Error("Redis configuration problem: {Problem}", problem);
    }

    // A connection that came back means its problem was fixed (a password changed, an ACL granted).
    private void ClearConnectionProblem() => Interlocked.Exchange(ref _connectionProblem, null);

    private static T? FindInner<T>(Exception? error) where T : Exception
    {
        for (var current = error; current is not null; current = current.InnerException)
            if (current is T found) return found;
        return null;
    }

    private static string Describe(Exception error)
    {
        var parts = new List<string>();
        for (var current = error; current is not null; current = current.InnerException) parts.Add(current.Message);
        return string.Join(" | ", parts);
    }

    private static string FirstLine(string text)
    {
        var start = text.IndexOf("NOPERM", StringComparison.Ordinal);
        var rest = text[start..];
        var end = rest.IndexOfAny(['|', '\n', ';']);
        return (end < 0 ? rest : rest[..end]).Trim();
    }

    private static ConfigurationOptions? TryParse(string configuration)
    {
        try
        {
            return ConfigurationOptions.Parse(configuration);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return null;
        }
    }

    // The client's async timeout, plus the one-second heartbeat on which it notices an expired call.
    private static TimeSpan CallTimeoutOf(ConfigurationOptions? options) =>
        options is null ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(options.AsyncTimeout) + TimeSpan.FromSeconds(1);

    private static string EndpointsOf(ConfigurationOptions? options) =>
        options is null ? "the application's connection" : string.Join(", ", options.EndPoints);
}
