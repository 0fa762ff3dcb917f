namespace Lock.Actors;

/// <summary>Base of the exceptions the <see cref="LockService"/> facade throws; names the key.</summary>
public class LockException : Exception
{
    /// <summary>A failure about <paramref name="key"/>.</summary>
    /// <param name="key">The key the failure is about.</param>
    /// <param name="message">One sentence naming the key and the problem.</param>
    /// <param name="innerException">The failure underneath, if any.</param>
    public LockException(string key, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Key = key;
    }

    /// <summary>The key the failure is about.</summary>
    public string Key { get; }
}
