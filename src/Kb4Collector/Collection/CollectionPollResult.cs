namespace Kb4Collector.Collection;

/// <summary>What one poll of a source did.</summary>
public sealed record CollectionPollResult(int Calls, int EventsDelivered, bool Idle, DateTimeOffset? BudgetResetsAt)
{
    public bool BudgetExhausted => BudgetResetsAt is not null;
}

/// <summary>A source's cursor as the admin endpoint shows it.</summary>
public sealed record CheckpointSummary(
    DateTimeOffset StartedFrom,
    DateTimeOffset? LastPollAt,
    DateTimeOffset? LastDeliveryAt,
    long EventsDelivered,
    long OutsideTotal,
    IReadOnlyList<DaySummary> Days);

public sealed record DaySummary(DateOnly Day, long? VerifiedTotal, DateTimeOffset? LastFullScanAt);
