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
    IReadOnlyList<DaySummary> Days)
{
    /// <summary>Events found on a past day after that day had been read in full (backdated, sent late).</summary>
    public long FoundLate { get; init; }

    /// <summary>Events delivered so far on the current UTC day.</summary>
    public long DeliveredToday { get; init; }

    /// <summary>Whether the first run's scan of the lookback and the horizon is complete.</summary>
    public bool FirstRunComplete { get; init; }

    /// <summary>When the first run had read the days before the lookback (see README, G3).</summary>
    public DateTimeOffset? HistoryReadAt { get; init; }
}

/// <param name="Proven">The day's last complete read was proven consistent (not only seeded by the first run's scan or resumed).</param>
public sealed record DaySummary(DateOnly Day, long? VerifiedTotal, DateTimeOffset? LastFullScanAt, bool Proven = false);
