namespace Lock.Host;

/// <summary>A reason the host cannot go on, said in one sentence, with the process exit code.</summary>
internal sealed class HostFailureException(string message, int exitCode) : Exception(message)
{
    public const int Failed = 1;
    public const int Misconfigured = 2;

    public int ExitCode { get; } = exitCode;
}
