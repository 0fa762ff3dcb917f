namespace Lock.Actors.Tests.Infrastructure.Topology;

/// <summary>
/// The ACL rules README.md gives for a lock user, for the key prefix <c>lock:</c> (tests' prefixes
/// all start with it). Kept here once so the specs run with exactly what the README promises.
/// </summary>
public static class LeastPrivilege
{
    public const string User = "locks";
    public const string Password = "locks-secret-1";

    /// <summary>A single server or a Sentinel set's data nodes.</summary>
    public static readonly string[] Single =
    [
        "~lock:*", "&lock:*", "-@all",
        "+evalsha", "+eval", "+set", "+get", "+incr", "+del", "+pexpire", "+pttl", "+exists", "+time", "+publish",
        "+subscribe", "+unsubscribe", "+ping", "+echo", "+select", "+wait",
        // Shared holders (read locks, permits) and waiting writers are sorted sets.
        "+zadd", "+zrem", "+zscore", "+zcard", "+zcount", "+zrange", "+zrangebyscore", "+zremrangebyscore", "+pexpireat",
    ];

    /// <summary>A Cluster's nodes: the same, the cluster map, and each node's role.</summary>
    public static readonly string[] Cluster = [.. Single, "+cluster|nodes", "+info"];

    /// <summary>What <c>LockScanner</c> (the host's <c>locks</c> command) needs on top.</summary>
    public static readonly string[] Scanner = ["+scan", "+info"];

    /// <summary>Creates the user on the server at <paramref name="port"/> with <paramref name="rules"/>.</summary>
    public static Task CreateAsync(int port, IEnumerable<string> rules) =>
        RedisCli.RunAsync(["-p", port.ToString(), "ACL", "SETUSER", User, "reset", "on", ">" + Password, .. rules]);

    /// <summary>A configuration string that logs in as the user.</summary>
    public static string As(string configuration) => $"{configuration},user={User},password={Password}";
}
