namespace Lock.Actors;

/// <summary>
/// The Akka.Hosting registry key of the lock manager:
/// <c>IRequiredActor&lt;LockManager&gt;</c> in a constructor, or <c>registry.Get&lt;LockManager&gt;()</c>.
/// </summary>
public sealed class LockManager
{
    private LockManager()
    {
    }
}
