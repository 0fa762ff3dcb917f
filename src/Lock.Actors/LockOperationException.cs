using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>
/// Thrown by the <see cref="LockService"/> facade when a release, extend or status request is invalid
/// or Redis is unavailable. (A token that does not hold the key is not an exception: the call returns false.)
/// </summary>
public sealed class LockOperationException : LockException
{
    /// <summary>A release, extend or status request on <paramref name="key"/> that failed for <paramref name="reason"/>.</summary>
    /// <param name="key">The key named in the request.</param>
    /// <param name="reason">Why.</param>
    /// <param name="message">One sentence naming the key and the problem.</param>
    /// <param name="innerException">The failure underneath, if any.</param>
    public LockOperationException(string key, LockFailure reason, string message, Exception? innerException = null)
        : base(key, message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the request failed.</summary>
    public LockFailure Reason { get; }
}
