using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace Lock.Host;

/// <summary>
/// What <c>serve --campaign</c> runs while the node leads: it logs the term's start and end and, with
/// a timeline to write to, writes to it every <see cref="WriteInterval"/> under the term's fencing token.
/// </summary>
internal sealed class LeaderTermActor : ReceiveActor, IWithTimers
{
    public static readonly TimeSpan WriteInterval = TimeSpan.FromMilliseconds(20);

    private sealed record Write
    {
        public static Write Instance { get; } = new();
    }

    private readonly string _node;
    private readonly string _election;
    private readonly long _term;
    private readonly ILogger _log;
    private readonly TermTimeline? _timeline;

    public ITimerScheduler Timers { get; set; } = null!;

    public LeaderTermActor(string node, string election, long term, ILogger log, TermTimeline? timeline)
    {
        _node = node;
        _election = election;
        _term = term;
        _log = log;
        _timeline = timeline;
        ReceiveAsync<Write>(async _ =>
        {
            if (!await _timeline!.WriteAsync(_term, _node))
                _log.LogError("{Node}: a later term has written; term {Term} of {Election} is stale", _node, _term, _election);
        });
    }

    protected override void PreStart()
    {
        _log.LogInformation("{Node} elected to lead {Election} (term {Term})", _node, _election, _term);
        if (_timeline is null) return;
        Self.Tell(Write.Instance);
        Timers.StartPeriodicTimer(Write.Instance, Write.Instance, WriteInterval);
    }

    protected override void PostStop() =>
        _log.LogInformation("{Node} no longer leads {Election} (term {Term})", _node, _election, _term);
}
