using System.CommandLine;
using Lock.Actors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lock.Host;

/// <summary><c>release KEY --token T</c>: gives back a lock held by that token, from any shell (what <c>hold</c> printed).</summary>
internal static class ReleaseCommand
{
    public static Command Create(GlobalOptions global)
    {
        var key = new Argument<string>("key") { Description = "The lock's key, as the application names it." };
        var token = new Option<string>("--token") { Description = "The holder's token (hold prints it).", Required = true };
        var command = new Command("release", "Release a lock by its token (only that token's hold is released).") { key, token };
        command.SetAction((parse, cancellationToken) => global.RunNamedAsync(parse, "release", cancellationToken,
            (settings, output, stop) => RunAsync(settings, parse.GetValue(key)!, parse.GetValue(token)!, output, stop)));
        return command;
    }

    public static async Task<int> RunAsync(NodeSettings settings, string key, string token, TextWriter output, CancellationToken cancellationToken)
    {
        using var host = await LockNode.StartAsync("lock-actors-release", settings, cancellationToken, selfTest: false);
        try
        {
            bool released;
            try
            {
                released = await host.Services.GetRequiredService<ILockService>().ReleaseAsync(key, token, cancellationToken);
            }
            catch (LockOperationException e)
            {
                throw new HostFailureException(e.Message,
                    e.Reason == Actors.LockProtocol.LockFailure.InvalidRequest ? HostFailureException.Misconfigured : HostFailureException.Failed);
            }
            await output.WriteLineAsync(released
                ? $"Released '{key}'."
                : $"'{key}' is not held by that token (released, expired or taken over): nothing was released.");
            return released ? 0 : HostFailureException.Failed;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
