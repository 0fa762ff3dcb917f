using Lock.Actors.Tests.Infrastructure.Topology;
using Testcontainers.Redis;
using StackExchange.Redis;

namespace Lock.Actors.Tests.Infrastructure;

/// <summary>
/// The Redis the behaviour tests share, found in this order: the LOCK_TEST_REDIS configuration
/// string; a Testcontainers Redis when a Docker engine answers; a redis-server from PATH on a free
/// loopback port. Tests keep apart by key prefix, not by flushing. A Redis the fixture started itself
/// is used by the lock nodes as the least-privilege ACL user README.md documents, so every spec on it
/// proves those rules are enough; <see cref="Admin"/> stays the default user.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "LOCK_TEST_REDIS";

    private RedisContainer? _container;
    private RedisServerProcess? _process;

    public string Configuration { get; private set; } = "";

    /// <summary>
    /// The same Redis as the default user, for a test whose program keeps data of its own there
    /// (the demo's job records) with commands the lock user may not run.
    /// </summary>
    public string UnrestrictedConfiguration { get; private set; } = "";

    /// <summary>Where the Redis came from, for test output.</summary>
    public string Source { get; private set; } = "";

    /// <summary>An admin connection for inspecting keys and injecting faults.</summary>
    public IConnectionMultiplexer Admin { get; private set; } = null!;

    public IDatabase Db => Admin.GetDatabase();

    public IServer Server => Admin.GetServer(Admin.GetEndPoints()[0]);

    public async Task InitializeAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            Configuration = fromEnvironment;
            Source = EnvironmentVariable;
        }
        else if (await TryStartContainerAsync() is { } container)
        {
            _container = container;
            Configuration = container.GetConnectionString() + ",abortConnect=false";
            Source = "Testcontainers";
        }
        else
        {
            _process = await RedisServerProcess.StartAsync();
            Configuration = _process.Configuration;
            Source = "redis-server on port " + _process.Port;
        }
        Admin = await ConnectionMultiplexer.ConnectAsync(AdminConfiguration(Configuration));
        UnrestrictedConfiguration = Configuration;
        if (Source != EnvironmentVariable)
        {
            await Admin.GetDatabase().ExecuteAsync("ACL",
                ["SETUSER", LeastPrivilege.User, "reset", "on", ">" + LeastPrivilege.Password, .. LeastPrivilege.Single, .. LeastPrivilege.Scanner]);
            Configuration = LeastPrivilege.As(Configuration);
        }
    }

    public async Task DisposeAsync()
    {
        if (Admin is not null) await Admin.DisposeAsync();
        if (_container is not null) await _container.DisposeAsync();
        if (_process is not null) await _process.DisposeAsync();
    }

    /// <summary>Every key under a prefix (SCAN, never KEYS).</summary>
    public List<string> KeysUnder(string prefix) =>
        Server.Keys(pattern: prefix + "*", pageSize: 500).Select(k => k.ToString()).ToList();

    public static string AdminConfiguration(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AllowAdmin = true;
        options.AbortOnConnectFail = false;
        return options.ToString();
    }

    // Docker is tried only when an engine is likely to answer (a socket or DOCKER_HOST); a Docker
    // client without an engine, or an engine that cannot pull, falls through to redis-server.
    private static async Task<RedisContainer?> TryStartContainerAsync()
    {
        var hasEngine = File.Exists("/var/run/docker.sock")
                        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST"));
        if (!hasEngine) return null;
        try
        {
            var container = new RedisBuilder("redis:7-alpine").Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await container.StartAsync(timeout.Token);
            return container;
        }
        catch (Exception)
        {
            return null;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}
