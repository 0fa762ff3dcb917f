namespace Lock.Actors;

/// <summary>
/// Who leads <paramref name="Name"/>: <paramref name="LeaderId"/> (the candidate id it campaigned
/// with) in the term <paramref name="FencingToken"/>; both null while nobody leads.
/// </summary>
public sealed record LeaderInfo(string Name, string? LeaderId, long? FencingToken);
