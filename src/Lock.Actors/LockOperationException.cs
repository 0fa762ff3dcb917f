using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>
/// Thrown by the <see cref="LockService"/> facade when a release, extend or status request is invalid
/// or Redis is unavailable. (A token that does not hold the key is not an exception: the call returns false.)
/// </summary>
public sealed class LockOperationException : LockException
{
    public LockOperationException(string key, LockFailure reason, string message, Exception? innerException = null)
        : base(key, message, innerException)
    {
        Reason = reason;
    }

    public LockFailure Reason { get; }
}
