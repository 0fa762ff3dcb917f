using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Lock.Actors.Actors;
using Lock.Actors.Actors.Election;
using Lock.Actors.Coordination;
using Xunit.Abstractions;
using static Lock.Actors.Actors.Election.CampaignProtocol;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors.Election;

/// <summary>
/// One campaign without Redis: the spec plays the lock manager (it receives the campaign's acquires and
/// releases and answers them) and the elections parent, and moves the back-off timer by hand.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CampaignActorSpec : TestKit
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    private readonly TestScheduler _scheduler;
    private readonly TestProbe _manager;
    private readonly TestProbe _elections;
    private readonly TestProbe _candidate;
    private readonly IActorRef _campaign;

    public CampaignActorSpec(ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString("""
            akka.loglevel = INFO
            akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
            """).WithFallback(DistributedLocks.DefaultConfig()), output: output)
    {
        _scheduler = (TestScheduler)Sys.Scheduler;
        _manager = CreateTestProbe("manager");
        _elections = CreateTestProbe("elections");
        _candidate = CreateTestProbe("candidate");
        var settings = LockSettings.Create(Sys.Settings.Config.GetConfig("lock"));
        _campaign = _elections.ChildActorOf(CampaignActor.Props("job", _candidate, "node-a", Ttl, settings, _manager), "campaign");
    }

    private async Task<LeaseProtocol.AcquireLease> ExpectAskedAsync()
    {
        var asked = await _manager.ExpectMsgAsync<LeaseProtocol.AcquireLease>();
        Assert.Equal(_campaign, _manager.LastSender);
        return asked;
    }

    private async Task<string> LeadingAsync(long term = 41)
    {
        var asked = await ExpectAskedAsync();
        _manager.Reply(new LockAcquired("election:job", asked.Token, term, Ttl));
        Assert.Equal(new Elected("job", term), await _candidate.ExpectMsgAsync<Elected>());
        return asked.Token;
    }

    [Fact]
    public async Task It_asks_for_the_election_lock_without_end_as_its_owner_under_a_token_labelled_with_the_candidate()
    {
        var asked = await ExpectAskedAsync();
        Assert.Equal("election:job", asked.Request.Key);
        Assert.Equal((Ttl, Timeout.InfiniteTimeSpan, true, _campaign), (asked.Request.Ttl, asked.Request.Timeout, asked.Request.AutoExtend, asked.Request.Owner));
        Assert.Equal(Ttl / 3, asked.ExtendInterval);
        Assert.EndsWith("|node-a", asked.Token);

        // Should a wait ever end as a timeout, it asks again, with the same token.
        _manager.Reply(new LockNotAcquired("election:job", AcquireFailure.Timeout, "held"));
        Assert.Equal(asked.Token, (await ExpectAskedAsync()).Token);
    }

    [Fact]
    public async Task An_unreachable_Redis_is_asked_again_after_a_second()
    {
        await ExpectAskedAsync();
        _manager.Reply(new LockNotAcquired("election:job", AcquireFailure.Unavailable, "Redis down"));
        await _campaign.Ask<ActorIdentity>(new Identify(null));
        _scheduler.Advance(TimeSpan.FromMilliseconds(999));
        await _campaign.Ask<ActorIdentity>(new Identify(null));
        Assert.False(_manager.HasMessages);
        _scheduler.Advance(TimeSpan.FromMilliseconds(1));
        await ExpectAskedAsync();
    }

    [Fact]
    public async Task A_lost_term_ends_the_campaign_and_tells_the_candidate_why()
    {
        var token = await LeadingAsync();
        Watch(_campaign);
        _campaign.Tell(new LockLost("election:job", token, "the watchdog found it gone"));
        Assert.Equal(new CampaignEnded(_campaign), await _elections.ExpectMsgAsync<CampaignEnded>());
        var lost = await _candidate.ExpectMsgAsync<LeadershipLost>();
        Assert.Equal("job", lost.Name);
        Assert.Contains("term 41", lost.Reason);
        Assert.Contains("the watchdog found it gone", lost.Reason);
        await ExpectTerminatedAsync(_campaign);
    }

    [Fact]
    public async Task Resigning_a_term_releases_it_and_answers_once_it_is_released()
    {
        var token = await LeadingAsync();
        _campaign.Tell(new Resign("job", _candidate));
        var release = await _manager.ExpectMsgAsync<Release>();
        Assert.Equal(("election:job", token), (release.Key, release.Token));
        await _campaign.Ask<ActorIdentity>(new Identify(null));
        Assert.False(HasMessages);
        _manager.Reply(new LockReleased("election:job"));
        Assert.Equal(new Resigned("job"), await ExpectMsgAsync<Resigned>());
        await _elections.ExpectMsgAsync<CampaignEnded>();
    }

    [Fact]
    public async Task Resigning_while_waiting_withdraws_the_acquire()
    {
        await ExpectAskedAsync();
        _campaign.Tell(new Resign("job", _candidate));
        var abandon = await _manager.ExpectMsgAsync<LockManagerActor.AbandonAcquire>();
        Assert.Equal(("election:job", _campaign), (abandon.Key, abandon.ReplyTo));
        Assert.Equal(new Resigned("job"), await ExpectMsgAsync<Resigned>());
        await _candidate.ExpectNoMsgAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task A_candidate_that_stops_ends_the_campaign_and_with_it_the_term()
    {
        await LeadingAsync();
        Watch(_campaign);
        Sys.Stop(_candidate);
        // The campaign actor owns the term: its stop is what makes the manager release it.
        await _manager.ExpectMsgAsync<LockManagerActor.AbandonAcquire>();
        await _elections.ExpectMsgAsync<CampaignEnded>();
        await ExpectTerminatedAsync(_campaign);
    }

    [Fact]
    public async Task Shutdown_ends_a_term_and_a_waiting_campaign_alike()
    {
        await ExpectAskedAsync();
        _campaign.Tell(NodeShuttingDown.Instance);
        Assert.Contains("shutting down", (await _candidate.ExpectMsgAsync<LeadershipLost>()).Reason);
        await _elections.ExpectMsgAsync<CampaignEnded>();
    }
}
