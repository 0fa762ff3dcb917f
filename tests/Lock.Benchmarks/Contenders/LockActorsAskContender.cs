using Akka.Actor;
using static Lock.Actors.LockProtocol;

namespace Lock.Benchmarks.Contenders;

/// <summary>Lock.Actors through the Ask pattern to the lock manager, as another actor would use it.</summary>
public sealed class LockActorsAskContender(IActorRef manager) : ILockContender
{
    private static readonly TimeSpan AskMargin = TimeSpan.FromSeconds(10);

    public string Name => "Lock.Actors (Ask)";

    public async Task<object?> AcquireAsync(string key, TimeSpan ttl, TimeSpan wait) =>
        await manager.Ask<object>(new Acquire(key, ttl, wait), wait + AskMargin) switch
        {
            LockAcquired acquired => acquired,
            LockNotAcquired { Reason: AcquireFailure.Timeout } => null,
            var other => throw new InvalidOperationException($"Acquire failed: {other}"),
        };

    public async Task ReleaseAsync(object handle)
    {
        var acquired = (LockAcquired)handle;
        await manager.Ask<object>(new Release(acquired.Key, acquired.Token), AskMargin);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
