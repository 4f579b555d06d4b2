namespace Kb4Collector.Lifecycle;

/// <summary>
/// A source's work, supplied by the collection engine. <see cref="InitializeAsync"/> gets the runner ready
/// (client, checkpoint, sink) without calling KnowBe4; <see cref="PollOnceAsync"/> does one poll and says when
/// the next one is due. Both throw on failure; the supervisor classifies what they throw.
/// </summary>
/// <param name="ConfigFingerprint">
/// Identifies the configuration the work was built from. A supervisor restored with a fingerprint other than
/// the stored one treats the change as a config update (the error streak is cleared).
/// </param>
public sealed record SourceWork(
    Func<CancellationToken, ValueTask> InitializeAsync,
    Func<PollProgress, CancellationToken, ValueTask<PollResult>> PollOnceAsync,
    string ConfigFingerprint = "");

/// <summary>
/// The outcome of a poll that did not fail. Zero means "poll again at once" (the per-key limiter paces calls).
/// <paramref name="Deferred"/>: the poll made no call at all because a per-key limit says wait; it proves nothing, so a
/// failure streak goes on (its next retry comes no sooner than the wait).
/// </summary>
public readonly record struct PollResult(TimeSpan NextPollIn, bool Deferred = false);

/// <summary>
/// What a poll tells its supervisor while it runs, so the state is honest during a long backlog: the first page arrived
/// (the key works: Authenticated, then Collecting while it is delivered).
/// </summary>
public sealed class PollProgress(Action firstPageArrived)
{
    public static readonly PollProgress None = new(() => { });

    public void FirstPageArrived() => firstPageArrived();
}
