using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Lock.Host;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.LockHost;

/// <summary>
/// The command line as an operator meets it: every bad value and every broken redis-server is one
/// sentence and exit code 2, an unreachable Redis a prompt failure in our words, redis:// URLs, the
/// maintenance commands, and no redis-server left behind, even after SIGKILL.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class CliSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lock-cli-").FullName;

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => HostCli.RunAsync(Output, args);

    private static void OneSentence(string error)
    {
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
    }

    [Theory]
    [InlineData("127.0.0.1:notaport", "port 'notaport' is not a number")]
    [InlineData(",,,", "names no server")]
    [InlineData("my host:6379", "host has a space")]
    [InlineData("redis://127.0.0.1:6379/zero", "where the database number goes")]
    public async Task A_bad_redis_value_is_one_sentence_and_exit_2_on_every_command(string value, string says)
    {
        foreach (var command in new[] { "demo", "serve", "locks", "hold" })
        {
            string[] args = command == "hold" ? [command, "k", "--redis", value] : [command, "--redis", value];
            var (exitCode, stdout, error) = await RunAsync(args);
            Assert.Equal(2, exitCode);
            Assert.Contains(says, error);
            OneSentence(error);
            Assert.Empty(stdout);
        }
    }

    [Fact]
    public async Task A_node_name_with_a_space_is_refused_before_anything_starts()
    {
        var (exitCode, _, error) = await RunAsync("serve", "--name", "my node", "--redis", Redis.Configuration);
        Assert.Equal(2, exitCode);
        Assert.Contains("--name 'my node' is not a valid node name", error);
        OneSentence(error);
    }

    [Fact]
    public async Task A_redis_server_that_exits_is_reported_with_its_own_words()
    {
        var server = FakeServer("exits", "echo '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***' >&2\necho 'Bad directive or wrong number of arguments' >&2\nexit 1");
        var (exitCode, _, error) = await RunAsync("demo", "--redis-server", server, "--days", "1");
        Assert.Equal(2, exitCode);
        Assert.Contains($"redis-server ({server}) exited with code 1 before it answered", error);
        Assert.Contains("Bad directive or wrong number of arguments", error);
        OneSentence(error);
    }

    [Fact]
    public async Task A_redis_server_that_hangs_is_stopped_and_reported()
    {
        var pidFile = Path.Combine(_directory, "hang.pid");
        var server = FakeServer("hangs", $"echo $$ > '{pidFile}'\necho 'Starting up'\nexec sleep 120");
        var clock = Stopwatch.StartNew();
        var (exitCode, _, error) = await RunAsync("serve", "--redis-server", server);
        Assert.Equal(2, exitCode);
        Assert.Contains("did not answer on 127.0.0.1:", error);
        Assert.Contains("within 5 s, and was stopped: Starting up", error);
        OneSentence(error);
        // Bounded by the start timeout, not by the server.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.True(await Processes.GoneAsync(int.Parse(File.ReadAllText(pidFile).Trim()), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_redis_server_that_is_not_executable_is_reported()
    {
        var server = FakeServer("not-executable", "exit 0", executable: false);
        var (exitCode, _, error) = await RunAsync("demo", "--redis-server", server, "--days", "1");
        Assert.Equal(2, exitCode);
        Assert.Contains($"redis-server ({server}) could not be run", error);
        Assert.Contains("Permission denied", error);
        OneSentence(error);
    }

    [Fact]
    public async Task A_Redis_that_never_answers_fails_within_the_reach_timeout_in_our_words()
    {
        // Accepts connections and says nothing: the client waits for the whole connect timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var clock = Stopwatch.StartNew();
        var (exitCode, _, error) = await RunAsync("serve", "--redis", $"127.0.0.1:{port}");
        Assert.Equal(1, exitCode);
        Assert.Contains($"Redis at 127.0.0.1:{port} did not answer within 3 s", error);
        Assert.DoesNotContain("abortConnect", error);
        OneSentence(error);
        Assert.True(clock.Elapsed < RedisEndpoint.ReachTimeout * 3, $"took {clock.Elapsed}");

        var refused = await RunAsync("locks", "--redis", "127.0.0.1:1");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Redis at 127.0.0.1:1 did not answer", refused.Error);
        OneSentence(refused.Error);
    }

    [Fact]
    public async Task A_redis_URL_names_the_server_user_password_and_database()
    {
        var options = ConfigurationOptions.Parse(Redis.Configuration);
        var endpoint = (IPEndPoint)Redis.Admin.GetEndPoints().OfType<IPEndPoint>().First();
        var user = options.User is { } u ? Uri.EscapeDataString(u) + ":" : ":";
        var credentials = options.Password is { } p ? user + Uri.EscapeDataString(p) + "@" : "";
        var url = $"redis://{credentials}127.0.0.1:{endpoint.Port}/0";

        var held = await Manager.Ask<LockAcquired>(new Acquire("url:held", TimeSpan.FromMinutes(1)), RemainingOrDefault);
        var (exitCode, stdout, _) = await RunAsync("locks", "--redis", url, "--prefix", Prefix);
        Assert.Equal(0, exitCode);
        var line = Assert.Single(stdout.Split('\n'), l => l.StartsWith("url:held"));
        Assert.Contains("exclusive", line);
        Assert.EndsWith(held.FencingToken.ToString(), line.TrimEnd());
    }

    [Fact]
    public async Task Hold_keeps_a_lock_past_its_ttl_until_stopped_and_then_releases_it()
    {
        using var stop = new CancellationTokenSource();
        var stdout = new SignallingWriter("Holding 'maintenance:db'");
        var hold = LockHostCli.RunAsync(
            ["hold", "maintenance:db", "--ttl", "1s", "--redis", Redis.Configuration, "--prefix", Prefix], stdout, new StringWriter(), stop.Token);
        await stdout.Seen.WaitAsync(TimeSpan.FromSeconds(20));

        // Held, and still held after three TTLs: the watchdog keeps it.
        var first = await Locks.Service.GetStatusAsync("maintenance:db");
        Assert.True(first.Locked);
        Assert.Null(await Locks.Service.TryAcquireAsync("maintenance:db", timeout: TimeSpan.FromSeconds(3)));
        Assert.True((await Locks.Service.GetStatusAsync("maintenance:db")).Locked);

        stop.Cancel();
        Assert.Equal(0, await hold.WaitAsync(TimeSpan.FromSeconds(20)));
        Output.WriteLine(stdout.ToString());
        Assert.Contains("Released 'maintenance:db'.", stdout.ToString());
        Assert.Contains("lock-actors release 'maintenance:db' --token ", stdout.ToString());
        Assert.False((await Locks.Service.GetStatusAsync("maintenance:db")).Locked);
    }

    [Fact]
    public async Task Release_gives_back_a_lock_held_by_that_token_only()
    {
        var held = await Manager.Ask<LockAcquired>(new Acquire("maintenance:cache", TimeSpan.FromMinutes(1)), RemainingOrDefault);

        var wrong = await RunAsync("release", "maintenance:cache", "--token", "not-the-token", "--redis", Redis.Configuration, "--prefix", Prefix);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("is not held by that token", wrong.Output);
        Assert.True((await Locks.Service.GetStatusAsync("maintenance:cache")).Locked);

        var right = await RunAsync("release", "maintenance:cache", "--token", held.Token, "--redis", Redis.Configuration, "--prefix", Prefix);
        Assert.Equal(0, right.ExitCode);
        Assert.Contains("Released 'maintenance:cache'.", right.Output);
        Assert.False((await Locks.Service.GetStatusAsync("maintenance:cache")).Locked);

        var withoutRedis = await RunAsync("release", "maintenance:cache", "--token", held.Token);
        Assert.Equal(2, withoutRedis.ExitCode);
        Assert.Contains("name it with --redis", withoutRedis.Error);
    }

    [Fact]
    public async Task The_demo_prints_nothing_in_Akkas_format_after_its_verdict()
    {
        // A process of its own: Akka's fallback printing goes to the real standard output.
        var info = new ProcessStartInfo(Processes.Dotnet)
        {
            ArgumentList = { typeof(LockHostCli).Assembly.Location, "demo", "--days", "2", "--redis", Redis.UnrestrictedConfiguration, "--prefix", Prefix },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var demo = Process.Start(info)!;
        var stderr = demo.StandardError.ReadToEndAsync();
        var stdout = await demo.StandardOutput.ReadToEndAsync();
        await demo.WaitForExitAsync();
        Output.WriteLine(stdout + await stderr);

        Assert.Equal(0, demo.ExitCode);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var verdict = Array.FindIndex(lines, l => l.StartsWith("Exactly once:"));
        Assert.True(verdict >= 0, "no verdict");
        Assert.DoesNotContain(lines.Skip(verdict + 1), l => l.StartsWith("[INFO]") || l.StartsWith("[DEBUG]") || l.StartsWith("[WARNING]"));
        Assert.DoesNotContain("[INFO][", stdout + await stderr);
    }

    [Fact]
    public async Task The_embedded_redis_server_ends_when_the_host_is_killed_with_SIGKILL()
    {
        var hostDll = typeof(LockHostCli).Assembly.Location;
        var info = new ProcessStartInfo(Processes.Dotnet)
        {
            ArgumentList = { hostDll, "serve", "--name", "killed-node" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var host = Process.Start(info)!;
        var serving = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.Contains("serving on embedded redis-server on ")) serving.TrySetResult(line);
        };
        host.ErrorDataReceived += (_, _) => { };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        var line = await serving.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var port = int.Parse(line.Split("127.0.0.1:")[1].Split(';')[0]);
        int serverPid;
        await using (var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true"))
        {
            var info2 = await admin.GetServer(admin.GetEndPoints()[0]).InfoAsync("server");
            serverPid = int.Parse(info2.SelectMany(g => g).First(p => p.Key == "process_id").Value);
        }

        host.Kill(entireProcessTree: false); // SIGKILL of the host alone: nothing of it runs to clean up
        await host.WaitForExitAsync();

        Assert.True(await Processes.GoneAsync(serverPid, TimeSpan.FromSeconds(10)), $"redis-server {serverPid} outlived the host");
    }

    public override async Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        await base.DisposeAsync();
    }

    private string FakeServer(string name, string script, bool executable = true)
    {
        var path = Path.Combine(_directory, name, "redis-server");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n" + script + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, executable
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>Output that signals when a line containing <paramref name="text"/> is written.</summary>
    private sealed class SignallingWriter(string text) : StringWriter
    {
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Seen => _seen.Task;

        public override Task WriteLineAsync(string? value)
        {
            lock (this) base.WriteLine(value);
            if (value?.Contains(text) == true) _seen.TrySetResult();
            return Task.CompletedTask;
        }

        public override string ToString()
        {
            lock (this) return base.ToString();
        }
    }
}

/// <summary>How a redis:// or rediss:// URL becomes a configuration string (no Redis needed).</summary>
[Trait("Category", "Unit")]
public sealed class RedisUrlSpec
{
    [Fact]
    public void A_rediss_URL_turns_TLS_on_and_unescapes_its_credentials()
    {
        var configuration = ConfigurationOptions.Parse(RedisEndpoint.Normalize("rediss://ops:p%40ss:w%2Fd@cache.example:6380/3", "--redis"));
        Assert.True(configuration.Ssl);
        Assert.Equal("ops", configuration.User);
        Assert.Equal("p@ss:w/d", configuration.Password);
        Assert.Equal(3, configuration.DefaultDatabase);
        Assert.Equal("cache.example:6380", Assert.Single(configuration.EndPoints).ToString()!.Replace("Unspecified/", ""));

        var passwordOnly = ConfigurationOptions.Parse(RedisEndpoint.Normalize("redis://:secret@localhost", "--redis"));
        Assert.False(passwordOnly.Ssl);
        Assert.Null(passwordOnly.User);
        Assert.Equal("secret", passwordOnly.Password);
        Assert.Equal("localhost:6379", Assert.Single(passwordOnly.EndPoints).ToString()!.Replace("Unspecified/", ""));

        var comma = Assert.Throws<HostFailureException>(() => RedisEndpoint.Normalize("redis://:a%2Cb@localhost", "--redis"));
        Assert.Equal(HostFailureException.Misconfigured, comma.ExitCode);
        Assert.Contains("','", comma.Message);
    }
}
