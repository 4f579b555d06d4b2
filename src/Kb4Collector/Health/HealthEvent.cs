using System.Text.Json.Serialization;

namespace Kb4Collector.Health;

/// <summary>
/// A health event in Sumo Logic's shape (<c>eventType: Health-Change</c>), plus the collector's own bookkeeping:
/// how often it repeated, when it was last seen, and when it was resolved.
/// </summary>
public sealed record HealthEvent
{
    public const string HealthChange = "Health-Change";

    [JsonPropertyOrder(0)]
    public required HealthStatus Status { get; init; }

    [JsonPropertyOrder(1)]
    public required HealthEventDetails Details { get; init; }

    [JsonPropertyOrder(2)]
    public string EventType => HealthChange;

    [JsonPropertyOrder(3)]
    public required HealthSeverity SeverityLevel { get; init; }

    [JsonPropertyOrder(4)]
    public required Guid EventId { get; init; }

    [JsonPropertyOrder(5)]
    public required string EventName { get; init; }

    [JsonPropertyOrder(6)]
    public required DateTimeOffset EventTime { get; init; }

    [JsonPropertyOrder(7)]
    public string EventFormatVersion => "1.0";

    [JsonPropertyOrder(8)]
    public string Subsystem => "Collection";

    [JsonPropertyOrder(9)]
    public required HealthResourceIdentity ResourceIdentity { get; init; }

    /// <summary>How many failures of this kind the event stands for (repeats update the open event).</summary>
    [JsonPropertyOrder(10)]
    public int Count { get; init; } = 1;

    [JsonPropertyOrder(11)]
    public required DateTimeOffset LastSeenAt { get; init; }

    [JsonPropertyOrder(12)]
    public DateTimeOffset? ResolvedAt { get; init; }

    [JsonPropertyOrder(13)]
    public bool Resolved => ResolvedAt is not null;
}

/// <summary><c>trackerId</c> carries the event name (as Sumo's trackers do), <c>description</c> the human-readable reason.</summary>
public sealed record HealthEventDetails(string TrackerId, string Name, string Description);

public sealed record HealthResourceIdentity(string CollectorId, string CollectorName, string Id, string Name)
{
    public string Type => "SourceResource";
}

public enum HealthSeverity
{
    Error,
    Warning,
}

public enum HealthStatus
{
    /// <summary>Spelled as in Sumo's documented example.</summary>
    [JsonStringEnumMemberName("UnHealthy")]
    Unhealthy,

    Healthy,
}

/// <summary>The event names this collector raises (Sumo's C2C names, plus a Warning for the daily quota).</summary>
public static class HealthEventNames
{
    public const string ThirdPartyConfigError = nameof(ThirdPartyConfigError);
    public const string ThirdPartyGenericError = nameof(ThirdPartyGenericError);
    public const string FirstPartyGenericError = nameof(FirstPartyGenericError);
    public const string ThirdPartyQuotaWarning = nameof(ThirdPartyQuotaWarning);
}

/// <summary>What is wrong, as a health event will say it.</summary>
public sealed record HealthProblem(string EventName, HealthSeverity Severity, string Name, string Description);
