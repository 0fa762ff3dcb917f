using System.Buffers.Text;
using System.Text;

namespace Lock.Actors.Redis;

/// <summary>
/// A grant or release of a watched lock, as announced on the change channel by the script that made
/// it: <c>+</c> or <c>-</c>, then <c>:</c>-separated the fencing token (empty when the counter was
/// gone), the grant's TTL in ms (empty for a release) and the byte length of the lock key, then the
/// lock key and the holder's label. <see cref="Label"/> is the part of the holder's token after a
/// <c>|</c> (an election candidate's id), never the token itself.
/// </summary>
internal readonly record struct LockChange(string LockKey, bool Locked, long? FencingToken, TimeSpan? Ttl, string? Label)
{
    /// <summary>The change a message announces, or null when the message is not one.</summary>
    public static LockChange? Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 5 || (message[0] != (byte)'+' && message[0] != (byte)'-')) return null;
        var rest = message[1..];
        if (!Field(ref rest, out var fence) || !Field(ref rest, out var ttl) || !Field(ref rest, out var keyLength)) return null;
        if (keyLength is not { } length || length > rest.Length) return null;
        var label = rest[(int)length..];
        return new LockChange(
            Encoding.UTF8.GetString(rest[..(int)length]),
            message[0] == (byte)'+',
            fence,
            ttl is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            label.IsEmpty ? null : Encoding.UTF8.GetString(label));
    }

    // One number up to the next ':' (empty: null), and the rest after it.
    private static bool Field(ref ReadOnlySpan<byte> rest, out long? value)
    {
        value = null;
        var colon = rest.IndexOf((byte)':');
        if (colon < 0) return false;
        if (colon > 0)
        {
            if (!Utf8Parser.TryParse(rest[..colon], out long parsed, out var used) || used != colon) return false;
            value = parsed;
        }
        rest = rest[(colon + 1)..];
        return true;
    }
}
