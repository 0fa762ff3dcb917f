using Akka.Actor;
using Akka.Configuration;
using Lock.Actors;

// A package user's first program: one ActorSystem, the facade, one lock taken and given back.
var redis = args.Length > 0 ? args[0] : "127.0.0.1:6379";
var config = ConfigurationFactory.ParseString($"lock.redis.configuration = \"{redis}\"");
using var system = ActorSystem.Create("net8-consumer", config);
var locks = DistributedLocks.Get(system).Service;
long fencingToken;
await using (var handle = await locks.AcquireAsync("consumer:net8", TimeSpan.FromSeconds(10)))
{
    fencingToken = handle.FencingToken;
    if (!await locks.IsLockedAsync("consumer:net8")) throw new InvalidOperationException("held, yet not locked in Redis");
}
if (await locks.IsLockedAsync("consumer:net8")) throw new InvalidOperationException("released, yet still locked in Redis");
Console.WriteLine($"net8 console consumer: acquired and released consumer:net8 (fencing token {fencingToken}), runtime {Environment.Version}");
await system.Terminate();
