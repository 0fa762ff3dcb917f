using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lock.Host;

namespace Lock.Actors.Tests.Infrastructure.Topology;

/// <summary>
/// One redis-server process of a test topology (a data node or, with <c>--sentinel</c>, a sentinel),
/// on a reserved loopback port, started with the arguments its topology gives. Killed with SIGKILL,
/// so nothing it holds is saved or handed over: the fault a crashed machine makes.
/// </summary>
public sealed class TopologyNode : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private readonly IReadOnlyList<string> _arguments;
    private readonly Func<int, Task<bool>> _answers;
    private Process? _process;

    private TopologyNode(int port, IReadOnlyList<string> arguments, Func<int, Task<bool>>? answers)
    {
        Port = port;
        _arguments = arguments;
        _answers = answers ?? AnswersPingAsync;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts redis-server with <paramref name="arguments"/> (built for the given port) and waits until it answers PING.</summary>
    /// <param name="answers">Whether the server answers yet (default: a plain-text PING; a TLS-only server needs its own).</param>
    public static async Task<TopologyNode> StartAsync(int port, IReadOnlyList<string> arguments, Func<int, Task<bool>>? answers = null)
    {
        var node = new TopologyNode(port, arguments, answers);
        await node.StartAgainAsync();
        return node;
    }

    public static string Executable => EmbeddedRedis.FindExecutable(Environment.GetEnvironmentVariable("PATH"))
        ?? throw new InvalidOperationException("No redis-server on PATH. Install it (apt-get install -y redis-server).");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in _arguments) info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var clock = Stopwatch.StartNew();
        while (!await _answers(Port))
        {
            if (process.HasExited)
                lock (output) throw new InvalidOperationException($"redis-server on port {Port} exited at start: {output}");
            if (clock.Elapsed > StartTimeout)
                throw new TimeoutException($"redis-server on port {Port} did not answer within {StartTimeout.TotalSeconds:0}s.");
            await Task.Delay(20);
        }
    }

    /// <summary>SIGKILL, and wait until the process is gone.</summary>
    public async Task KillAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null) return;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public ValueTask DisposeAsync() => new(KillAsync());

    private static async Task<bool> AnswersPingAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
