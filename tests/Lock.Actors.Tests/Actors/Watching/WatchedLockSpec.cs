using Lock.Actors.Actors.Watching;
using Lock.Actors.Redis;

namespace Lock.Actors.Tests.Actors.Watching;

/// <summary>The ordering rule of what watchers are told, without Redis: announcements and reads in every order.</summary>
[Trait("Category", "Unit")]
public sealed class WatchedLockSpec
{
    private readonly WatchedLock _lock = new();
    private readonly List<LockView> _told = [];

    private static LockChange Granted(long token, string? label = null) => new("lock:{k}", true, token, TimeSpan.FromSeconds(30), label);
    private static LockChange Released(long token) => new("lock:{k}", false, token, null, null);
    private static WatchedState Free(long? counter) => new(false, counter, null, null);
    private static WatchedState Held(long token, string? label = null) => new(true, token, label, TimeSpan.FromSeconds(30));

    private List<LockView> Told()
    {
        var told = _told.ToList();
        _told.Clear();
        return told;
    }

    [Fact]
    public void The_first_read_is_told_as_it_is_and_announcements_before_it_are_not()
    {
        _lock.Announced(Granted(5), _told);
        Assert.Empty(Told());
        _lock.Read(Held(5, "a"), newerThanAnnouncements: true, _told);
        Assert.Equal([new LockView(true, 5, "a")], Told());
    }

    [Fact]
    public void Announcements_in_order_are_told_in_order()
    {
        _lock.Read(Free(4), true, _told);
        Told();
        _lock.Announced(Granted(5, "a"), _told);
        _lock.Announced(Released(5), _told);
        _lock.Announced(Granted(6, "b"), _told);
        Assert.Equal([new LockView(true, 5, "a"), new LockView(false, 5, "a"), new LockView(true, 6, "b")], Told());
    }

    [Fact]
    public void An_announcement_older_than_what_was_told_is_dropped()
    {
        _lock.Read(Free(4), true, _told);
        _lock.Announced(Granted(5), _told);
        _lock.Announced(Released(5), _told);
        Told();
        _lock.Announced(Granted(5), _told); // the grant, arriving after its own release
        _lock.Announced(Released(4), _told);
        _lock.Announced(Granted(3), _told);
        Assert.Empty(Told());
    }

    [Fact]
    public void The_end_of_a_hold_whose_grant_was_not_seen_tells_the_grant_first()
    {
        _lock.Read(Free(4), true, _told);
        Told();
        _lock.Announced(Released(7), _told);
        Assert.Equal([new LockView(true, 7, null), new LockView(false, 7, null)], Told());
    }

    [Fact]
    public void A_later_grant_tells_the_end_of_the_hold_before_it_first()
    {
        _lock.Read(Held(5, "a"), true, _told);
        Told();
        // Hold 5 expired (nothing announces that) and 6 was granted: 5 has surely ended.
        _lock.Announced(Granted(6, "b"), _told);
        Assert.Equal([new LockView(false, 5, "a"), new LockView(true, 6, "b")], Told());
        _lock.Read(Held(8, "c"), true, _told);
        Assert.Equal([new LockView(false, 6, "b"), new LockView(true, 8, "c")], Told());
    }

    [Fact]
    public void A_read_newer_than_every_announcement_is_the_truth()
    {
        _lock.Read(Held(5, "a"), true, _told);
        Told();
        _lock.Read(Free(5), newerThanAnnouncements: true, _told); // expired
        Assert.Equal([new LockView(false, 5, "a")], Told());
        _lock.Read(Held(9, "c"), true, _told);
        Assert.Equal([new LockView(true, 9, "c")], Told());
    }

    [Fact]
    public void A_read_racing_with_announcements_is_placed_by_its_token()
    {
        _lock.Read(Free(4), true, _told);
        _lock.Announced(Granted(5), _told);
        _lock.Announced(Released(5), _told);
        Told();
        // Ran before the release was announced: it must not bring the hold back.
        Assert.True(_lock.Read(Held(5), newerThanAnnouncements: false, _told));
        Assert.Empty(Told());
        // Ran after a grant not yet announced: it is news.
        Assert.True(_lock.Read(Held(6, "b"), newerThanAnnouncements: false, _told));
        Assert.Equal([new LockView(true, 6, "b")], Told());
    }

    [Fact]
    public void A_racing_read_without_a_token_cannot_be_placed()
    {
        _lock.Read(Held(5), true, _told);
        Told();
        Assert.False(_lock.Read(Free(null), newerThanAnnouncements: false, _told));
        Assert.Empty(Told());
    }

    [Fact]
    public void A_hold_that_began_and_ended_between_reads_moves_the_order_on()
    {
        _lock.Read(Free(4), true, _told);
        Told();
        _lock.Read(Free(8), true, _told);
        Assert.Empty(Told());
        // Announcements of that hold, arriving late, are older than what is known now.
        _lock.Announced(Released(8), _told);
        Assert.Empty(Told());
    }

    [Fact]
    public void Announcements_are_parsed_as_the_scripts_write_them()
    {
        // The key's length is in bytes (é is two), and the label follows the key directly.
        var granted = LockChange.Parse("+1796:30000:12:lock:{k|é}xcandidate 7"u8);
        Assert.Equal(new LockChange("lock:{k|é}x", true, 1796, TimeSpan.FromSeconds(30), "candidate 7"), granted);
        var released = LockChange.Parse("-1796::8:lock:{k}"u8);
        Assert.Equal(new LockChange("lock:{k}", false, 1796, null, null), released);
        Assert.Equal(new LockChange("lock:{k}", false, null, null, null), LockChange.Parse("-::8:lock:{k}"u8));
        Assert.Null(LockChange.Parse("hello"u8));
        Assert.Null(LockChange.Parse("+1:2:99:short"u8));
    }
}
