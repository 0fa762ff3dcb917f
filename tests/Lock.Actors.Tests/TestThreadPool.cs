using System.Runtime.CompilerServices;

namespace Lock.Actors.Tests;

internal static class TestThreadPool
{
    // One test process hosts many ActorSystems, Redis clients, fixtures that start and stop
    // redis-server, sentinels and clusters, and helpers that wait on child processes. On two cores
    // the pool starts with two worker threads and adds about one a second. In full runs, specs early
    // in the run saw timers and replies late by most of a second (a watchdog extend due at a third of
    // the TTL went out 1.8 s late; a 2 s acquire answered at 2.9 s), and passed every time alone: the
    // likeliest cause is a pool still growing while some of its threads wait. Starting with enough
    // threads removes that wait; it changes no bound a spec asserts.
    [ModuleInitializer]
    internal static void StartWithEnoughThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }
}
