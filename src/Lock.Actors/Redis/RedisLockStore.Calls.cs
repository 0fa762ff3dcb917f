using StackExchange.Redis;

namespace Lock.Actors.Redis;

// The calls that leave through the batcher (acquires in either mode, releases), and how each reads its
// entries of the script's reply.
internal sealed partial class RedisLockStore
{
    // The reply status of a shared acquire refused because the key's holders name another limit.
    private const long OtherLimit = -2;

    // An acquire or release waiting to leave in a batch; completed with its own entries of the reply.
    // Continuations run where the result is set (the batch's fan-out), not queued once more.
    private interface ILockCall : IBatchedCall
    {
        LockKeyNames Key { get; }

        /// <summary>Whether its locks are acquires (which min-replica-acks confirms).</summary>
        bool IsAcquire { get; }

        string TokenOf(int lockIndex);

        /// <summary>The script's four arguments for its <paramref name="lockIndex"/>-th lock.</summary>
        void Write(int lockIndex, out RedisValue operation, out RedisValue token, out RedisValue argument, out RedisValue limit);
    }

    private static readonly RedisValue AcquireOp = "a", SharedOp = "s", ReleaseOp = "r", WithdrawOp = "w", Waited = "1";

    private sealed class AcquireCall(LockKeyNames key, string token, RedisValue ttlMs, bool waited)
        : TaskCompletionSource<AcquireOutcome>, ILockCall
    {
        public LockKeyNames Key { get; } = key;
        public bool IsAcquire => true;
        public string TokenOf(int lockIndex) => token;

        public void Write(int lockIndex, out RedisValue operation, out RedisValue tokenValue, out RedisValue argument, out RedisValue limit)
        {
            operation = AcquireOp;
            tokenValue = token;
            argument = ttlMs;
            // An exclusive acquire has no limit; the slot says whether it may be a waiting writer.
            limit = waited ? Waited : RedisValue.EmptyString;
        }

        public void Complete(RedisResult status, RedisResult value) => TrySetResult(Outcome(status, value));

        public void Fail(Exception cause) => TrySetException(cause);
    }

    /// <summary>Shared acquires of one key that leave together, as consecutive locks of one script call.</summary>
    private sealed class SharedAcquireCall(LockKeyNames key, IReadOnlyList<SharedAcquire> requests)
        : TaskCompletionSource<AcquireOutcome[]>, ILockCall
    {
        public LockKeyNames Key { get; } = key;
        public bool IsAcquire => true;
        public int Locks => requests.Count;
        public string TokenOf(int lockIndex) => requests[lockIndex].Token;

        public void Write(int lockIndex, out RedisValue operation, out RedisValue token, out RedisValue argument, out RedisValue limit)
        {
            var request = requests[lockIndex];
            operation = SharedOp;
            token = request.Token;
            argument = Milliseconds(request.Ttl);
            limit = request.Limit;
        }

        public void Complete(RedisResult status, RedisResult value) => Complete([status, value], 0);

        public void Complete(RedisResult[] entries, int at)
        {
            var outcomes = new AcquireOutcome[requests.Count];
            for (var i = 0; i < outcomes.Length; i++)
            {
                var (status, value) = (entries[at + 2 * i], entries[at + 2 * i + 1]);
                outcomes[i] = (long)status == OtherLimit
                    ? AcquireOutcome.Refused(OtherLimitMessage(Key.Key, (long)value, requests[i].Limit))
                    : Outcome(status, value);
            }
            TrySetResult(outcomes);
        }

        public void Fail(Exception cause) => TrySetException(cause);
    }

    private static string OtherLimitMessage(string key, long held, int wanted) =>
        (held, wanted) switch
        {
            (0, _) => $"Lock '{key}' is held by readers; a permit request (limit {wanted}) cannot share it.",
            (_, 0) => $"Lock '{key}' is held as a semaphore of {held} permits; a reader cannot share it.",
            _ => $"Lock '{key}' is held as a semaphore of {held} permits; this request names a limit of {wanted}.",
        };

    private static AcquireOutcome Outcome(RedisResult status, RedisResult value)
    {
        var code = Status(status, value);
        if (code == Unconfirmed) return AcquireOutcome.NotConfirmed((string?)value ?? "replicas did not acknowledge");
        if (code == 1) return AcquireOutcome.Granted((long)value);
        var pttl = (long)value;
        return AcquireOutcome.HeldElsewhere(pttl > 0 ? TimeSpan.FromMilliseconds(pttl) : null);
    }

    /// <summary>A release, or the withdrawal of a waiting writer; true when there was something to let go.</summary>
    private sealed class ReleaseCall(LockKeyNames key, string token, bool withdraw = false) : TaskCompletionSource<bool>, ILockCall
    {
        public LockKeyNames Key { get; } = key;
        public bool IsAcquire => false;
        public string TokenOf(int lockIndex) => token;

        public void Write(int lockIndex, out RedisValue operation, out RedisValue tokenValue, out RedisValue argument, out RedisValue limit)
        {
            operation = withdraw ? WithdrawOp : ReleaseOp;
            tokenValue = token;
            argument = Key.Key;
            limit = RedisValue.EmptyString;
        }

        public void Complete(RedisResult status, RedisResult value) => TrySetResult(Status(status, value) == 1);

        public void Fail(Exception cause) => TrySetException(cause);
    }
}
