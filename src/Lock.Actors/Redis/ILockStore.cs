namespace Lock.Actors.Redis;

/// <summary>
/// The seam between the actors and Redis. Every call is one round trip and never blocks; a failure
/// (connection lost, timeout, server error) surfaces as a faulted task.
/// </summary>
internal interface ILockStore
{
    /// <summary>
    /// How long a call may stay unanswered before the client fails it by itself (a paused or hung
    /// Redis): a key actor needs a timer of its own only for deadlines that come sooner.
    /// </summary>
    TimeSpan CallTimeout { get; }

    /// <summary>A configuration problem Redis reported (credentials, TLS, ACL), named in the failures it causes; null if none.</summary>
    string? ConfigurationProblem => null;

    /// <summary>The Redis names of <paramref name="key"/>, for the calls below.</summary>
    LockKeyNames NamesOf(string key);

    /// <summary>
    /// An exclusive acquire: granted only while nobody else holds the key in either mode. <paramref name="waited"/>:
    /// an earlier attempt of this token was sent (Redis may hold it as a waiting writer, which a grant ends).
    /// </summary>
    Task<AcquireOutcome> TryAcquireAsync(LockKeyNames key, string token, TimeSpan ttl, bool waited = false);

    /// <summary>
    /// Shared acquires of one key, in one call, answered each in order: granted while no writer holds or
    /// waits for the key and, for permits, while fewer than the limit hold it.
    /// </summary>
    Task<AcquireOutcome[]> TryAcquireSharedAsync(LockKeyNames key, IReadOnlyList<SharedAcquire> requests);

    /// <summary>
    /// The request under <paramref name="token"/> stopped waiting without a grant. A writer no longer keeps
    /// new readers and permits out (they are notified when it was the last writer waiting); a reader needs
    /// no turn after the next writer; whatever Redis had granted or kept for it is let go.
    /// </summary>
    Task WithdrawAsync(LockKeyNames key, string token);

    /// <summary>True when the token held the key, in either mode, and no longer does (waiters are notified).</summary>
    Task<bool> ReleaseAsync(LockKeyNames key, string token);

    /// <summary>True when the token holds the key, in either mode, and its TTL is now <paramref name="ttl"/>.</summary>
    Task<bool> ExtendAsync(LockKeyNames key, string token, TimeSpan ttl);

    Task<KeyState> GetStateAsync(string key);

    /// <summary>
    /// Marks the lock as watched for <paramref name="markerTtl"/> (its grants and releases are announced
    /// to <see cref="SubscribeChangesAsync"/> from then on) and reads its state in the same step.
    /// </summary>
    Task<WatchedState> WatchAsync(LockKeyNames key, TimeSpan markerTtl);

    /// <summary>Calls <paramref name="onReleased"/> with the key of every release announced under the prefix.</summary>
    Task SubscribeReleasesAsync(Action<string> onReleased);

    Task UnsubscribeReleasesAsync();

    /// <summary>
    /// Calls <paramref name="onChange"/> with the key and change of every grant and release of a watched
    /// lock under the prefix, one at a time, in the order Redis sent them.
    /// </summary>
    Task SubscribeChangesAsync(Action<string, LockChange> onChange);

    Task UnsubscribeChangesAsync();
}
