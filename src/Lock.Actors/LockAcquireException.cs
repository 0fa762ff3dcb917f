using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>Thrown by <see cref="LockService.AcquireAsync"/> when the lock was not granted.</summary>
public sealed class LockAcquireException : LockException
{
    public LockAcquireException(string key, AcquireFailure reason, string message, Exception? innerException = null)
        : base(key, message, innerException)
    {
        Reason = reason;
    }

    public AcquireFailure Reason { get; }
}
