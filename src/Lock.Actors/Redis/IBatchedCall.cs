using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>One call of a <see cref="CallBatcher{TCall}"/>: it is told its own outcome.</summary>
internal interface IBatchedCall
{
    /// <summary>How many locks of the script call it stands for (two reply entries each); several for shared grants that go together.</summary>
    int Locks => 1;

    /// <summary>The call's two entries of the script's reply; throws when they hold this call's error.</summary>
    void Complete(RedisResult status, RedisResult value);

    /// <summary>The call's <see cref="Locks"/> pairs of entries, from <paramref name="at"/> in the script's reply.</summary>
    void Complete(RedisResult[] entries, int at) => Complete(entries[at], entries[at + 1]);

    /// <summary>The whole script call failed (connection, timeout, server error).</summary>
    void Fail(Exception cause);
}
