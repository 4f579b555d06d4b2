namespace Kb4Collector.Lifecycle;

/// <summary>A source's stable id (the LiteDB key) and its display name.</summary>
public sealed record SourceIdentity(string Id, string Name);

public sealed record SupervisorOptions
{
    /// <summary>Shown as <c>resourceIdentity.collectorName</c> in health events.</summary>
    public required string CollectorName { get; init; }

    /// <summary>Shown as <c>resourceIdentity.collectorId</c>; the admin routes call the collector <c>local</c>.</summary>
    public string CollectorId { get; init; } = "local";

    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>When the KnowBe4 daily quota resets, as a UTC time of day; UTC midnight when null.</summary>
    public TimeSpan? QuotaResetTimeOfDayUtc { get; init; }

    /// <summary>
    /// The quota's windows start at the first request (KnowBe4's Reporting API), not at a time of day: a quota wait
    /// lasts exactly the failure's Retry-After when it gives one.
    /// </summary>
    public bool QuotaWindowFromRetryAfter { get; init; }
}
