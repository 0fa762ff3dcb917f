using System.CommandLine;
using Lock.Actors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Lock.Actors.LockProtocol;

namespace Lock.Host;

/// <summary>
/// <c>hold KEY</c>: an operator's maintenance lock. Holds the key until Ctrl+C or SIGTERM, kept alive by
/// the watchdog, and releases it on the way out; prints the token that <c>release</c> takes.
/// </summary>
internal static class HoldCommand
{
    public static Command Create(GlobalOptions global)
    {
        var key = new Argument<string>("key") { Description = "The lock's key, as the application names it." };
        var ttl = new Option<string>("--ttl")
        {
            Description = "The lock's TTL (30s, 5m, …): how long it outlives this command if it is killed. The watchdog renews it meanwhile.",
            DefaultValueFactory = _ => "30s",
        };
        var timeout = new Option<string>("--timeout")
        {
            Description = "How long to wait while the key is held elsewhere.",
            DefaultValueFactory = _ => "10s",
        };
        var command = new Command("hold", "Hold a lock until Ctrl+C / SIGTERM (kept alive, released on exit), for maintenance from the shell.")
        {
            key, ttl, timeout,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            // Read once, by the check (before any server starts), for the body.
            TimeSpan ttlValue = default, timeoutValue = default;
            return global.RunNamedAsync(parse, "hold", cancellationToken,
                (settings, output, token) => RunAsync(settings, parse.GetValue(key)!, ttlValue, timeoutValue, output, token),
                check: () =>
                {
                    ttlValue = CommandValues.Duration(parse.GetValue(ttl)!, "--ttl");
                    timeoutValue = CommandValues.Duration(parse.GetValue(timeout)!, "--timeout");
                });
        });
        return command;
    }

    public static async Task<int> RunAsync(
        NodeSettings settings, string key, TimeSpan ttl, TimeSpan timeout, TextWriter output, CancellationToken stopRequested)
    {
        using var host = await LockNode.StartAsync("lock-actors-hold", settings, stopRequested, selfTest: false);
        try
        {
            var service = host.Services.GetRequiredService<ILockService>();
            LockHandle? handle;
            try
            {
                handle = await service.TryAcquireAsync(key, ttl, timeout, autoExtend: true, stopRequested);
            }
            catch (LockAcquireException e)
            {
                throw new HostFailureException(e.Message, e.Reason == AcquireFailure.InvalidRequest ? HostFailureException.Misconfigured : HostFailureException.Failed);
            }
            catch (OperationCanceledException)
            {
                return HostFailureException.Failed;
            }
            if (handle is null)
                throw new HostFailureException($"'{key}' is held elsewhere: not acquired within {timeout.TotalSeconds:0.###} s.", HostFailureException.Failed);

            await output.WriteLineAsync($"Holding '{key}' (fencing token {handle.FencingToken}, TTL {ttl.TotalSeconds:0.###} s, kept alive). Ctrl+C releases it.");
            await output.WriteLineAsync($"From another shell: lock-actors release '{key}' --token {handle.Token}");
            await output.FlushAsync(CancellationToken.None);
            try
            {
                using var either = CancellationTokenSource.CreateLinkedTokenSource(stopRequested, handle.Lost);
                await Task.Delay(Timeout.Infinite, either.Token);
            }
            catch (OperationCanceledException) when (handle.Lost.IsCancellationRequested)
            {
                throw new HostFailureException($"Lost '{key}': it was no longer held in Redis (expired, deleted or taken over).", HostFailureException.Failed);
            }
            catch (OperationCanceledException)
            {
            }
            var released = await handle.ReleaseAsync(CancellationToken.None);
            await output.WriteLineAsync(released ? $"Released '{key}'." : $"'{key}' was no longer held when released.");
            return released ? 0 : HostFailureException.Failed;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
