namespace Kb4Collector.Lifecycle;

/// <summary>An immutable snapshot of one source, safe to read from any thread.</summary>
public sealed record SourceStatus
{
    public required string SourceId { get; init; }

    public required string SourceName { get; init; }

    public required SourceState State { get; init; }

    /// <summary>The class of the open failure streak; null when there is none.</summary>
    public ErrorClass? ErrorClass { get; init; }

    /// <summary>The latest failure or quota reason (names endpoint and status, never a key).</summary>
    public string? LastReason { get; init; }

    public DateTimeOffset? FirstFailureAt { get; init; }

    /// <summary>When the Generic retry window closes (90 minutes after the first failure, plus any quota waits inside it).</summary>
    public DateTimeOffset? RetryWindowEndsAt { get; init; }

    /// <summary>Failed retries since the streak's first failure.</summary>
    public int RetryCount { get; init; }

    /// <summary>When the source will next act (poll, retry or end of a quota wait); null when only a command can wake it.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>The end of a daily-quota wait; no call before it, even after a daemon restart.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? LastPollAt { get; init; }

    public DateTimeOffset? LastSuccessAt { get; init; }

    public bool EverAuthenticated { get; init; }

    /// <summary>In Error and no longer trying: a ThirdPartyConfig error, or the retry window closed.</summary>
    public bool RetriesStopped => State == SourceState.Error && NextAttemptAt is null;

    /// <summary>The latest state changes, oldest first.</summary>
    public IReadOnlyList<SourceTransition> RecentTransitions { get; init; } = [];
}

public readonly record struct SourceTransition(SourceState From, SourceState To, DateTimeOffset At);
