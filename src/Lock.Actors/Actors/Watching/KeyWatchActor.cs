using Akka.Actor;
using Akka.Event;
using Lock.Actors.Departures;
using Lock.Actors.Redis;
using static Lock.Actors.Actors.Watching.WatchProtocol;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Actors.Watching;

/// <summary>
/// Watches one key for the node's watchers. Announcements of grants and releases (published by the
/// scripts while the key's watch marker exists) tell it every change at once; reads of the key give
/// the first state, catch an expiry (nothing is announced when a crashed holder's TTL runs out, so the
/// key is read again when the TTL a grant announced, or a read reported, is over), and bring it back
/// after a reconnect. <see cref="WatchedLock"/> keeps what watchers hear in order.
/// <para>Behaviours: <see cref="Starting"/> (the first read in flight; announcements kept) →
/// <see cref="Watching"/>.</para>
/// </summary>
internal sealed class KeyWatchActor : ReceiveActor, IWithTimers
{
    /// <summary>
    /// How long the watch marker lives in Redis, and how often it is renewed (with a read). A node that
    /// dies leaves its marker for at most the TTL: the key's changes are then announced to nobody.
    /// </summary>
    public static readonly TimeSpan MarkerTtl = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MarkerRenewal = TimeSpan.FromSeconds(10);

    private sealed record ReadCompleted(WatchedState State);
    private sealed record ReadFaulted(Exception Cause);
    private sealed record ReadDue
    {
        public static ReadDue Instance { get; } = new();
    }

    private const string RenewTimer = "renew";
    private const string ReadTimer = "read";

    public static Props Props(string key, LockSettings settings, ILockStore store) =>
        Akka.Actor.Props.Create(() => new KeyWatchActor(key, settings, store));

    private readonly string _key;
    private readonly LockSettings _settings;
    private readonly ILockStore _store;
    private readonly LockKeyNames _names;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly WatchedLock _lock = new();
    private readonly HashSet<Watch> _watches = [];
    private readonly List<LockChange> _early = [];
    private readonly List<LockView> _told = [];
    private bool _reading;
    private bool _announcedWhileReading;
    private bool _readAgain;

    public ITimerScheduler Timers { get; set; } = null!;

    public KeyWatchActor(string key, LockSettings settings, ILockStore store)
    {
        _key = key;
        _settings = settings;
        _store = store;
        _names = store.NamesOf(key);
        Starting();
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(RenewTimer, ReadDue.Instance, MarkerRenewal);
        Read();
    }

    // ---- behaviours ----

    private void Starting()
    {
        Receive<AddWatch>(add => _watches.Add(add.Watch));
        Receive<RemoveWatch>(remove => _watches.Remove(remove.Watch));
        Receive<ChangeAnnounced>(announced => _early.Add(announced.Change));
        Receive<ReadCompleted>(completed =>
        {
            _reading = false;
            _lock.Read(completed.State, newerThanAnnouncements: true, _told);
            foreach (var change in _early) _lock.Announced(change, _told);
            _early.Clear();
            _told.Clear();
            // Every watcher's first message: the state now.
            foreach (var watch in _watches) Tell(watch, _lock.Current!.Value);
            ExpectExpiry(completed.State.RemainingTtl);
            Become(Watching);
            if (_readAgain) Read();
        });
        CommonReceives();
    }

    private void Watching()
    {
        Receive<AddWatch>(add =>
        {
            if (_watches.Add(add.Watch)) Tell(add.Watch, _lock.Current!.Value);
        });
        Receive<RemoveWatch>(remove => _watches.Remove(remove.Watch));
        Receive<ChangeAnnounced>(announced =>
        {
            if (_reading) _announcedWhileReading = true;
            _lock.Announced(announced.Change, _told);
            if (announced.Change.Locked) ExpectExpiry(announced.Change.Ttl);
            else Timers.Cancel(ReadTimer);
            TellAll();
        });
        Receive<ReadCompleted>(completed =>
        {
            _reading = false;
            if (!_lock.Read(completed.State, newerThanAnnouncements: !_announcedWhileReading, _told)) _readAgain = true;
            TellAll();
            ExpectExpiry(completed.State.RemainingTtl);
            if (_readAgain) Read();
        });
        CommonReceives();
    }

    private void CommonReceives()
    {
        Receive<ReadFaulted>(faulted =>
        {
            _reading = false;
            _log.Warning("Reading watched lock {Key} failed ({Error}); trying again in {Interval}", _key, faulted.Cause.Message, _settings.RetryInterval);
            Timers.StartSingleTimer(ReadTimer, ReadDue.Instance, _settings.RetryInterval);
        });
        Receive<ReadDue>(_ => Read());
        Receive<ReadAll>(_ => Read());
    }

    // ---- reads ----

    private void Read()
    {
        if (_reading)
        {
            _readAgain = true;
            return;
        }
        _reading = true;
        _readAgain = false;
        _announcedWhileReading = false;
        // Delivered as the read completes (no hop through the thread pool), as the key actor's replies are.
        _store.WatchAsync(_names, MarkerTtl).PipeResultTo(Self, _names,
            static (_, state) => new ReadCompleted(state),
            static (_, cause) => new ReadFaulted(cause));
    }

    /// <summary>A hold that may end by expiring is read again when its TTL is over.</summary>
    private void ExpectExpiry(TimeSpan? remaining)
    {
        if (_lock.Current is { Locked: true } && remaining is { } ttl)
            Timers.StartSingleTimer(ReadTimer, ReadDue.Instance, ttl + TimeSpan.FromMilliseconds(1));
    }

    // ---- telling ----

    private void TellAll()
    {
        foreach (var view in _told)
        foreach (var watch in _watches)
            Tell(watch, view);
        _told.Clear();
    }

    private void Tell(Watch watch, LockView view) =>
        watch.Watcher.Tell(watch.LeaderName is { } name
            ? new LeaderChanged(name, view.Locked ? view.Label : null, view.Locked ? view.FencingToken : null)
            : new LockStateChanged(_key, view.Locked, view.FencingToken));
}
