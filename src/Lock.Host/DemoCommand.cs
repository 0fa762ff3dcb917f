using System.CommandLine;
using Akka.Actor;
using Lock.Actors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lock.Host;

/// <summary>
/// <c>demo</c>: the original use case, for real. Several nodes (ActorSystems) with several workers
/// each all try to run the daily job every day of a simulated week; the lock must make each day's
/// job run exactly once. Exits 0 only if it did, as checked from the job's records in Redis.
/// </summary>
internal static class DemoCommand
{
    public const int DefaultNodes = 3;
    public const int DefaultWorkers = 4;
    public const int DefaultDays = 7;

    public static Command Create(GlobalOptions global)
    {
        var nodes = PositiveOption("--nodes", DefaultNodes, "ActorSystems in the process.");
        var workers = PositiveOption("--workers", DefaultWorkers, "Worker actors per node.");
        var days = PositiveOption("--days", DefaultDays, "Simulated days.");
        var command = new Command("demo", "Run the daily-job demo: many workers, one job a day, exactly once (the default command).")
        {
            nodes, workers, days,
        };
        command.SetAction((parse, cancellationToken) => global.RunAsync(parse, cancellationToken,
            (settings, output, token) => RunAsync(settings, parse.GetValue(nodes), parse.GetValue(workers), parse.GetValue(days), output, token)));
        return command;
    }

    public static async Task<int> RunAsync(
        NodeSettings settings, int nodeCount, int workersPerNode, int days, TextWriter output, CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid().ToString("N")[..8];
        var hosts = new List<IHost>();
        try
        {
            var workers = new List<IActorRef>();
            for (var n = 1; n <= nodeCount; n++)
            {
                var host = await LockNode.StartAsync($"node-{n}", settings, cancellationToken);
                hosts.Add(host);
                var system = host.Services.GetRequiredService<ActorSystem>();
                var locks = DistributedLocks.Get(system);
                var db = locks.Connection.GetDatabase(locks.Settings.RedisDatabase);
                for (var w = 1; w <= workersPerNode; w++)
                    workers.Add(system.ActorOf(DailyJobWorker.Props(locks.Manager, db, $"node-{n}/worker-{w}"), $"worker-{w}"));
            }

            await output.WriteLineAsync($"Redis: {settings.Redis.Description}. {nodeCount} nodes x {workersPerNode} workers, job '{DailyJobWorker.JobKey}'.");
            await output.WriteLineAsync();
            await output.WriteLineAsync($"{"Day",3}  {"Job ran on",-18} {"Fencing token",18}  {"Others",6}  Others waited (p50 / max)");
            await output.WriteLineAsync($"{"---",3}  {new string('-', 18)} {new string('-', 18)}  {"------",6}  {new string('-', 25)}");

            var runsKeys = new List<string>();
            for (var day = 1; day <= days; day++)
            {
                var runsKey = $"lock-demo:{runId}:day-{day}";
                runsKeys.Add(runsKey);
                var outcomes = await Task.WhenAll(workers.Select(worker =>
                    worker.Ask<DailyJobWorker.DayOutcome>(new DailyJobWorker.RunDay(day, runsKey), TimeSpan.FromSeconds(60), cancellationToken)));
                var ran = outcomes.Where(o => o.Ran).ToList();
                var others = outcomes.Where(o => !o.Ran).Select(o => o.Waited.TotalMilliseconds).Order().ToList();
                var ranOn = ran.Count switch { 0 => "(nobody)", 1 => ran[0].Worker, _ => string.Join(",", ran.Select(r => r.Worker)) };
                var fencing = ran.Count == 1 ? ran[0].FencingToken.ToString() : "-";
                var waits = others.Count == 0 ? "-" : $"{Percentile(others, 0.5):0} ms / {others[^1]:0} ms";
                await output.WriteLineAsync($"{day,3}  {ranOn,-18} {fencing,18}  {others.Count,6}  {waits}");
            }

            // The verdict comes from the job's own records in Redis, not from what the workers reported.
            var first = DistributedLocks.Get(hosts[0].Services.GetRequiredService<ActorSystem>());
            var db0 = first.Connection.GetDatabase(first.Settings.RedisDatabase);
            var runsPerDay = new List<long>();
            foreach (var key in runsKeys) runsPerDay.Add(await db0.ListLengthAsync(key));
            foreach (var key in runsKeys) await db0.KeyDeleteAsync(key);
            var runs = runsPerDay.Sum();
            var duplicates = runsPerDay.Sum(count => Math.Max(0, count - 1));
            var missed = runsPerDay.Count(count => count == 0);

            await output.WriteLineAsync();
            await output.WriteLineAsync($"{days} days, {runs} runs, {duplicates} duplicates" + (missed > 0 ? $", {missed} days missed" : ""));
            var exactlyOnce = duplicates == 0 && missed == 0;
            await output.WriteLineAsync(exactlyOnce
                ? "Exactly once: every day's job ran on one worker only."
                : "NOT exactly once: see the table above.");
            return exactlyOnce ? 0 : HostFailureException.Failed;
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync(CancellationToken.None);
                host.Dispose();
            }
        }
    }

    private static Option<int> PositiveOption(string name, int defaultValue, string description)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1) result.AddError($"{name} must be at least 1.");
        });
        return option;
    }

    private static double Percentile(IReadOnlyList<double> sorted, double fraction) =>
        sorted[(int)Math.Clamp(Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
}
