namespace Lock.Actors.Tests.Infrastructure;

/// <summary>Whether a process is gone, the way Linux tells it.</summary>
public static class Processes
{
    /// <summary>
    /// True once <paramref name="pid"/> has exited: it is gone from /proc, or is a zombie (here PID 1 may not
    /// reap orphans, so an exited process can linger as one). Checks until <paramref name="within"/> passes.
    /// </summary>
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

    public static bool IsGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) S …": the state follows the command's closing parenthesis.
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return true;
        }
    }
}
