using System.Runtime.CompilerServices;
using Lock.Actors.Redis;
using StackExchange.Redis;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>
/// An operator's view of the locks in Redis under a prefix, from every node: SCAN (never KEYS) over
/// each primary, then each lock's remaining TTL and fencing token. Reads only; needs no ActorSystem.
/// </summary>
public sealed class LockScanner
{
    private const int PageSize = 500;

    private readonly IConnectionMultiplexer _connection;
    private readonly LockKeys _keys;
    private readonly int _database;

    /// <summary>A scanner of the locks under <paramref name="keyPrefix"/>.</summary>
    /// <param name="connection">The Redis connection (kept by the caller).</param>
    /// <param name="keyPrefix">The lock key prefix (<c>lock.key-prefix</c>).</param>
    /// <param name="database">The Redis database.</param>
    public LockScanner(IConnectionMultiplexer connection, string keyPrefix, int database = 0)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _keys = new LockKeys(keyPrefix);
        _database = database;
    }

    /// <summary>One lock found in Redis.</summary>
    /// <param name="Key">The key as the application named it.</param>
    /// <param name="Mode">How it is held.</param>
    /// <param name="RemainingTtl">Its remaining TTL on the server's clock (null: held without an expiry, written by something else).</param>
    /// <param name="FencingToken">The key's last fencing token (its counter: an exclusive holder's own token; null when the counter is gone).</param>
    public sealed record ScannedLock(string Key, LockMode Mode, TimeSpan? RemainingTtl, long? FencingToken);

    /// <summary>Each lock held under the prefix, with its key as the application named it.</summary>
    public async IAsyncEnumerable<ScannedLock> ScanAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var db = _connection.GetDatabase(_database);
        foreach (var endpoint in _connection.GetEndPoints())
        {
            var server = _connection.GetServer(endpoint);
            if (server.IsReplica || !server.IsConnected) continue;
            // Keys held exclusively, then keys held shared (readers, permits: the set lives as long as its last holder).
            foreach (var (pattern, mode) in new[] { (_keys.LockKeyPattern, LockMode.Exclusive), (_keys.SharedKeyPattern, LockMode.Shared) })
            {
                await foreach (var redisKey in server.KeysAsync(_database, pattern, PageSize).WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    var key = mode == LockMode.Exclusive ? _keys.KeyOf(redisKey!) : _keys.KeyOfShared(redisKey!);
                    if (key is null) continue;
                    // All in one round trip; the counter was last raised by the key's latest grant.
                    var value = mode == LockMode.Exclusive ? db.StringGetAsync(redisKey) : null;
                    var pttl = db.ExecuteAsync("PTTL", redisKey);
                    var fence = db.StringGetAsync(_keys.FenceKey(key));
                    var state = KeyState.FromPttl((long)await pttl.ConfigureAwait(false));
                    var counter = await fence.ConfigureAwait(false);
                    if (!state.Locked) continue; // released or expired between SCAN and PTTL
                    // The lock key of a key held shared carries the shared mark: listed from its set.
                    if (value is not null && await value.ConfigureAwait(false) == LockKeys.SharedMark) continue;
                    yield return new ScannedLock(key, mode, state.RemainingTtl, counter.TryParse(out long token) ? token : null);
                }
            }
        }
    }
}
