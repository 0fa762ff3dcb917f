using System.Security.Cryptography;

namespace Lock.Actors.Redis;

/// <summary>Lock tokens: random 128-bit values, and the only way the library prints one.</summary>
internal static class LockTokens
{
    private const int VisiblePrefix = 8;

    /// <summary>A fresh token: 16 random bytes from the OS generator as 32 lowercase hex characters.</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>
    /// What logs and ToString show of a token: its first characters only, so a log reader cannot
    /// release or extend someone else's lock.
    /// </summary>
    public static string Redact(string? token) => token switch
    {
        null => "(none)",
        { Length: <= VisiblePrefix } => "…",
        _ => string.Concat(token.AsSpan(0, VisiblePrefix), "…"),
    };
}
