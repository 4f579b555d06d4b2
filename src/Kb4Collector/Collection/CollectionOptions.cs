namespace Kb4Collector.Collection;

/// <summary>How one source walks the User Event API. Defaults follow DESIGN.md §5.</summary>
public sealed record CollectionOptions
{
    /// <summary>How far back the first run of a source starts; <see cref="TimeSpan.MaxValue"/> for everything the API holds.</summary>
    public TimeSpan InitialLookback { get; init; } = TimeSpan.FromHours(24);

    public bool AllHistory => InitialLookback == TimeSpan.MaxValue;

    /// <summary>How far back an event may be backdated and still be collected.</summary>
    public TimeSpan BackdateHorizon { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Page size for day scans (the API's maximum).</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Events per delivered batch (the sink may split further by size).</summary>
    public int MaxBatchEvents { get; init; } = 1000;

    /// <summary>Uncompressed bytes per delivered batch.</summary>
    public int MaxBatchBytes { get; init; } = 1_000_000;

    /// <summary>How many times a day scan is repeated when the day changed while it was being read.</summary>
    public int MaxScanAttempts { get; init; } = 3;
}
