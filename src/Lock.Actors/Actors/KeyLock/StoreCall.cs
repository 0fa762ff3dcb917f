using System.Diagnostics;
using Akka.Actor;

namespace Lock.Actors.Actors.KeyLock;

/// <summary>Why a key actor gives a lock back; logged with the release.</summary>
internal enum ReleaseCause { Request, OwnerStopped, Abandoned, Forced }

/// <summary>
/// A release the key actor sent. <paramref name="ValidUntil"/>: until when the lock may still be in
/// Redis under <paramref name="Token"/>; a release that Redis did not take is retried until then.
/// </summary>
internal sealed record ReleaseCall(
    string Token, IActorRef? ReplyTo, ReleaseCause Cause, long ValidUntil, long SentAt, long? FencingToken = null, Activity? TraceParent = null);

/// <summary>An extend the key actor sent: the watchdog's when <paramref name="ReplyTo"/> is null.</summary>
internal sealed record ExtendCall(
    string Token, TimeSpan Ttl, IActorRef? ReplyTo, long SentAt, long? FencingToken = null, Activity? TraceParent = null);
