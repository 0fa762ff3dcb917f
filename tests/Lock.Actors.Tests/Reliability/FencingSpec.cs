using Lock.Actors.Tests.Infrastructure;
using Lock.Host;
using Xunit.Abstractions;

namespace Lock.Actors.Tests.Reliability;

[Collection(RedisCollection.Name)]
public sealed class FencingSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    [Fact]
    public async Task A_holder_paused_past_its_ttl_has_its_late_write_rejected_by_the_fenced_resource()
    {
        var resource = new FencedResource(Redis.Db, Prefix);
        var other = await StartNodeAsync("node-b");

        // The slow holder: no auto-extend, and a critical section that outlives its TTL (a GC pause stand-in).
        var slow = await Locks.Service.AcquireAsync("report", TimeSpan.FromMilliseconds(400));
        Assert.True((await resource.EnterAsync("report", slow.FencingToken, "slow")).Accepted);

        // While it is "paused", the lock expires and another node takes it and writes.
        var fast = await other.Service.AcquireAsync("report", TimeSpan.FromSeconds(30), timeout: TimeSpan.FromSeconds(5));
        Assert.True(fast.FencingToken > slow.FencingToken);
        Assert.True((await resource.EnterAsync("report", fast.FencingToken, "fast")).Accepted);
        Assert.True((await resource.WriteAsync("report", fast.FencingToken, "fast")).Accepted);

        // The slow holder wakes up and writes with its old token: the resource refuses it.
        Assert.False((await resource.WriteAsync("report", slow.FencingToken, "slow")).Accepted);
        // The slow holder is told too (its TTL timer, then the event stream): eventually, not necessarily before B got in.
        await AwaitAssertAsync(() => Assert.True(slow.Lost.IsCancellationRequested, "the slow holder's handle was told its lock was lost"),
            TimeSpan.FromSeconds(3));
        await fast.DisposeAsync();
    }
}
