using Akka.Configuration;

namespace Lock.Actors.Tests.Settings;

[Trait("Category", "Unit")]
public sealed class LockSettingsSpec
{
    private static LockSettings Read(string overrides) =>
        LockSettings.Create(ConfigurationFactory.ParseString(overrides)
            .WithFallback(DistributedLocks.DefaultConfig())
            .GetConfig(LockSettings.ConfigPath));

    [Fact]
    public void The_embedded_reference_configuration_is_the_file_in_hocon()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lock.Actors.sln"))) root = Path.GetDirectoryName(root)!;
        var onDisk = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(root, "hocon", "reference.conf")));
        Assert.Equal(onDisk.ToString(), DistributedLocks.DefaultConfig().ToString());
    }

    [Fact]
    public void Defaults_are_those_of_the_original_service()
    {
        var settings = Read("");
        Assert.Equal("lock:", settings.KeyPrefix);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.DefaultTtl);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.DefaultTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), settings.RetryInterval);
        Assert.Equal(512, settings.MaxKeyLength);
        Assert.Equal("127.0.0.1:6379", settings.RedisConfiguration);
        Assert.Equal(0, settings.RedisDatabase);
        Assert.Equal(TimeSpan.FromDays(1), settings.FencingCounterExpiry);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.ForceReleaseTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.ElectionTtl);
    }

    [Fact]
    public void Overrides_are_read_once_into_the_typed_settings()
    {
        var settings = Read("""
            lock { key-prefix = "app:locks:", default-ttl = 5s, retry-interval = 20ms, redis { configuration = "redis:6380,password=secret", database = 3 } }
            """);
        Assert.Equal(("app:locks:", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20), "redis:6380,password=secret", 3),
            (settings.KeyPrefix, settings.DefaultTtl, settings.RetryInterval, settings.RedisConfiguration, settings.RedisDatabase));
    }

    [Theory]
    [InlineData("lock.default-ttl = 0s", "lock.default-ttl")]
    [InlineData("lock.default-ttl = banana", "lock.default-ttl")]
    [InlineData("lock.default-timeout = -1s", "lock.default-timeout")]
    [InlineData("lock.retry-interval = 0ms", "lock.retry-interval")]
    [InlineData("lock.max-key-length = 0", "lock.max-key-length")]
    [InlineData("lock.max-key-length = many", "lock.max-key-length")]
    [InlineData("lock.key-prefix = \"\"", "lock.key-prefix")]
    [InlineData("lock.key-prefix = \"a{\"", "lock.key-prefix")]
    [InlineData("lock.default-ttl = 2d", "lock.default-ttl")]
    [InlineData("lock.fencing.counter-expiry = 1h", "lock.fencing.counter-expiry")]
    [InlineData("lock.redis.configuration = \"\"", "lock.redis.configuration")]
    [InlineData("lock.redis.min-replica-acks = -1", "lock.redis.min-replica-acks")]
    [InlineData("lock.election.ttl = 0s", "lock.election.ttl")]
    [InlineData("lock.election.ttl = 2d", "lock.election.ttl")]
    [InlineData("lock.redis.replica-ack-timeout = 0ms", "lock.redis.replica-ack-timeout")]
    [InlineData("lock.redis.tls.ca-certificate = \"/nonexistent/ca.crt\"", "lock.redis.tls.ca-certificate")]
    [InlineData("lock.redis.tls.client-certificate = \"/etc/hostname\"", "lock.redis.tls.client-certificate")]
    [InlineData("lock.redis.database = -1", "lock.redis.database")]
    public void A_bad_value_fails_at_start_naming_the_key(string setting, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(setting));
        Assert.Contains($"'{key}'", error.Message);
    }

    [Fact]
    public void A_missing_section_says_so()
    {
        var error = Assert.Throws<ConfigurationException>(() => LockSettings.Create(ConfigurationFactory.Empty));
        Assert.Contains("'lock'", error.Message);
    }
}
