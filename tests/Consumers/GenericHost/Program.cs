using Akka.Hosting;
using Lock.Actors;
using Lock.Actors.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// A generic-host application: locks through Akka.Hosting, the facade from the container.
var builder = Host.CreateApplicationBuilder();
builder.Services.AddAkka("hosted-consumer", akka => akka
    .WithLoggerFactoryByCategory()
    .WithDistributedLocks(options => options.RedisConfiguration = args.Length > 0 ? args[0] : "127.0.0.1:6379"));
builder.Services.AddLockService();
using var host = builder.Build();
await host.StartAsync();
var locks = host.Services.GetRequiredService<ILockService>();
long fencingToken;
await using (var handle = await locks.AcquireAsync("consumer:hosted", TimeSpan.FromSeconds(10)))
    fencingToken = handle.FencingToken;
if (await locks.IsLockedAsync("consumer:hosted")) throw new InvalidOperationException("released, yet still locked in Redis");
Console.WriteLine($"generic-host consumer: acquired and released consumer:hosted (fencing token {fencingToken}), runtime {Environment.Version}");
await host.StopAsync();
