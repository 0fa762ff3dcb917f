namespace Lock.Actors.Redis;

/// <summary>
/// Once Redis answers, whether it runs what the settings need: <c>WAIT</c> for min-replica-acks (a
/// database other than 0 is checked by the store before its first call). A refusal becomes the
/// connection's configuration problem: logged, in the health check and in every acquire it fails.
/// </summary>
internal static class ServerCheck
{
    public static async Task RunAsync(RedisLockStore store, RedisConnection connection, TimeSpan retryInterval, Task terminated)
    {
        while (!terminated.IsCompleted)
        {
            try
            {
                if (await store.CheckReplicaAcksAsync().ConfigureAwait(false) is { } problem) connection.ReportProblem(problem);
                return;
            }
            catch (Exception)
            {
                // Not connected yet: check once it is.
                await Task.WhenAny(terminated, Task.Delay(retryInterval)).ConfigureAwait(false);
            }
        }
    }
}
