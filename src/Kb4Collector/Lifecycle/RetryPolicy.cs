namespace Kb4Collector.Lifecycle;

/// <summary>Backoff for the two Generic error classes, and the window after which a source stops retrying.</summary>
public sealed record RetryPolicy
{
    public static RetryPolicy Default { get; } = new();

    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(5);

    public double Multiplier { get; init; } = 2;

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long after the first failure of a streak retries go on (Sumo: 90 minutes, then the source quits).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(90);
}
