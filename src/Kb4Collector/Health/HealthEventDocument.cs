using LiteDB;

namespace Kb4Collector.Health;

/// <summary>A health event as stored in the <c>health_events</c> collection (flat, for indexing). The auto-increment id is the insertion order.</summary>
internal sealed class HealthEventDocument
{
    [BsonId(autoId: true)]
    public long Id { get; set; }

    public Guid EventId { get; set; }

    public string SourceId { get; set; } = "";

    public string SourceName { get; set; } = "";

    public string CollectorId { get; set; } = "";

    public string CollectorName { get; set; } = "";

    public string EventName { get; set; } = "";

    public HealthSeverity Severity { get; set; }

    public HealthStatus Status { get; set; }

    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public DateTimeOffset EventTime { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    public int Count { get; set; }

    public bool Resolved { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public HealthEvent ToHealthEvent() => new()
    {
        Status = Status,
        Details = new HealthEventDetails(EventName, Name, Description),
        SeverityLevel = Severity,
        EventId = EventId,
        EventName = EventName,
        EventTime = EventTime,
        ResourceIdentity = new HealthResourceIdentity(CollectorId, CollectorName, SourceId, SourceName),
        Count = Count,
        LastSeenAt = LastSeenAt,
        ResolvedAt = ResolvedAt,
    };
}
