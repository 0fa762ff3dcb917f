using Akka.Actor;
using Lock.Actors.Actors.KeyLock;

namespace Lock.Actors.Departures;

/// <summary>
/// The key actor's one timer policy, used by every timer it has. Idiomatic Akka starts a timer when a
/// state is entered and cancels it when the state is left; a key actor enters and leaves its states on
/// every acquire and release, and a start plus a cancel per cycle was a measurable share of an
/// uncontended cycle (README, "Where we depart from idiomatic Akka.NET"). So ticks are kept:
/// <list type="bullet">
/// <item><see cref="EnsureBy"/> makes sure a tick comes no later than a time; a pending tick that
/// comes sooner is kept, and nothing is ever cancelled.</item>
/// <item>A tick may therefore arrive early, or in a state that no longer needs it: its handler calls
/// <see cref="Arrived"/> and checks whether anything is really due, re-arming for what is left.</item>
/// <item>No tick is set further ahead than the horizon (the idle timeout, at least a second): a pending
/// tick keeps its actor reachable from the scheduler, and this way it has fired by the time an idle
/// actor is stopped.</item>
/// </list>
/// </summary>
internal sealed class KeptTick(ITimerScheduler timers, object tick, MonotonicClock clock, long horizon)
{
    private long _at = long.MaxValue;

    /// <summary>The tick comes no later than the <see cref="MonotonicClock"/> time <paramref name="due"/>.</summary>
    public void EnsureBy(long due)
    {
        if (_at <= due) return;
        _at = Math.Min(due, clock.Now + horizon);
        timers.StartSingleTimer(tick, tick, clock.Until(_at));
    }

    /// <summary>The tick was received: none is pending any more.</summary>
    public void Arrived() => _at = long.MaxValue;
}
