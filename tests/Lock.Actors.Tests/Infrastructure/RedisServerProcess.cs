using Lock.Host;

namespace Lock.Actors.Tests.Infrastructure;

/// <summary>
/// A private redis-server from PATH (the host's <see cref="EmbeddedRedis"/>) that a test can stop,
/// restart with its data lost, and slow down with DEBUG SLEEP.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly EmbeddedRedis _server;

    private RedisServerProcess(EmbeddedRedis server)
    {
        _server = server;
    }

    public int Port => _server.Port;

    /// <summary>Short client timeouts, so a stopped or paused server fails a test quickly rather than slowly.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    public bool IsRunning => _server.IsRunning;

    public static async Task<RedisServerProcess> StartAsync()
    {
        var server = Create();
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>A server on a free port, not started yet.</summary>
    public static RedisServerProcess Create()
    {
        var executable = EmbeddedRedis.FindExecutable(Environment.GetEnvironmentVariable("PATH")) ?? throw new InvalidOperationException(
            "No redis-server on PATH. Install it (apt-get install -y redis-server) or set LOCK_TEST_REDIS.");
        return new RedisServerProcess(EmbeddedRedis.Create(executable, "--enable-debug-command local"));
    }

    /// <summary>Starts the server again on the same port, with an empty data set.</summary>
    public Task StartAgainAsync() => _server.StartAgainAsync();

    /// <summary>Stops the server (SIGKILL: nothing is saved, clients see the connection drop).</summary>
    public Task StopAsync() => _server.StopAsync();

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
