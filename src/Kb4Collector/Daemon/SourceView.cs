using Kb4Collector.Collection;
using Kb4Collector.Configuration;
using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;

namespace Kb4Collector.Daemon;

/// <summary>
/// Everything the admin endpoint shows of one source, read without touching its loop. The optional values at the end
/// are shown by the console as "—" until the collection engine reports them.
/// </summary>
public sealed record SourceView(
    SourceDefinition Definition,
    SourceStatus Status,
    CheckpointSummary? Checkpoint,
    QuotaStatus Quota,
    int DeadLetters,
    long? EventsDeliveredToday = null,
    string? NextPollReason = null,
    string? CheckpointPosition = null,
    long? BackdatedFoundLate = null,
    CollectionPlan? Plan = null,
    IReadOnlyList<DataTypeView>? DataTypes = null);

/// <summary>One Reporting data type of a source: its own supervisor, checkpoint, schedule and the key's Reporting quota.</summary>
public sealed record DataTypeView(
    string Id,
    string Name,
    string DataType,
    SourceStatus Status,
    Reporting.ReportingCheckpointView Checkpoint,
    Reporting.ReportingQuotaStatus Quota,
    TimeSpan PollInterval);
