using Akka.Actor;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors;

/// <summary>
/// A term as leader of <see cref="Name"/>, from <see cref="LockService.CampaignAsync"/>. The watchdog
/// keeps it alive; <see cref="Lost"/> is cancelled when it ends without a resign (lost in Redis, run
/// out, or the node shutting down). Disposing it resigns, and the next candidate leads at once.
/// </summary>
public sealed class Leadership : IAsyncDisposable
{
    private readonly IActorRef _manager;
    private readonly IActorRef _candidate;
    private readonly TimeSpan _operationTimeout;
    private readonly CancellationTokenSource _lost = new();
    private int _resigned;

    internal Leadership(string name, long fencingToken, IActorRef manager, IActorRef candidate, TimeSpan operationTimeout)
    {
        Name = name;
        FencingToken = fencingToken;
        _manager = manager;
        _candidate = candidate;
        _operationTimeout = operationTimeout;
    }

    /// <summary>The election's name.</summary>
    public string Name { get; }

    /// <summary>The term: higher than every earlier term's. Pass it to what the leader writes to, so a deposed leader's late writes are refused.</summary>
    public long FencingToken { get; }

    /// <summary>Cancelled when leadership is lost without a resign.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>
    /// Ends the term (the next candidate is elected through the release notification). When the node
    /// cannot confirm it in time, the term still ends: the candidate stops, which releases it, or it
    /// expires on its TTL.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _resigned, 1) == 1) return;
        try
        {
            await _manager.Ask<Resigned>(new Resign(Name, _candidate), _operationTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            // Stopping the candidate below releases the term through the owner binding.
        }
        finally
        {
            // Lost stays readable (never cancelled after a resign); the source holds no timer to dispose.
            _candidate.Tell(PoisonPill.Instance);
        }
    }

    internal void MarkLost()
    {
        if (Volatile.Read(ref _resigned) == 1) return;
        _lost.Cancel();
    }

    /// <summary>The election and its term.</summary>
    public override string ToString() => $"Leadership {{ Name = {Name}, FencingToken = {FencingToken} }}";
}
