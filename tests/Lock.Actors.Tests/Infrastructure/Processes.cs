using Lock.Host;

namespace Lock.Actors.Tests.Infrastructure;

/// <summary>Processes the specs start or watch.</summary>
public static class Processes
{
    /// <summary>The dotnet executable running the specs (so a started host uses the same runtime).</summary>
    public static string Dotnet =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    /// <summary>True once <paramref name="pid"/> has exited (see <c>EmbeddedRedis.HasExited</c>), checked until <paramref name="within"/> passes.</summary>
    public static async Task<bool> GoneAsync(int pid, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (IsGone(pid)) return true;
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(20);
        }
    }

    public static bool IsGone(int pid) => EmbeddedRedis.HasExited(pid);
}
