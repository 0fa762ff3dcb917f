using System.CommandLine;

namespace Lock.Host;

/// <summary>
/// The command line of the host (the <c>lock-actors</c> tool): <c>demo</c> (also what runs without a command),
/// <c>locks</c>, <c>serve</c>, <c>hold</c>, <c>release</c>.
/// </summary>
internal static class LockHostCli
{
    // Long enough for coordinated shutdown to release every lock after Ctrl+C or SIGTERM.
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(20);

    public static RootCommand Build()
    {
        var global = new GlobalOptions();
        var root = new RootCommand("lock-actors runs Lock.Actors nodes (distributed locks for Akka.NET on Redis) and inspects and holds their locks. Without a command it runs the demo.");
        global.AddTo(root);
        var demo = DemoCommand.Create(global);
        root.Subcommands.Add(demo);
        root.Subcommands.Add(LocksCommand.Create(global));
        root.Subcommands.Add(ServeCommand.Create(global));
        root.Subcommands.Add(HoldCommand.Create(global));
        root.Subcommands.Add(ReleaseCommand.Create(global));
        root.Subcommands.Add(StressCommand.Create(global));
        root.SetAction((parse, cancellationToken) => global.RunAsync(parse, cancellationToken,
            (settings, output, token) => DemoCommand.RunAsync(
                settings, DemoCommand.DefaultNodes, DemoCommand.DefaultWorkers, DemoCommand.DefaultDays, output, token)));
        return root;
    }

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        Build().Parse(args).InvokeAsync(
            new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = ShutdownGrace },
            cancellationToken);
}
