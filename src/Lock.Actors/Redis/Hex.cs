namespace Lock.Actors.Redis;

/// <summary>Lowercase hex, in one allocation where the runtime has the call for it (.NET 9 and later).</summary>
internal static class Hex
{
    public static string Lower(ReadOnlySpan<byte> bytes) =>
#if NET9_0_OR_GREATER
        Convert.ToHexStringLower(bytes);
#else
        Convert.ToHexString(bytes).ToLowerInvariant();
#endif
}
