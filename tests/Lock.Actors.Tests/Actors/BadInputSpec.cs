using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Xunit.Abstractions;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Actors;

[Collection(RedisCollection.Name)]
public sealed class BadInputSpec(RedisFixture redis, ITestOutputHelper output) : LockSpec(redis, output)
{
    public static TheoryData<string?, string> BadKeys => new()
    {
        { null, "must not be null" },
        { "", "must not be empty" },
        { "   ", "must not be empty" },
        { new string('k', 513), "513 characters long" },
        { "line\nbreak", "control character U+000A" },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task A_bad_key_is_refused_with_a_typed_failure_and_the_manager_keeps_working(string? key, string problem)
    {
        Manager.Tell(new Acquire(key!));
        var refused = await ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.InvalidRequest, refused.Reason);
        Assert.Contains(problem, refused.Message);

        Manager.Tell(new Release(key!, "token"));
        Assert.Equal(LockFailure.InvalidRequest, (await ExpectMsgAsync<ReleaseFailed>()).Reason);
        Manager.Tell(new Extend(key!, "token"));
        Assert.Equal(LockFailure.InvalidRequest, (await ExpectMsgAsync<ExtendFailed>()).Reason);
        Manager.Tell(new IsLocked(key!));
        Assert.Equal(LockFailure.InvalidRequest, (await ExpectMsgAsync<LockStatusFailed>()).Reason);

        await AssertManagerStillWorksAndNothingWasWritten();
    }

    [Fact]
    public async Task A_key_of_exactly_the_maximum_length_is_accepted()
    {
        Manager.Tell(new Acquire(new string('k', 512)));
        await ExpectMsgAsync<LockAcquired>();
    }

    public static TheoryData<TimeSpan, string> BadTtls => new()
    {
        { TimeSpan.Zero, "at least 1ms" },
        { TimeSpan.FromSeconds(-5), "at least 1ms" },
        { TimeSpan.FromTicks(5_000), "at least 1ms" }, // half a millisecond: below Redis PX precision
        { TimeSpan.FromDays(400), "exceeds lock.max-ttl" },
    };

    [Theory]
    [MemberData(nameof(BadTtls))]
    public async Task A_bad_ttl_is_refused_naming_the_key(TimeSpan ttl, string problem)
    {
        Manager.Tell(new Acquire("ttl-key", Ttl: ttl));
        var refused = await ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal((AcquireFailure.InvalidRequest, "ttl-key"), (refused.Reason, refused.Key));
        Assert.Contains(problem, refused.Message);
        Assert.Contains("ttl-key", refused.Message);

        Manager.Tell(new Extend("ttl-key", "token", ttl));
        Assert.Equal(LockFailure.InvalidRequest, (await ExpectMsgAsync<ExtendFailed>()).Reason);
        await AssertManagerStillWorksAndNothingWasWritten();
    }

    [Fact]
    public async Task A_negative_timeout_other_than_infinite_is_refused()
    {
        Manager.Tell(new Acquire("timeout-key", Timeout: TimeSpan.FromMilliseconds(-2)));
        var refused = await ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(AcquireFailure.InvalidRequest, refused.Reason);
        Assert.Contains("must not be negative", refused.Message);
        await AssertManagerStillWorksAndNothingWasWritten();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task A_null_or_empty_token_is_refused(string? token)
    {
        Manager.Tell(new Release("token-key", token!));
        var release = await ExpectMsgAsync<ReleaseFailed>();
        Assert.Equal(LockFailure.InvalidRequest, release.Reason);
        Assert.Contains("token-key", release.Message);
        Manager.Tell(new Extend("token-key", token!));
        Assert.Equal(LockFailure.InvalidRequest, (await ExpectMsgAsync<ExtendFailed>()).Reason);
    }

    [Fact]
    public async Task Release_and_extend_of_a_key_this_token_does_not_hold_are_refused_as_not_held()
    {
        Manager.Tell(new Acquire("mine"));
        var mine = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Acquire("other"));
        var other = await ExpectMsgAsync<LockAcquired>();

        // A real token, but of another key.
        Manager.Tell(new Release("mine", other.Token));
        Assert.Equal(LockFailure.NotHeld, (await ExpectMsgAsync<ReleaseFailed>()).Reason);
        Manager.Tell(new Extend("mine", other.Token));
        Assert.Equal(LockFailure.NotHeld, (await ExpectMsgAsync<ExtendFailed>()).Reason);
        Assert.Equal(mine.Token, (string?)await Redis.Db.StringGetAsync(RedisKey("mine")));
    }

    [Fact]
    public async Task Keys_with_spaces_braces_and_emoji_are_ordinary_keys()
    {
        foreach (var key in new[] { "with space", "{braced}", "a}b{c", "🔒 emoji" })
        {
            Manager.Tell(new Acquire(key));
            var acquired = await ExpectMsgAsync<LockAcquired>();
            Assert.Equal(acquired.Token, (string?)await Redis.Db.StringGetAsync(RedisKey(key)));
            Manager.Tell(new Release(key, acquired.Token));
            await ExpectMsgAsync<LockReleased>();
        }
    }

    private async Task AssertManagerStillWorksAndNothingWasWritten()
    {
        Assert.Empty(Redis.KeysUnder(Prefix));
        Manager.Tell(new Acquire("after-bad-input"));
        var acquired = await ExpectMsgAsync<LockAcquired>();
        Manager.Tell(new Release("after-bad-input", acquired.Token));
        await ExpectMsgAsync<LockReleased>();
    }
}
