using Lock.Actors.Tests.Infrastructure.Topology;
using Lock.Actors.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Lock.Actors.Tests.Infrastructure;
using Lock.Host;
using StackExchange.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Redis;

/// <summary>A Redis that lets in only an ACL user with a password, as a production Redis would.</summary>
[Collection(AloneCollection.Name)]
public sealed class AuthenticationSpec : IAsyncLifetime
{
    private const string Password = "s3cret-Pa55word";
    private readonly RedisServerProcess _server = RedisServerProcess.Create();

    public async Task InitializeAsync()
    {
        await _server.StartAgainAsync();
        await using var admin = await ConnectionMultiplexer.ConnectAsync(_server.Configuration);
        var db = admin.GetDatabase();
        await db.ExecuteAsync("ACL", "SETUSER", "lockuser", "on", ">" + Password, "~*", "&*", "+@all");
        await db.ExecuteAsync("ACL", "SETUSER", "default", "off");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Configuration(string password) => $"127.0.0.1:{_server.Port},user=lockuser,password={password},connectTimeout=1500";

    [Fact]
    public async Task The_right_user_and_password_in_the_configuration_string_work_and_never_reach_the_logs()
    {
        var system = ActorSystem.Create("acl", LockSpec.NodeConfig(Configuration(Password), LockSpec.NewPrefix(), "akka.loglevel = DEBUG"));
        var logs = new List<string>();
        var listener = system.ActorOf(Props.Create(() => new LogCollector(logs)));
        system.EventStream.Subscribe(listener, typeof(LogEvent));
        try
        {
            var locks = DistributedLocks.Get(system);
            await using (var handle = await locks.Service.AcquireAsync("secured", TimeSpan.FromSeconds(5)))
            {
                Assert.True(await locks.Service.IsLockedAsync("secured"));
                Assert.True(await locks.Service.ExtendAsync("secured", handle.Token));
                var reply = await locks.Manager.Ask<object>(new Acquire("secured", Timeout: TimeSpan.Zero));
                Assert.Equal(AcquireFailure.Timeout, Assert.IsType<LockNotAcquired>(reply).Reason);
            }
        }
        finally
        {
            await system.Terminate();
        }
        lock (logs)
        {
            Assert.NotEmpty(logs);
            Assert.DoesNotContain(logs, line => line.Contains(Password));
        }
    }

    [Fact]
    public async Task A_wrong_password_never_blocks_start_up_and_is_named_by_every_acquire_and_the_extension()
    {
        var system = ActorSystem.Create("acl-wrong", LockSpec.NodeConfig(Configuration("wrong"), LockSpec.NewPrefix()));
        try
        {
            // Start-up does not wait on the network: the connection is made in the background.
            var clock = Stopwatch.StartNew();
            var locks = DistributedLocks.Get(system);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"start-up took {clock.Elapsed}");

            // An acquire waits within its own timeout, then names the problem Redis reported.
            var reply = await locks.Manager.Ask<object>(new Acquire("secured", Timeout: TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(10));
            var failed = Assert.IsType<LockNotAcquired>(reply);
            Assert.Equal(AcquireFailure.Unavailable, failed.Reason);
            Assert.Contains("refused the credentials for user 'lockuser'", failed.Message);
            Assert.Contains("lock.redis.configuration", failed.Message);
            Assert.Contains("refused the credentials", locks.ConfigurationProblem);
            Assert.DoesNotContain("wrong", failed.Message.Replace("wrong password", ""));

            // The health check says the same.
            var health = await new DistributedLocksHealthCheck(system).CheckHealthAsync(new HealthCheckContext());
            Assert.Equal(HealthStatus.Unhealthy, health.Status);
            Assert.Contains("refused the credentials for user 'lockuser'", health.Description);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Theory]
    [InlineData("-echo", "echo")]
    [InlineData("-select", "select")]
    public async Task An_ACL_that_denies_a_command_the_client_needs_is_named_not_worked_around(string denied, string command)
    {
        await using (var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_server.Port},user=lockuser,password={Password}"))
            await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "lockuser", denied);
        // Database 1: SELECT is needed, and a denied one must not quietly land the keys in database 0.
        var system = ActorSystem.Create("acl-denied", LockSpec.NodeConfig(Configuration(Password), LockSpec.NewPrefix(), "lock.redis.database = 1"));
        try
        {
            var locks = DistributedLocks.Get(system);
            var reply = await locks.Manager.Ask<object>(new Acquire("denied", Timeout: TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(10));
            var failed = Assert.IsType<LockNotAcquired>(reply);
            Assert.Equal(AcquireFailure.Unavailable, failed.Reason);
            Assert.Contains(command, failed.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(command, locks.ConfigurationProblem, StringComparison.OrdinalIgnoreCase);
            // Nothing landed in database 0 instead (redis-cli sends no ECHO).
            Assert.Equal("0", await RedisCli.RunAsync("-p", _server.Port.ToString(), "--user", "lockuser", "--pass", Password, "--no-auth-warning", "DBSIZE"));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task The_host_says_so_in_one_sentence_and_exits_non_zero()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await LockHostCli.RunAsync(["locks", "--redis", Configuration("wrong")], stdout, stderr);
        Assert.Equal(2, exit);
        Assert.Contains("refused the credentials for user 'lockuser'", stderr.ToString());
        stderr.GetStringBuilder().Clear();

        exit = await LockHostCli.RunAsync(["demo", "--days", "1", "--nodes", "1", "--redis", Configuration("wrong")], stdout, stderr);
        Assert.Equal(2, exit);
        Assert.Contains("refused the credentials for user 'lockuser'", stderr.ToString());
        Assert.DoesNotContain("password=wrong", stdout + stderr.ToString());
    }

    private sealed class LogCollector : ReceiveActor
    {
        public LogCollector(List<string> logs) => Receive<LogEvent>(e => { lock (logs) logs.Add(e.ToString()!); });
    }
}
