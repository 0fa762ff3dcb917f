// Test classes run one at a time. Many specs assert timing (an unavailable Redis must be reported
// within the caller's timeout, a paused one within a second), and the ones beside them load this
// machine's two cores and its one thread pool: the chaos run starts four worker processes, the load
// spec floods the pool, and every ActorSystem's lock actors share that pool. Run in parallel, a
// deadline reply was now and then a few hundred milliseconds late; run alone, each spec measures
// what it says.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
