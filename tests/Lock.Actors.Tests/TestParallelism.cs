namespace Lock.Actors.Tests.Infrastructure;

// Test classes run in parallel where they can: the Redis-free specs (Category=Unit) beside each other
// and beside the specs on the shared Redis (one collection, so one class at a time on that server).
// The specs in AloneCollection run after those, one at a time: they stop, pause, restart or
// reconfigure a server, start topologies or worker processes, flood the thread pool, or measure
// timing that a busy neighbour would distort (a deadline reply a few hundred milliseconds late was
// seen when they ran beside the chaos run and the load spec).

/// <summary>Specs that must have the machine to themselves; they may use a shared Redis of their own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "alone";
}
