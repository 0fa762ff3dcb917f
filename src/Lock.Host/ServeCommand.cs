using System.CommandLine;
using Akka.Actor;
using Lock.Actors;
using StackExchange.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lock.Host;

/// <summary>
/// <c>serve</c>: run one lock node until Ctrl+C or SIGTERM. Stopping runs coordinated shutdown,
/// which releases every lock the node holds and logs how many.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(GlobalOptions global)
    {
        var name = new Option<string>("--name") { Description = "Name of the node's ActorSystem.", DefaultValueFactory = _ => "lock-node" };
        var campaign = new Option<string?>("--campaign")
        {
            Description = "Campaign to lead this election; the log shows when the node is elected (with its term) and when it no longer leads.",
        };
        var campaignTtl = new Option<int?>("--campaign-ttl-ms")
        {
            Description = "The term's TTL in milliseconds: how long a leader that dies without resigning keeps the term (default lock.election.ttl, 10 s).",
        };
        // For the election specs: the leader writes its term to a timeline on this (second) Redis.
        var timeline = new Option<string?>("--term-timeline") { Hidden = true };
        var command = new Command("serve", "Run a lock node until Ctrl+C / SIGTERM; on shutdown every lock it holds is released.")
        {
            name, campaign, campaignTtl, timeline,
        };
        command.SetAction((parse, cancellationToken) => global.RunAsync(parse, cancellationToken,
            (settings, _, token) => RunAsync(settings, parse.GetValue(name)!, token,
                parse.GetValue(campaign) is { } election ? new Election(election, parse.GetValue(campaignTtl) is { } ms ? TimeSpan.FromMilliseconds(ms) : null, parse.GetValue(timeline)) : null),
            check: () => CommandValues.NodeName(parse.GetValue(name)!)));
        return command;
    }

    /// <summary>What <c>--campaign</c> asks for: the election, the term's TTL, and where to write terms (specs only).</summary>
    public sealed record Election(string Name, TimeSpan? Ttl, string? TimelineRedis);

    private sealed class LeaderTerm;

    public static async Task<int> RunAsync(NodeSettings settings, string name, CancellationToken stopRequested, Election? election = null)
    {
        using var timelineRedis = election?.TimelineRedis is { } configuration ? await ConnectionMultiplexer.ConnectAsync(configuration) : null;
        using var host = await LockNode.StartAsync(name, settings, stopRequested, (akka, services) =>
        {
            if (election is null) return;
            var timeline = timelineRedis is null ? null : new TermTimeline(timelineRedis.GetDatabase(), election.Name);
            akka.WithLeaderOnlyActor<LeaderTerm>(election.Name,
                term => Props.Create(() => new LeaderTermActor(
                    name, election.Name, term.FencingToken,
                    services().GetRequiredService<ILoggerFactory>().CreateLogger("Lock.Host.Election"), timeline)),
                candidateId: name, ttl: election.Ttl);
        });
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Lock.Host.Serve");
        log.LogInformation("{Node} serving on {Redis}; Ctrl+C or SIGTERM stops it and releases its locks", name, settings.Redis.Description);
        try
        {
            await Task.Delay(Timeout.Infinite, stopRequested);
        }
        catch (OperationCanceledException)
        {
            log.LogInformation("{Node} stopping", name);
        }
        var locks = host.Services.GetRequiredService<DistributedLocks>();
        await host.StopAsync(CancellationToken.None);
        try
        {
            var released = await locks.ReleasedOnShutdown.WaitAsync(TimeSpan.FromSeconds(1));
            log.LogInformation("{Node} stopped; coordinated shutdown released {Count} lock(s)", name, released);
        }
        catch (Exception e)
        {
            log.LogWarning("{Node} stopped, but not every lock was released (the rest expire on their TTL): {Error}", name, e.Message);
        }
        return 0;
    }
}
