using System.Security.Cryptography;

namespace Lock.Actors.Redis;

/// <summary>Lock tokens: random 128-bit values, and the only way the library prints one.</summary>
internal static class LockTokens
{
    private const int VisiblePrefix = 8;
    private const int TokenBytes = 16;

    // Random bytes are drawn from the OS generator a few hundred at a time: one call per token was a
    // measurable share of an uncontended acquire. Per thread, so no two tokens share bytes.
    [ThreadStatic] private static byte[]? _random;
    [ThreadStatic] private static int _used;

    /// <summary>A fresh token: 16 cryptographically random bytes as 32 lowercase hex characters.</summary>
    public static string New()
    {
        var random = _random ??= new byte[TokenBytes * 32];
        if (_used == 0) RandomNumberGenerator.Fill(random);
        var token = Hex.Lower(random.AsSpan(_used, TokenBytes));
        _used = (_used + TokenBytes) % random.Length;
        return token;
    }

    /// <summary>
    /// A fresh token that carries <paramref name="label"/> after a <c>|</c>: the scripts announce the
    /// label (an election candidate's id) with the lock's changes, and never the random part.
    /// </summary>
    public static string Labelled(string label) => New() + LabelSeparator + label;

    /// <summary>The label a token or lock value carries, or null.</summary>
    public static string? LabelOf(string? token)
    {
        var bar = token?.IndexOf(LabelSeparator) ?? -1;
        return bar < 0 ? null : token![(bar + 1)..];
    }

    private const char LabelSeparator = '|';

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
