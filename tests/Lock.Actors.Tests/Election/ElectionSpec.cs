using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Election;

[Collection(RedisCollection.Name)]
public sealed class ElectionSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    // Long terms: every hand-over below must come from a release, never from a TTL running out.
    private static readonly TimeSpan LongTerm = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WellBeforeTheTtl = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task One_candidate_leads_and_when_it_stops_the_next_is_elected_at_once()
    {
        var other = await StartNodeAsync("node-b");
        var first = CreateTestProbe();
        var second = CreateTestProbe(other.System);
        Manager.Tell(new Campaign("scheduler", first, "first", LongTerm));
        var term1 = await first.ExpectMsgAsync<Elected>();
        Assert.Equal("scheduler", term1.Name);
        other.Manager.Tell(new Campaign("scheduler", second, "second", LongTerm));
        await WaiterSeenByRedisAsync("election:scheduler");
        await second.ExpectNoMsgAsync(TimeSpan.Zero);

        var stopped = Stopwatch.StartNew();
        Sys.Stop(first);
        var term2 = await second.ExpectMsgAsync<Elected>(WellBeforeTheTtl);
        Sys.Log.Info("Hand-over after the leader stopped: {0} ms", stopped.Elapsed.TotalMilliseconds);
        Assert.True(term2.FencingToken > term1.FencingToken, $"term {term2.FencingToken} after {term1.FencingToken}");
    }

    [Fact]
    public async Task Resigning_ends_the_term_and_a_waiting_candidate_that_resigns_is_never_elected()
    {
        var leader = CreateTestProbe();
        var withdrawn = CreateTestProbe();
        var next = CreateTestProbe();
        Manager.Tell(new Campaign("resign", leader, Ttl: LongTerm));
        var term1 = await leader.ExpectMsgAsync<Elected>();
        // Queued behind the local leader (the campaign's acquire reaches the key actor before its abandon).
        Manager.Tell(new Campaign("resign", withdrawn, Ttl: LongTerm));

        Manager.Tell(new Resign("resign", withdrawn));
        Assert.Equal(new Resigned("resign"), await ExpectMsgAsync<Resigned>());
        Manager.Tell(new Campaign("resign", next, Ttl: LongTerm));
        Manager.Tell(new Resign("resign", leader));
        Assert.Equal(new Resigned("resign"), await ExpectMsgAsync<Resigned>());

        var term2 = await next.ExpectMsgAsync<Elected>(WellBeforeTheTtl);
        Assert.True(term2.FencingToken > term1.FencingToken);
        await withdrawn.ExpectNoMsgAsync(TimeSpan.Zero);
        await leader.ExpectNoMsgAsync(TimeSpan.Zero);

        // Resigning again, or without ever campaigning, is answered the same and harmless.
        Manager.Tell(new Resign("resign", leader));
        await ExpectMsgAsync<Resigned>();
    }

    [Fact]
    public async Task A_node_that_shuts_down_resigns_and_the_next_candidate_is_elected_at_once()
    {
        var other = await StartNodeAsync("node-b");
        var leaving = CreateTestProbe(other.System);
        var staying = CreateTestProbe();
        other.Manager.Tell(new Campaign("shutdown", leaving, Ttl: LongTerm));
        await leaving.ExpectMsgAsync<Elected>();
        Manager.Tell(new Campaign("shutdown", staying, Ttl: LongTerm));
        await WaiterSeenByRedisAsync("election:shutdown");

        var shutdown = other.System.Terminate();
        var lost = await leaving.ExpectMsgAsync<LeadershipLost>();
        Assert.Contains("shutting down", lost.Reason);
        await staying.ExpectMsgAsync<Elected>(WellBeforeTheTtl);
        await shutdown;
    }

    [Fact]
    public async Task A_term_lost_in_Redis_is_reported_to_the_leader()
    {
        var leader = CreateTestProbe();
        Manager.Tell(new Campaign("wiped", leader, Ttl: TimeSpan.FromSeconds(1)));
        var term = await leader.ExpectMsgAsync<Elected>();
        await Redis.Db.KeyDeleteAsync(RedisKey("election:wiped"));

        var lost = await leader.ExpectMsgAsync<LeadershipLost>(TimeSpan.FromSeconds(3));
        Assert.Equal("wiped", lost.Name);
        Assert.Contains($"term {term.FencingToken}", lost.Reason);
    }

    [Fact]
    public async Task The_watchdog_keeps_a_term_alive_past_its_TTL()
    {
        var leader = CreateTestProbe();
        var rival = CreateTestProbe();
        Manager.Tell(new Campaign("kept", leader, Ttl: TimeSpan.FromMilliseconds(600)));
        await leader.ExpectMsgAsync<Elected>();
        Manager.Tell(new Campaign("kept", rival, Ttl: TimeSpan.FromMilliseconds(600)));
        // Three TTLs: without the watchdog the rival would lead by now.
        await leader.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(1800));
        await rival.ExpectNoMsgAsync(TimeSpan.Zero);
        Assert.True(await Redis.Db.KeyExistsAsync(RedisKey("election:kept")));
    }

    [Fact]
    public async Task Two_names_are_elected_independently()
    {
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        Manager.Tell(new Campaign("name-a", a, Ttl: LongTerm));
        Manager.Tell(new Campaign("name-b", b, Ttl: LongTerm));
        Assert.Equal("name-a", (await a.ExpectMsgAsync<Elected>()).Name);
        Assert.Equal("name-b", (await b.ExpectMsgAsync<Elected>()).Name);

        var a2 = CreateTestProbe();
        Manager.Tell(new Campaign("name-a", a2, Ttl: LongTerm));
        Manager.Tell(new Resign("name-a", a));
        await ExpectMsgAsync<Resigned>();
        await a2.ExpectMsgAsync<Elected>(WellBeforeTheTtl);
        // name-b's leader heard nothing, and still leads.
        await b.ExpectNoMsgAsync(TimeSpan.Zero);
        Assert.True(await Redis.Db.KeyExistsAsync(RedisKey("election:name-b")));
    }

    [Fact]
    public async Task A_watcher_on_a_node_that_does_not_campaign_sees_every_leader_in_order()
    {
        var other = await StartNodeAsync("node-b");
        var watcher = CreateTestProbe(other.System);
        other.Manager.Tell(new WatchLeader("watched", watcher));
        Assert.Equal(new LeaderChanged("watched", null, null), await watcher.ExpectMsgAsync<LeaderChanged>());

        var expected = new List<LeaderChanged>();
        for (var i = 0; i < 4; i++)
        {
            var candidate = CreateTestProbe();
            Manager.Tell(new Campaign("watched", candidate, $"candidate-{i}", LongTerm));
            var term = await candidate.ExpectMsgAsync<Elected>();
            Manager.Tell(new Resign("watched", candidate));
            await ExpectMsgAsync<Resigned>();
            expected.Add(new LeaderChanged("watched", $"candidate-{i}", term.FencingToken));
            expected.Add(new LeaderChanged("watched", null, null));
        }
        var heard = new List<LeaderChanged>();
        for (var i = 0; i < expected.Count; i++) heard.Add(await watcher.ExpectMsgAsync<LeaderChanged>());
        Assert.Equal(expected, heard);
    }

    [Fact]
    public async Task The_default_candidate_id_names_the_node_and_the_actor()
    {
        var watcher = CreateTestProbe();
        Manager.Tell(new WatchLeader("default-id", watcher));
        await watcher.ExpectMsgAsync<LeaderChanged>();
        var candidate = Sys.ActorOf(Props.Create(() => new Forwarder(TestActor)), "scheduler");
        Manager.Tell(new Campaign("default-id", candidate));
        var term = await ExpectMsgAsync<Elected>();

        var leader = await watcher.ExpectMsgAsync<LeaderChanged>();
        Assert.Equal(term.FencingToken, leader.FencingToken);
        Assert.Equal($"{Environment.MachineName}:{Environment.ProcessId}:{Sys.Name}/user/scheduler", leader.LeaderId);
        // The default TTL (lock.election.ttl).
        Assert.InRange(await Redis.Db.KeyTimeToLiveAsync(RedisKey("election:default-id")) ?? TimeSpan.Zero,
            TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Bad_campaigns_are_refused_by_name_and_the_manager_keeps_running()
    {
        async Task<ElectionFailed> Refused(object request)
        {
            Manager.Tell(request);
            var failed = await ExpectMsgAsync<ElectionFailed>();
            Assert.Equal(LockFailure.InvalidRequest, failed.Reason);
            return failed;
        }

        Assert.Contains("empty", (await Refused(new Campaign(" ", TestActor))).Message);
        Assert.Contains("null", (await Refused(new Campaign(null!, TestActor))).Message);
        Assert.Contains("candidate", (await Refused(new Campaign("no-candidate", null!))).Message);
        Assert.Contains("control character", (await Refused(new Campaign("bad-id", TestActor, "a\nb"))).Message);
        Assert.Contains("TTL", (await Refused(new Campaign("bad-ttl", TestActor, Ttl: TimeSpan.Zero))).Message);
        Assert.Contains("bad-ttl", (await Refused(new Campaign("bad-ttl", TestActor, Ttl: TimeSpan.Zero))).Message);
        Manager.Tell(new WatchLeader("", TestActor));
        Assert.Equal(LockFailure.InvalidRequest, (await ExpectMsgAsync<WatchFailed>()).Reason);
        Manager.Tell(new Resign(null!, TestActor));
        await ExpectMsgAsync<Resigned>();

        await Manager.Ask<LockAcquired>(new Acquire("still-serving"), RemainingOrDefault);
        var candidate = CreateTestProbe();
        Manager.Tell(new Campaign("still-electing", candidate));
        await candidate.ExpectMsgAsync<Elected>();
    }

    private sealed class Forwarder(IActorRef to) : ReceiveActor
    {
        protected override void Unhandled(object message) => to.Forward(message);
    }
}
