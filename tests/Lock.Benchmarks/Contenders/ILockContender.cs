namespace Lock.Benchmarks.Contenders;

/// <summary>One way of taking and giving back a Redis lock, measured on the same workload as the others.</summary>
public interface ILockContender : IAsyncDisposable
{
    string Name { get; }

    /// <summary>The lock's handle, or null when it stayed held for <paramref name="wait"/>.</summary>
    Task<object?> AcquireAsync(string key, TimeSpan ttl, TimeSpan wait);

    Task ReleaseAsync(object handle);
}
