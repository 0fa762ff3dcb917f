using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Lock.Host;

/// <summary>
/// A private redis-server from PATH on a free loopback port, with no persistence, owned by this
/// process: stopped (and waited for) on dispose, and ended by its guardian shell if this process dies
/// without disposing it, so nothing is left running behind the host.
/// </summary>
internal sealed class EmbeddedRedis : IAsyncDisposable
{
    // A redis-server answers within milliseconds of its start; one that has not in this long never will.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(5);
    private Process? _process;
    private ServerOutput? _output;

    private EmbeddedRedis(string executable, int port, string? extraArguments)
    {
        Executable = executable;
        Port = port;
        ExtraArguments = extraArguments;
    }

    public string Executable { get; }

    public int Port { get; }

    public string? ExtraArguments { get; }

    /// <summary>The redis-server's own process id (as it reports it), once it answers.</summary>
    public int? ServerProcessId { get; private set; }

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
        // The server runs under a small shell that holds the read end of a pipe from this process: when
        // this process ends, even by SIGKILL, the pipe closes and the shell kills the server, so it is
        // never left behind under PID 1.
        var info = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", Guardian, "lock-actors-redis", Executable },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
            info.ArgumentList.Add(argument);
        foreach (var argument in (ExtraArguments ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new HostFailureException(
            $"redis-server ({Executable}) could not be started.", HostFailureException.Misconfigured);
        _output = new ServerOutput();
        // Drain the server's output so a full pipe never blocks it; the last lines explain a failed start.
        process.OutputDataReceived += (_, line) => _output.Add(line.Data);
        process.ErrorDataReceived += (_, line) => _output.Add(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilAnsweringAsync(process, cancellationToken).ConfigureAwait(false);
    }

    // $1 is the server, the rest its arguments. Standard input (the pipe) is kept on fd 3 for the watcher,
    // which ends the server when the pipe reaches its end; the shell's exit status is the server's.
    private const string Guardian = """
        exec 3<&0
        server="$1"; shift
        "$server" "$@" </dev/null &
        pid=$!
        ( while read -r _ <&3; do :; done; kill -9 "$pid" 2>/dev/null ) &
        watcher=$!
        wait "$pid"
        status=$?
        kill "$watcher" 2>/dev/null
        exit "$status"
        """;

    /// <summary>Kills the server (nothing is saved) and waits until the process is gone.</summary>
    public async Task StopAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null) return;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().ConfigureAwait(false);
        process.Dispose();
        // The server is the shell's child: its SIGKILL lands a moment after the shell's exit is seen.
        if (ServerProcessId is { } server) await ExitedAsync(server).ConfigureAwait(false);
    }

    private static async Task ExitedAsync(int pid)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout && !HasExited(pid)) await Task.Delay(5).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether process <paramref name="pid"/> has exited: gone from /proc, or a zombie nobody has reaped yet
    /// (PID 1 may not reap orphans); either way it serves nothing any more.
    /// </summary>
    internal static bool HasExited(int pid)
    {
        try
        {
            // "pid (comm) S …": the state follows the command's closing parenthesis.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task WaitUntilAnsweringAsync(Process process, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false); // the output is read to its end
                var code = process.ExitCode;
                await StopAsync().ConfigureAwait(false);
                throw new HostFailureException(code == 126 || code == 127
                    ? $"redis-server ({Executable}) could not be run: {_output!.Text("it printed nothing")}"
                    : $"redis-server ({Executable}) exited with code {code} before it answered: {_output!.Text("it printed nothing")}",
                    HostFailureException.Misconfigured);
            }
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(
                    $"127.0.0.1:{Port},abortConnect=true,connectTimeout=500,connectRetry=0,allowAdmin=true").ConfigureAwait(false);
                var server = probe.GetServer(probe.GetEndPoints()[0]);
                await probe.GetDatabase().PingAsync().ConfigureAwait(false);
                ServerProcessId = ReadProcessId(await server.InfoAsync("server").ConfigureAwait(false));
                return;
            }
            catch (RedisConnectionException)
            {
                // Not listening yet: a fresh redis-server answers within milliseconds.
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
        await StopAsync().ConfigureAwait(false);
        throw new HostFailureException(
            $"redis-server ({Executable}) did not answer on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds:0} s, and was stopped: {_output!.Text("it printed nothing")}",
            HostFailureException.Misconfigured);
    }

    private static int? ReadProcessId(IGrouping<string, KeyValuePair<string, string>>[] info) =>
        info.SelectMany(group => group).FirstOrDefault(pair => pair.Key == "process_id") is { Value: { } value } && int.TryParse(value, out var pid)
            ? pid
            : null;

    /// <summary>The server's last lines of output, for the sentence that says why it did not start.</summary>
    private sealed class ServerOutput
    {
        private const int Keep = 5;
        private readonly Queue<string> _lines = new();

        public void Add(string? line)
        {
            if (string.IsNullOrWhiteSpace(line)) return;
            lock (_lines)
            {
                _lines.Enqueue(line.Trim());
                if (_lines.Count > Keep) _lines.Dequeue();
            }
        }

        public string Text(string whenEmpty)
        {
            lock (_lines) return _lines.Count == 0 ? whenEmpty + "." : string.Join(" / ", _lines);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
