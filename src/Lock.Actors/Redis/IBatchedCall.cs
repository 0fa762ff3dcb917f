using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>One call of a <see cref="CallBatcher{TCall}"/>: it is told its own outcome.</summary>
internal interface IBatchedCall
{
    /// <summary>The call's two entries of the script's reply; throws when they hold this call's error.</summary>
    void Complete(RedisResult status, RedisResult value);

    /// <summary>The whole script call failed (connection, timeout, server error).</summary>
    void Fail(Exception cause);
}
