using Lock.Actors.Redis;
using StackExchange.Redis;

namespace Lock.Actors.Tests.Redis;

[Trait("Category", "Unit")]
public sealed class LockKeysSpec
{
    private static readonly string[] Keys =
    [
        "orders:42", "scheduler:create_daily_tables", "with space", "{braced}", "a}b{c", "}", "{", "{}", "🔒",
        new string('k', 512),
    ];

    [Theory]
    [InlineData("lock:")]
    [InlineData("{app}:lock:")]
    [InlineData("tenant-7/")]
    public void A_lock_key_and_its_fencing_counter_share_a_cluster_slot(string prefix)
    {
        var keys = new LockKeys(prefix);
        foreach (var key in Keys)
        {
            // Both keys of the acquire script must hash to one slot, or a Redis Cluster refuses the script.
            Assert.Equal(HashSlot(keys.LockKey(key)), HashSlot(keys.FenceKey(key)));
            Assert.Equal(HashSlot(keys.LockKey(key)), HashSlot(keys.WaitKey(key)));
        }
    }

    [Fact]
    public void Distinct_keys_never_share_a_lock_key_and_the_key_can_be_read_back()
    {
        var keys = new LockKeys("lock:");
        var lockKeys = Keys.Select(k => (string)keys.LockKey(k)!).ToList();
        Assert.Equal(lockKeys.Count, lockKeys.Distinct().Count());
        foreach (var key in Keys) Assert.Equal(key, keys.KeyOf(keys.LockKey(key)!));
        Assert.Null(keys.KeyOf((string)keys.FenceKey("orders:42")!));
        Assert.Null(keys.KeyOf((string)keys.WaitKey("orders:42")!));
        Assert.Null(keys.KeyOf("unrelated"));
    }

    [Fact]
    public void Plain_keys_keep_the_readable_layout()
    {
        var keys = new LockKeys("lock:");
        Assert.Equal("lock:{orders:42}", (string)keys.LockKey("orders:42")!);
        Assert.Equal("lock:fence:{orders:42}", (string)keys.FenceKey("orders:42")!);
    }

    [Fact]
    public void Tokens_are_random_128_bit_values_and_only_their_start_is_ever_printed()
    {
        var tokens = Enumerable.Range(0, 1000).Select(_ => LockTokens.New()).ToList();
        Assert.All(tokens, t => Assert.Matches("^[0-9a-f]{32}$", t));
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        var redacted = LockTokens.Redact(tokens[0]);
        Assert.StartsWith(tokens[0][..8], redacted);
        Assert.DoesNotContain(tokens[0][8..], redacted);
    }

    private static int HashSlot(RedisKey key)
    {
        // CRC16 (XMODEM) of the hash tag, or of the whole key, modulo 16384: the Redis Cluster rule.
        var bytes = System.Text.Encoding.UTF8.GetBytes((string)key!);
        var open = Array.IndexOf(bytes, (byte)'{');
        if (open >= 0)
        {
            var close = Array.IndexOf(bytes, (byte)'}', open + 1);
            if (close > open + 1) bytes = bytes[(open + 1)..close];
        }
        ushort crc = 0;
        foreach (var b in bytes)
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++) crc = (ushort)((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
        }
        return crc % 16384;
    }
}
