using System.Diagnostics;
using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Lock.Host;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.LockHost;

/// <summary>The runnable host, driven through its real command line, in-process, with its output captured.</summary>
[Collection(AloneCollection.Name)]
public sealed class LockHostSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => HostCli.RunAsync(Output, args);

    [Fact]
    public async Task The_demo_runs_each_days_job_exactly_once_across_nodes_and_workers()
    {
        var (exitCode, stdout, _) = await RunAsync(
            "demo", "--redis", Redis.UnrestrictedConfiguration, "--prefix", Prefix, "--nodes", "2", "--workers", "3", "--days", "3");

        Assert.Equal(0, exitCode);
        Assert.Contains("3 days, 3 runs, 0 duplicates", stdout);
        var rows = stdout.Split('\n').Where(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^\s+\d+\s+node-")).ToList();
        Assert.Equal(3, rows.Count);
        // Each day five others found the job done (or waited their turn) and did not run it.
        Assert.All(rows, row => Assert.Contains("     5  ", row));
        // The demo cleans up after itself: no lock left under the prefix.
        Assert.Empty(Redis.KeysUnder(Prefix + "{"));
    }

    [Fact]
    public async Task Locks_lists_a_key_that_is_held_with_its_mode_remaining_ttl_and_fencing_token()
    {
        Manager.Tell(new Acquire("reports:monthly close", Ttl: TimeSpan.FromMinutes(2)));
        var held = await ExpectMsgAsync<LockAcquired>();

        var (exitCode, stdout, _) = await RunAsync("locks", "--redis", Redis.Configuration, "--prefix", Prefix);

        Assert.Equal(0, exitCode);
        var line = Assert.Single(stdout.Split('\n'), l => l.StartsWith("reports:monthly close"));
        var columns = line["reports:monthly close".Length..].Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("exclusive", columns[0]);
        var seconds = double.Parse(columns[1].Replace(" s", ""), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 100, 120);
        Assert.Equal(held.FencingToken, long.Parse(columns[2]));
        Assert.Contains("1 lock(s)", stdout);
    }

    [Fact]
    public async Task Locks_lists_a_key_held_by_readers_as_shared()
    {
        Manager.Tell(new Acquire("catalog", Ttl: TimeSpan.FromMinutes(2), Mode: LockMode.Shared));
        await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Acquire("catalog", Ttl: TimeSpan.FromMinutes(1), Mode: LockMode.Shared));
        var last = await ExpectMsgAsync<LockAcquired>();

        var (exitCode, stdout, _) = await RunAsync("locks", "--redis", Redis.Configuration, "--prefix", Prefix);

        Assert.Equal(0, exitCode);
        var line = Assert.Single(stdout.Split('\n'), l => l.StartsWith("catalog "));
        var columns = line["catalog".Length..].Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("shared", columns[0]);
        // The TTL of the longest share; the key's latest fencing token.
        Assert.InRange(double.Parse(columns[1].Replace(" s", ""), System.Globalization.CultureInfo.InvariantCulture), 100, 120);
        Assert.Equal(last.FencingToken, long.Parse(columns[2]));
    }

    [Fact]
    public async Task A_bad_redis_value_gives_one_clear_sentence_and_a_non_zero_exit()
    {
        var malformed = await RunAsync("locks", "--redis", "bogus-option=1");
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("--redis value is not a valid Redis configuration string", malformed.Error);

        var unreachable = await RunAsync("demo", "--redis", "127.0.0.1:1,connectTimeout=500", "--days", "1", "--nodes", "1");
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("Redis at 127.0.0.1:1", unreachable.Error);
        Assert.Contains("did not answer within 3 s", unreachable.Error);
    }

    [Fact]
    public async Task Locks_without_a_Redis_says_it_needs_one_and_stress_is_not_listed()
    {
        Assert.Null(Environment.GetEnvironmentVariable(RedisEndpoint.EnvironmentVariable));
        var locks = await RunAsync("locks");
        Assert.Equal(2, locks.ExitCode);
        Assert.Contains("name it with --redis", locks.Error);
        Assert.Empty(locks.Output);

        var help = await RunAsync("--help");
        Assert.Contains("serve", help.Output);
        Assert.DoesNotContain("stress", help.Output);
    }

    [Fact]
    public async Task Every_command_has_help()
    {
        foreach (var command in new[] { Array.Empty<string>(), ["demo"], ["locks"], ["serve"], ["hold"], ["release"] })
        {
            var (exitCode, stdout, _) = await RunAsync([.. command, "--help"]);
            Assert.Equal(0, exitCode);
            Assert.Contains("Usage:", stdout);
            Assert.Contains("--redis", stdout);
        }
    }
}

public sealed class EmbeddedRedisSpec
{
    [Fact]
    public async Task The_embedded_redis_server_is_started_when_no_Redis_is_named_and_leaves_no_process_behind()
    {
        var endpoint = await RedisEndpoint.ResolveAsync(null, null, Environment.GetEnvironmentVariable("PATH"), CancellationToken.None);
        var embedded = Assert.IsType<EmbeddedRedis>(endpoint.Embedded);
        var pid = embedded.ServerProcessId!.Value;
        using (var process = Process.GetProcessById(pid)) Assert.Contains("redis-server", process.ProcessName);
        await using (var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(endpoint.Configuration))
            Assert.True(await connection.GetDatabase().PingAsync() >= TimeSpan.Zero);

        await endpoint.DisposeAsync();

        Assert.False(embedded.IsRunning);
        Assert.True(Processes.IsGone(pid), $"redis-server {pid} still runs");
    }

    [Fact]
    public async Task Without_a_Redis_and_without_redis_server_on_PATH_the_host_says_how_to_get_one()
    {
        var error = await Assert.ThrowsAsync<HostFailureException>(() =>
            RedisEndpoint.ResolveAsync(null, null, "/nonexistent-dir", CancellationToken.None));
        Assert.Equal(HostFailureException.Misconfigured, error.ExitCode);
        Assert.Contains("apt-get install -y redis-server", error.Message);
        Assert.Contains("--redis", error.Message);
    }

    [Fact]
    public async Task The_option_wins_over_the_environment_and_neither_starts_a_server()
    {
        await using var endpoint = await RedisEndpoint.ResolveAsync("redis-a.invalid:7000", "redis-b.invalid:7000", "/nonexistent-dir", CancellationToken.None);
        Assert.Equal("redis-a.invalid:7000", endpoint.Configuration);
        Assert.Null(endpoint.Embedded);
    }
}
