using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Lock.Actors;

/// <summary>Adds distributed locks to an Akka.Hosting application in one line.</summary>
public static class DistributedLocksHostingExtensions
{
    /// <summary>
    /// Starts the lock subsystem with the ActorSystem and registers the manager as
    /// <c>IRequiredActor&lt;LockManager&gt;</c>. Pair it with <see cref="AddLockService"/> when code
    /// outside the actors resolves <see cref="LockService"/> from the container.
    /// <code>services.AddAkka("app", b => b.WithDistributedLocks(o => o.RedisConfiguration = "redis:6379"));</code>
    /// </summary>
    public static AkkaConfigurationBuilder WithDistributedLocks(
        this AkkaConfigurationBuilder builder, Action<DistributedLocksOptions>? configure = null)
    {
        var options = new DistributedLocksOptions();
        configure?.Invoke(options);
        return builder.WithDistributedLocks(options);
    }

    /// <inheritdoc cref="WithDistributedLocks(AkkaConfigurationBuilder, Action{DistributedLocksOptions})"/>
    public static AkkaConfigurationBuilder WithDistributedLocks(
        this AkkaConfigurationBuilder builder, DistributedLocksOptions options)
    {
        // The options' keys go in front of the application's HOCON, the defaults behind it.
        var overrides = options.ToConfig();
        if (!overrides.IsEmpty) builder.AddHocon(overrides, HoconAddMode.Prepend);
        builder.AddHocon(DistributedLocks.DefaultConfig(), HoconAddMode.Append);

        if (options.ConnectionFactory is { } factory)
        {
            builder.AddSetup(new DistributedLocksSetup(system =>
                factory(DependencyResolver.For(system).Resolver.GetService<IServiceProvider>())));
        }

        // Started with the ActorSystem (not first in WithActors): a singleton's lease may be asked for
        // by actors started before ours, and the lease's config sections are added as it starts.
        return builder
            .WithExtension<DistributedLocksProvider>()
            .WithActors((system, registry) => registry.Register<LockManager>(DistributedLocks.Get(system).Manager));
    }

    /// <summary>
    /// Makes <see cref="LockService"/> (also as <see cref="ILockService"/>) and <see cref="DistributedLocks"/> of the application's
    /// ActorSystem resolvable. (Akka.Hosting keeps its service collection to itself, so this is the
    /// one call beside <c>AddAkka</c>.)
    /// </summary>
    public static IServiceCollection AddLockService(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => DistributedLocks.Get(sp.GetRequiredService<ActorSystem>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<DistributedLocks>().Service);
        services.TryAddSingleton<ILockService>(sp => sp.GetRequiredService<LockService>());
        return services;
    }
}
