using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Lock.Actors.Tests.Infrastructure;

/// <summary>
/// A private <c>redis-server</c> from PATH on a free loopback port, without persistence, that a test
/// can stop, restart (losing its data) and kill for real.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private Process? _process;

    private RedisServerProcess(string executable, int port)
    {
        Executable = executable;
        Port = port;
    }

    public string Executable { get; }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    public bool IsRunning => _process is { HasExited: false };

    public static string? FindExecutable()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }
        foreach (var candidate in new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server" })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    public static async Task<RedisServerProcess> StartAsync(string? extraArguments = null)
    {
        var server = Create(extraArguments);
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>A server on a free port, not started yet.</summary>
    public static RedisServerProcess Create(string? extraArguments = null)
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(
            "No redis-server on PATH. Install it (apt-get install -y redis-server) or set LOCK_TEST_REDIS.");
        return new RedisServerProcess(executable, FreePort()) { ExtraArguments = extraArguments };
    }

    private string? ExtraArguments { get; init; }

    /// <summary>Starts the server again on the same port, with an empty data set.</summary>
    public Task StartAgainAsync() => StartProcessAsync();

    /// <summary>Stops the server (SIGKILL: nothing is saved, clients see the connection drop).</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartProcessAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo(Executable)
        {
            Arguments = $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no --protected-mode yes " +
                        $"--enable-debug-command local {ExtraArguments}",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilAnsweringAsync(process);
    }

    private async Task WaitUntilAnsweringAsync(Process process)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"redis-server exited at start with code {process.ExitCode}.");
            try
            {
                using var probe = await ConnectionMultiplexer.ConnectAsync(
                    $"127.0.0.1:{Port},abortConnect=true,connectTimeout=500,connectRetry=0");
                await probe.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException)
            {
                // Not listening yet; the port answers within milliseconds of the process starting.
                await Task.Delay(20);
            }
        }
        throw new TimeoutException($"redis-server on port {Port} did not answer within 10s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
