namespace Lock.Actors;

/// <summary>Base of the exceptions the <see cref="LockService"/> facade throws; names the key.</summary>
public class LockException : Exception
{
    public LockException(string key, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Key = key;
    }

    public string Key { get; }
}
