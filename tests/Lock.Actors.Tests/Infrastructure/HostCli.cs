using Lock.Host;
using Xunit.Abstractions;

namespace Lock.Actors.Tests.Infrastructure;

/// <summary>Runs the lock-actors command line in-process, its output captured and echoed to the spec's log.</summary>
public static class HostCli
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(ITestOutputHelper log, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exitCode = await LockHostCli.RunAsync(args, stdout, stderr);
        log.WriteLine($"$ lock-actors {string.Join(' ', args)}  -> {exitCode}\n{stdout}{stderr}");
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
