using LiteDB;

namespace Kb4Collector.Lifecycle;

/// <summary>A source's persisted lifecycle, in the <c>source_states</c> collection keyed by source id.</summary>
internal sealed class SourceStateDocument
{
    [BsonId]
    public string SourceId { get; set; } = "";

    public SourceState State { get; set; }

    public ErrorClass? ErrorClass { get; set; }

    public DateTimeOffset? FirstFailureAt { get; set; }

    public DateTimeOffset? RetryWindowEndsAt { get; set; }

    public int RetryCount { get; set; }

    public DateTimeOffset? NextAttemptAt { get; set; }

    public DateTimeOffset? NotBefore { get; set; }

    public bool EverAuthenticated { get; set; }

    public string? LastReason { get; set; }

    public DateTimeOffset? LastPollAt { get; set; }

    public DateTimeOffset? LastSuccessAt { get; set; }

    public string ConfigFingerprint { get; set; } = "";
}
