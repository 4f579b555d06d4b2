using System.Text.Json;

namespace Kb4Collector.KnowBe4;

/// <summary>A KnowBe4 user event (spec §2.1). Fields the API adds later are ignored.</summary>
public sealed record UserEvent(
    string Id,
    DateTimeOffset OccurredDate,
    long? AccountId = null,
    EventUser? User = null,
    string? ExternalId = null,
    string? Source = null,
    string? Description = null,
    EventRisk? Risk = null,
    JsonElement? Metadata = null,
    EventTypeSummary? EventType = null);

/// <summary>The user an event is about.</summary>
public sealed record EventUser(string? Email = null, long? Id = null, bool? Archived = null);

/// <summary>An event's risk. <c>expire_date</c> stays text: the API documents a date but may send a timestamp.</summary>
public sealed record EventRisk(int? Level = null, double? Factor = null, int? DecayMode = null, string? ExpireDate = null);

/// <summary>The event type as embedded in an event (no account id).</summary>
public sealed record EventTypeSummary(long Id, string? Name = null, string? Description = null);
