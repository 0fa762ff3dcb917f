using Lock.Host;

namespace Lock.Benchmarks;

/// <summary>
/// The Redis of a benchmark run, found like the tests find theirs: LOCK_BENCH_REDIS or LOCK_TEST_REDIS
/// (a StackExchange.Redis configuration string), else a private redis-server from PATH.
/// </summary>
public sealed class BenchRedis : IAsyncDisposable
{
    private readonly EmbeddedRedis? _embedded;

    private BenchRedis(string configuration, EmbeddedRedis? embedded)
    {
        Configuration = configuration;
        _embedded = embedded;
    }

    public string Configuration { get; }

    public string Description => _embedded is null ? "from LOCK_BENCH_REDIS / LOCK_TEST_REDIS" : $"private redis-server on port {_embedded.Port}";

    public static async Task<BenchRedis> StartAsync()
    {
        var given = Environment.GetEnvironmentVariable("LOCK_BENCH_REDIS") ?? Environment.GetEnvironmentVariable("LOCK_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(given)) return new BenchRedis(given + ",allowAdmin=true", null);
        var executable = EmbeddedRedis.FindExecutable(Environment.GetEnvironmentVariable("PATH"))
                         ?? throw new InvalidOperationException("No redis-server on PATH (apt-get install -y redis-server) and no LOCK_BENCH_REDIS.");
        var embedded = await EmbeddedRedis.StartAsync(executable);
        return new BenchRedis(embedded.Configuration + ",allowAdmin=true", embedded);
    }

    public async ValueTask DisposeAsync()
    {
        if (_embedded is not null) await _embedded.DisposeAsync();
    }
}
