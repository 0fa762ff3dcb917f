using System.CommandLine;
using Lock.Actors;
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
        var command = new Command("serve", "Run a lock node until Ctrl+C / SIGTERM; on shutdown every lock it holds is released.") { name };
        command.SetAction((parse, cancellationToken) => global.RunAsync(parse, cancellationToken,
            (settings, _, token) => RunAsync(settings, parse.GetValue(name)!, token)));
        return command;
    }

    public static async Task<int> RunAsync(NodeSettings settings, string name, CancellationToken stopRequested)
    {
        using var host = await LockNode.StartAsync(name, settings, stopRequested);
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
