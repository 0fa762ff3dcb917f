using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Lock.Host;

/// <summary>
/// A private redis-server from PATH on a free loopback port, with no persistence, owned by this
/// process: stopped (and waited for) on dispose, so nothing is left running behind the host.
/// </summary>
internal sealed class EmbeddedRedis : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private Process? _process;

    private EmbeddedRedis(string executable, int port, string? extraArguments)
    {
        Executable = executable;
        Port = port;
        ExtraArguments = extraArguments;
    }

    public string Executable { get; }

    public int Port { get; }

    public string? ExtraArguments { get; }

    public int? ProcessId => _process?.Id;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The configuration string the lock extension connects with.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false";

    /// <summary>The redis-server on <paramref name="pathVariable"/> (a PATH value), or null.</summary>
    public static string? FindExecutable(string? pathVariable)
    {
        foreach (var directory in (pathVariable ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Starts a server on a free port and returns once it answers PING.</summary>
    public static async Task<EmbeddedRedis> StartAsync(string executable, string? extraArguments = null, CancellationToken cancellationToken = default)
    {
        var redis = Create(executable, extraArguments);
        await redis.StartAgainAsync(cancellationToken).ConfigureAwait(false);
        return redis;
    }

    /// <summary>A server on a reserved free port, not started yet.</summary>
    public static EmbeddedRedis Create(string executable, string? extraArguments = null) =>
        new(executable, FreePort(), extraArguments);

    /// <summary>(Re)starts the server on its port with an empty data set.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(Executable)
        {
            ArgumentList = { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (ExtraArguments ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{Executable} did not start.");
        // Drain the server's output so a full pipe never blocks it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilAnsweringAsync(process, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the server (nothing is saved) and waits until the process is gone.</summary>
    public async Task StopAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null) return;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().ConfigureAwait(false);
        process.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task WaitUntilAnsweringAsync(Process process, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
                throw new InvalidOperationException($"{Executable} exited at start with code {process.ExitCode} (port {Port}).");
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(
                    $"127.0.0.1:{Port},abortConnect=true,connectTimeout=500,connectRetry=0").ConfigureAwait(false);
                await probe.GetDatabase().PingAsync().ConfigureAwait(false);
                return;
            }
            catch (RedisConnectionException)
            {
                // Not listening yet: a fresh redis-server answers within milliseconds.
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
        await StopAsync().ConfigureAwait(false);
        throw new TimeoutException($"{Executable} on port {Port} did not answer within {StartTimeout.TotalSeconds:0}s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
