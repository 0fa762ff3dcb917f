using Lock.Actors;

namespace Lock.Benchmarks.Contenders;

/// <summary>Lock.Actors through its LockService facade (await using), as code outside the actors uses it.</summary>
public sealed class LockActorsServiceContender(LockService service) : ILockContender
{
    public string Name => "Lock.Actors (LockService)";

    public async Task<object?> AcquireAsync(string key, TimeSpan ttl, TimeSpan wait) =>
        await service.TryAcquireAsync(key, ttl, wait);

    public Task ReleaseAsync(object handle) => ((LockHandle)handle).DisposeAsync().AsTask();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
