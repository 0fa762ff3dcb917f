using Akka.Actor;
using Akka.Event;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

[Collection(RedisCollection.Name)]
public sealed class LoggingSpec(RedisFixture redis, ITestOutputHelper output)
    : LockSpec(redis, output, "akka.loglevel = DEBUG\nakka.actor.debug.receive = on\nakka.actor.debug.unhandled = on")
{
    [Fact]
    public async Task No_log_line_ever_carries_a_whole_token()
    {
        var logs = new List<string>();
        var listener = CreateTestProbe();
        Sys.EventStream.Subscribe(listener, typeof(LogEvent));

        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("audited", Ttl: TimeSpan.FromMilliseconds(900), AutoExtend: true, Owner: owner));
        var first = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Extend("audited", first.Token));
        await ExpectMsgAsync<LockExtended>();
        await Redis.Db.KeyDeleteAsync(RedisKey("audited"));
        await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(3));
        Manager.Tell(new Acquire("audited"));
        var second = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Release("audited", second.Token));
        await ExpectMsgAsync<LockReleased>();
        Manager.Tell(new Release("audited", "0123456789abcdef0123456789abcdef"));
        await ExpectMsgAsync<ReleaseFailed>();

        // The node's own loss and shutdown paths log too: release what it holds, as shutdown does.
        Manager.Tell(new Acquire("audited-at-shutdown"));
        var third = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(ForceReleaseAll.Instance);
        await ExpectMsgAsync<ForceReleased>();

        // Everything logged up to a marker logged last, including debug lines and message dumps and
        // lines logged after the replies above (a loss, a late release): nothing is drained early.
        var marker = "end-of-audit-" + Guid.NewGuid().ToString("N");
        Sys.Log.Info(marker);
        await listener.FishForMessageAsync<LogEvent>(log =>
        {
            logs.Add(log.ToString()!);
            return log.Message?.ToString() == marker;
        }, TimeSpan.FromSeconds(10));
        Assert.Contains(logs, line => line.Contains("audited"));
        foreach (var token in new[] { first.Token, second.Token, third.Token, "0123456789abcdef0123456789abcdef" })
            Assert.DoesNotContain(logs, line => line.Contains(token));
        Assert.Contains(logs, line => line.Contains(first.Token[..8]));
    }
}
