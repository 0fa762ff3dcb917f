using Akka.Actor;
using Lock.Actors.Redis;

namespace Lock.Actors.Tests.Infrastructure.Unit;

/// <summary>
/// A store the spec plays: every call is told to a probe as a message carrying its reply, and the
/// spec answers it (or fails it, or never answers) when and how the scenario needs. No Redis, no timing.
/// </summary>
internal sealed class ProbeLockStore(IActorRef probe, TimeSpan callTimeout) : ILockStore
{
    private readonly LockKeys _keys = new("lock:unit:");

    public sealed record TryAcquire(string Key, string Token, TimeSpan Ttl, TaskCompletionSource<AcquireOutcome> Reply)
    {
        /// <summary>An earlier attempt of this token was sent: Redis may hold it as a waiting writer.</summary>
        public bool Waited { get; init; }

        public void Grant(long fencingToken) => Reply.SetResult(AcquireOutcome.Granted(fencingToken));
        public void HeldElsewhere(TimeSpan? holderTtl = null) => Reply.SetResult(AcquireOutcome.HeldElsewhere(holderTtl));
        public void NotConfirmed(string why) => Reply.SetResult(AcquireOutcome.NotConfirmed(why));
        public void Fail(string error) => Reply.SetException(new InvalidOperationException(error));
    }

    /// <summary>Shared acquires of one key in one call; the spec answers each, in order.</summary>
    public sealed record TryAcquireShared(string Key, IReadOnlyList<SharedAcquire> Requests, TaskCompletionSource<AcquireOutcome[]> Reply)
    {
        public IReadOnlyList<string> Tokens => Requests.Select(request => request.Token).ToList();
        public void Answer(params AcquireOutcome[] outcomes) => Reply.SetResult(outcomes);
        public void Fail(string error) => Reply.SetException(new InvalidOperationException(error));
    }

    /// <summary>A waiting writer withdrawn; never answered by the specs (nobody waits for it).</summary>
    public sealed record Withdraw(string Key, string Token);

    public sealed record Release(string Key, string Token, TaskCompletionSource<bool> Reply)
    {
        public void Answer(bool released) => Reply.SetResult(released);
        public void Fail(string error) => Reply.SetException(new InvalidOperationException(error));
    }

    public sealed record Extend(string Key, string Token, TimeSpan Ttl, TaskCompletionSource<bool> Reply)
    {
        public void Answer(bool extended) => Reply.SetResult(extended);
        public void Fail(string error) => Reply.SetException(new InvalidOperationException(error));
    }

    public sealed record GetState(string Key, TaskCompletionSource<KeyState> Reply);

    /// <summary>A watch read of a key; the spec answers it with the state Redis would return.</summary>
    public sealed record Watch(string Key, TaskCompletionSource<WatchedState> Reply)
    {
        public void Answer(bool locked, long? fencingToken, string? label = null, TimeSpan? remainingTtl = null) =>
            Reply.SetResult(new WatchedState(locked, fencingToken, label, remainingTtl));
        public void Fail(string error) => Reply.SetException(new InvalidOperationException(error));
    }

    public TimeSpan CallTimeout { get; } = callTimeout;

    public string? ConfigurationProblem { get; set; }

    public LockKeyNames NamesOf(string key) => _keys.NamesOf(key);

    public Task<AcquireOutcome> TryAcquireAsync(LockKeyNames key, string token, TimeSpan ttl, bool waited = false) =>
        Ask(new TryAcquire(key.Key, token, ttl, NewReply<AcquireOutcome>()) { Waited = waited }, static call => call.Reply.Task);

    public Task<AcquireOutcome[]> TryAcquireSharedAsync(LockKeyNames key, IReadOnlyList<SharedAcquire> requests) =>
        Ask(new TryAcquireShared(key.Key, requests, NewReply<AcquireOutcome[]>()), static call => call.Reply.Task);

    public Task WithdrawAsync(LockKeyNames key, string token)
    {
        probe.Tell(new Withdraw(key.Key, token));
        return Task.CompletedTask;
    }

    public Task<bool> ReleaseAsync(LockKeyNames key, string token) =>
        Ask(new Release(key.Key, token, NewReply<bool>()), static call => call.Reply.Task);

    public Task<bool> ExtendAsync(LockKeyNames key, string token, TimeSpan ttl) =>
        Ask(new Extend(key.Key, token, ttl, NewReply<bool>()), static call => call.Reply.Task);

    public Task<KeyState> GetStateAsync(string key) =>
        Ask(new GetState(key, NewReply<KeyState>()), static call => call.Reply.Task);

    public Task SubscribeReleasesAsync(Action<string> onReleased) => Task.CompletedTask;

    public Task UnsubscribeReleasesAsync() => Task.CompletedTask;

    public Task<WatchedState> WatchAsync(LockKeyNames key, TimeSpan markerTtl) =>
        Ask(new Watch(key.Key, NewReply<WatchedState>()), static call => call.Reply.Task);

    public Task SubscribeChangesAsync(Action<string, LockChange> onChange) => Task.CompletedTask;

    public Task UnsubscribeChangesAsync() => Task.CompletedTask;

    private Task<T> Ask<TCall, T>(TCall call, Func<TCall, Task<T>> reply) where TCall : notnull
    {
        probe.Tell(call);
        return reply(call);
    }

    // Continuations run where the spec answers, as they run on the Redis client's thread in production.
    private static TaskCompletionSource<T> NewReply<T>() => new();
}
