using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Lock.Actors.Diagnostics;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Hosting;

/// <summary>The Lock.Actors meter, read the way OpenTelemetry or dotnet-counters would read it.</summary>
[Collection(RedisCollection.Name)]
public sealed class MetricsSpec : LockSpec
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, string? Reason)> _measurements = new();
    private readonly ConcurrentDictionary<string, string?> _units = new();

    public MetricsSpec(RedisFixture redis, ITestOutputHelper output) : base(redis, output)
    {
        var system = Sys.Name;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != LockMeter.Name) return;
            _units[instrument.Name] = instrument.Unit;
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags, system));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags, system));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags, system));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, string system)
    {
        string? actorSystem = null, reason = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "actor_system") actorSystem = tag.Value as string;
            if (tag.Key == "reason") reason = tag.Value as string;
        }
        // Other tests' systems publish on the same meter name; count only ours.
        if (actorSystem == system) _measurements.Enqueue((instrument.Name, value, reason));
    }

    private double Sum(string instrument, string? reason = null) =>
        _measurements.Where(m => m.Instrument == instrument && (reason is null || m.Reason == reason)).Sum(m => m.Value);

    private double Gauge(string instrument)
    {
        _listener.RecordObservableInstruments();
        return _measurements.Last(m => m.Instrument == instrument).Value;
    }

    [Fact]
    public async Task Counters_gauges_and_the_wait_histogram_follow_what_the_node_does()
    {
        var owner = CreateTestProbe();
        Manager.Tell(new Acquire("m1", Ttl: TimeSpan.FromMilliseconds(900), AutoExtend: true, Owner: owner));
        var m1 = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Acquire("m2"));
        var m2 = await ExpectMsgAsync<LockAcquired>();
        // Gauges are sampled: they catch up with the actors a moment after the replies.
        await AwaitAssertAsync(() => Assert.Equal(2, Gauge(LockMeter.Active)));

        var waiter = CreateTestProbe();
        Manager.Tell(new Acquire("m2", Timeout: TimeSpan.FromSeconds(10)), waiter);
        await AwaitAssertAsync(() => Assert.Equal(1, Gauge(LockMeter.Waiters)));

        Manager.Tell(new Extend("m2", m2.Token));
        await ExpectMsgAsync<LockExtended>();
        Manager.Tell(new Release("m2", m2.Token));
        await ExpectMsgAsync<LockReleased>();
        var handedOver = await waiter.ExpectMsgAsync<LockAcquired>();
        await AwaitAssertAsync(() => Assert.Equal(0, Gauge(LockMeter.Waiters)));

        Manager.Tell(new Acquire("m2", Timeout: TimeSpan.Zero));
        Assert.Equal(AcquireFailure.Timeout, (await ExpectMsgAsync<LockNotAcquired>()).Reason);
        Manager.Tell(new Acquire(" "));
        await ExpectMsgAsync<LockNotAcquired>();

        await Redis.Db.KeyDeleteAsync(RedisKey("m1"));
        Assert.Equal(m1.Token, (await owner.ExpectMsgAsync<LockLost>(TimeSpan.FromSeconds(3))).Token);

        Assert.Equal(3, Sum(LockMeter.Acquired));
        Assert.Equal(3, _measurements.Count(m => m.Instrument == LockMeter.AcquireWait));
        // OpenTelemetry's conventions: durations in seconds.
        Assert.Equal("s", _units[LockMeter.AcquireWait]);
        Assert.All(_measurements.Where(m => m.Instrument == LockMeter.AcquireWait), m => Assert.InRange(m.Value, 0, 10));
        Assert.Equal(1, Sum(LockMeter.NotAcquired, "timeout"));
        Assert.Equal(1, Sum(LockMeter.NotAcquired, "invalid_request"));
        Assert.True(Sum(LockMeter.Extended) >= 1);
        Assert.Equal(1, Sum(LockMeter.Released));
        Assert.Equal(1, Sum(LockMeter.Lost));
        await AwaitAssertAsync(() => Assert.Equal(1, Gauge(LockMeter.Active)));
        Assert.True(handedOver.FencingToken > m2.FencingToken, "the hand-off's grant is a new one");
    }

    public override async Task DisposeAsync()
    {
        _listener.Dispose();
        await base.DisposeAsync();
    }
}
