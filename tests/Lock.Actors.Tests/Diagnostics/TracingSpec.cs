using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Lock.Actors.Diagnostics;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Diagnostics;

/// <summary>
/// The spans of the activity source "Lock.Actors", read with an ActivityListener: one per acquire (its
/// wait), one per hold, one per release and extend call, each with its outcome, fencing token and key,
/// in the caller's trace.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class TracingSpec(RedisFixture redis, ITestOutputHelper output)
    : LockSpec(redis, output, "lock.default-timeout = 300ms")
{
    private readonly Spans _spans = new();

    [Fact]
    public async Task Acquire_hold_extend_and_release_are_spans_in_the_callers_trace()
    {
        var key = "traced-" + Guid.NewGuid().ToString("N")[..8];
        using var caller = new ActivitySource("TracingSpec.Caller");
        using var request = caller.StartActivity("handle-request")!;

        var handle = await Locks.Service.AcquireAsync(key, TimeSpan.FromSeconds(10));
        Assert.True(await handle.ExtendAsync(TimeSpan.FromSeconds(20)));
        Assert.True(await handle.ReleaseAsync());
        request.Stop();

        var acquire = Assert.Single(_spans.Of(LockActivities.Acquire, key));
        Assert.Equal("acquired", acquire.Tag(LockActivities.OutcomeTag));
        Assert.Equal(handle.FencingToken, acquire.GetTagItem(LockActivities.FencingTokenTag));
        var extend = Assert.Single(_spans.Of(LockActivities.Extend, key));
        Assert.Equal("extended", extend.Tag(LockActivities.OutcomeTag));
        Assert.Equal(false, extend.GetTagItem(LockActivities.WatchdogTag));
        var release = Assert.Single(_spans.Of(LockActivities.Release, key));
        Assert.Equal("released", release.Tag(LockActivities.OutcomeTag));
        Assert.Equal(handle.FencingToken, release.GetTagItem(LockActivities.FencingTokenTag));
        var hold = Assert.Single(_spans.Of(LockActivities.Hold, key));
        Assert.Equal("released", hold.Tag(LockActivities.OutcomeTag));
        Assert.Equal(handle.FencingToken, hold.GetTagItem(LockActivities.FencingTokenTag));

        foreach (var span in new[] { acquire, extend, release, hold })
        {
            Assert.Equal(request.TraceId, span.TraceId);
            Assert.Equal(request.SpanId, span.ParentSpanId);
            Assert.Equal(ActivityStatusCode.Unset, span.Status);
        }
        // The hold spans the grant to the release's landing, the acquire only the wait before the grant.
        Assert.True(hold.StartTimeUtc >= acquire.StartTimeUtc);
        Assert.True(hold.StartTimeUtc + hold.Duration >= release.StartTimeUtc);
    }

    [Fact]
    public async Task A_wait_that_times_out_a_refused_request_and_a_lost_lock_say_so()
    {
        var key = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var holder = await Manager.Ask<LockAcquired>(new Acquire(key, TimeSpan.FromSeconds(10)), RemainingOrDefault);
        var refused = await Manager.Ask<LockNotAcquired>(new Acquire(key), RemainingOrDefault);
        Assert.Equal(AcquireFailure.Timeout, refused.Reason);
        var timedOut = Assert.Single(_spans.Of(LockActivities.Acquire, key), s => s.Tag(LockActivities.OutcomeTag) == "timeout");
        Assert.Null(timedOut.GetTagItem(LockActivities.FencingTokenTag));
        // The wait is the span: it lasted the request's timeout (measured on the monotonic clock, the
        // span on the wall clock: a millisecond allows for the two clocks' rates, not for a race).
        Assert.True(timedOut.Duration >= TimeSpan.FromMilliseconds(299), $"waited {timedOut.Duration}");

        await Manager.Ask<LockNotAcquired>(new Acquire(key, Ttl: TimeSpan.FromSeconds(-1)), RemainingOrDefault);
        var invalid = Assert.Single(_spans.Of(LockActivities.Acquire, key), s => s.Tag(LockActivities.OutcomeTag) == "invalid_request");
        Assert.Equal(ActivityStatusCode.Error, invalid.Status);

        // Deleted behind the holder: its release finds it gone, and the hold ends as lost.
        await Redis.Db.KeyDeleteAsync(RedisKey(key));
        await Manager.Ask<ReleaseFailed>(new Release(key, holder.Token), RemainingOrDefault);
        Assert.Equal("lost", Assert.Single(_spans.Of(LockActivities.Hold, key)).Tag(LockActivities.OutcomeTag));
        Assert.Equal("not_held", Assert.Single(_spans.Of(LockActivities.Release, key)).Tag(LockActivities.OutcomeTag));
    }

    [Fact]
    public async Task The_watchdogs_extends_are_spans_of_their_own()
    {
        var key = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var held = await Manager.Ask<LockAcquired>(new Acquire(key, TimeSpan.FromMilliseconds(600), AutoExtend: true), RemainingOrDefault);
        await AwaitAssertAsync(() =>
        {
            var extend = Assert.IsType<Activity>(_spans.Of(LockActivities.Extend, key).FirstOrDefault());
            Assert.Equal(true, extend.GetTagItem(LockActivities.WatchdogTag));
            Assert.Equal("extended", extend.Tag(LockActivities.OutcomeTag));
            Assert.Equal(held.FencingToken, extend.GetTagItem(LockActivities.FencingTokenTag));
        }, TimeSpan.FromSeconds(5));
        await Manager.Ask<LockReleased>(new Release(key, held.Token), RemainingOrDefault);
        Assert.Equal(true, Assert.Single(_spans.Of(LockActivities.Hold, key)).GetTagItem(LockActivities.AutoExtendTag));
    }

    [Fact]
    public async Task With_hash_keys_on_a_span_names_the_key_by_its_digest_only()
    {
        var node = await StartNodeAsync("hashed", "lock.telemetry.hash-keys = on");
        var key = "customer:" + Guid.NewGuid().ToString("N");
        var held = await node.Manager.Ask<LockAcquired>(new Acquire(key), RemainingOrDefault);
        await node.Manager.Ask<LockReleased>(new Release(key, held.Token), RemainingOrDefault);

        var digest = "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant();
        Assert.Single(_spans.Of(LockActivities.Acquire, digest));
        Assert.Single(_spans.Of(LockActivities.Hold, digest));
        Assert.DoesNotContain(_spans.All, span => span.Tags.Any(tag => tag.Value?.Contains(key) == true));
    }

    public override async Task DisposeAsync()
    {
        _spans.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>Every span of the library's source that ends while the spec runs (other specs' too: filter by key).</summary>
    private sealed class Spans : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _ended = new();
        private readonly ActivityListener _listener;

        public Spans()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is LockActivities.SourceName or "TracingSpec.Caller",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.Source.Name == LockActivities.SourceName) _ended.Enqueue(activity);
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IEnumerable<Activity> All => _ended;

        public IEnumerable<Activity> Of(string name, string keyTag) =>
            _ended.Where(span => span.OperationName == name && span.Tag(LockActivities.KeyTag) == keyTag).ToList();

        public void Dispose() => _listener.Dispose();
    }
}

internal static class ActivityTags
{
    public static string? Tag(this Activity activity, string name) => activity.GetTagItem(name) as string;
}
