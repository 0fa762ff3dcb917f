using System.Diagnostics;
using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Redis;

/// <summary>
/// The watchdog after a refused extend, on a private server whose ACL is changed under the holder.
/// retry-interval is long on purpose: it paces waiters, and must not pace a holder's extend retries.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class WatchdogRecoverySpec(ITestOutputHelper output)
    : PrivateRedisSpec(NewServer(), output, "lock.retry-interval = 5s")
{
    [Fact]
    public async Task A_refused_extend_is_retried_within_a_fraction_of_the_ttl_whatever_the_retry_interval()
    {
        using var admin = await ConnectionMultiplexer.ConnectAsync(Server.Configuration + ",allowAdmin=true");
        var db = admin.GetDatabase();
        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("refused", Ttl: TimeSpan.FromSeconds(3), AutoExtend: true, Owner: owner));
        var acquired = await ExpectMsgAsync<LockAcquired>();

        // Redis refuses scripts until the watchdog's first extend (at a third of the TTL) was refused.
        await db.ExecuteAsync("ACL", "SETUSER", "default", "-evalsha", "-eval");
        await AwaitAssertAsync(async () => Assert.True(await DeniedCommandsAsync(admin) > 0),
            TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));
        await db.ExecuteAsync("ACL", "SETUSER", "default", "+evalsha", "+eval");
        var restored = Stopwatch.StartNew();

        // Redis answers again about two seconds before the TTL ends: the next try must come well
        // within that, and renew the lock to a full TTL.
        var lockKey = Locks.Keys.LockKey("refused");
        await AwaitAssertAsync(async () =>
        {
            var left = await db.KeyTimeToLiveAsync(lockKey);
            Assert.True(left > TimeSpan.FromMilliseconds(2700), $"remaining TTL {left}");
        }, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(20));
        Output?.WriteLine($"extended again {restored.ElapsedMilliseconds} ms after Redis took scripts again");
        Assert.Equal(acquired.Token, (string?)await db.StringGetAsync(lockKey));

        Manager.Tell(new Release("refused", acquired.Token));
        await ExpectMsgAsync<LockReleased>();
    }

    // Entries in the ACL log: each is a command Redis refused for lack of permission.
    private static async Task<long> DeniedCommandsAsync(IConnectionMultiplexer admin) =>
        ((RedisResult[])(await admin.GetDatabase().ExecuteAsync("ACL", "LOG"))!).Length;
}
