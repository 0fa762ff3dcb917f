using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>Thrown by <see cref="LockService.AcquireAsync(string, TimeSpan?, TimeSpan?, CancellationToken)"/> when the lock was not granted.</summary>
public sealed class LockAcquireException : LockException
{
    /// <summary>An acquire of <paramref name="key"/> that failed for <paramref name="reason"/>.</summary>
    /// <param name="key">The key that was not granted.</param>
    /// <param name="reason">Why.</param>
    /// <param name="message">One sentence naming the key and the problem.</param>
    /// <param name="innerException">The failure underneath, if any.</param>
    public LockAcquireException(string key, AcquireFailure reason, string message, Exception? innerException = null)
        : base(key, message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the lock was not granted.</summary>
    public AcquireFailure Reason { get; }
}
