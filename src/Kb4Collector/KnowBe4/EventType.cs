namespace Kb4Collector.KnowBe4;

/// <summary>An event type of the account (spec §2.5).</summary>
public sealed record EventType(long Id, string Name, long? AccountId = null, string? Description = null);

/// <summary>The answer of <c>GET /event_types</c>; <see cref="Count"/> is <c>meta.count</c>.</summary>
public sealed record EventTypeList(IReadOnlyList<EventType> EventTypes, int Count);
