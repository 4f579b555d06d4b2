using Kb4Collector.Emulator;

namespace Kb4Collector.Demo;

/// <summary>
/// The receiver's file checked against the emulator's ground truth. Expected are the events of the collected
/// window (occurred at or after the source's start) that existed when the last completed poll began: that poll
/// had to deliver all of them. Events created while it ran may or may not have been delivered; those that were
/// are counted apart (<see cref="AlsoDelivered"/>), not as errors.
/// </summary>
public sealed record DemoComparison(
    long Expected,
    long Missing,
    long Duplicates,
    long Invalid,
    long Unknown,
    long AlsoDelivered,
    DateTimeOffset? LastPollStartedAt)
{
    /// <summary>A poll completed and every expected event is in the file once, and nothing else is wrong with it.</summary>
    public bool Complete => LastPollStartedAt is not null && Missing == 0 && Duplicates == 0 && Invalid == 0 && Unknown == 0;

    /// <param name="received">The receiver's file.</param>
    /// <param name="truth">Every event the emulator ever had (<see cref="EmulatorGroundTruth.AllEvents"/>).</param>
    /// <param name="windowStart">The source's first-run start (its checkpoint's <c>StartedFrom</c>).</param>
    /// <param name="lastPollStartedAt">When the last completed poll began (the checkpoint's <c>LastPollAt</c>); null when none completed.</param>
    public static DemoComparison Compare(DemoEventsFile received, IReadOnlyList<GroundTruthEvent> truth, DateTimeOffset? windowStart, DateTimeOffset? lastPollStartedAt)
    {
        ArgumentNullException.ThrowIfNull(received);
        ArgumentNullException.ThrowIfNull(truth);
        long expected = 0, missing = 0, alsoDelivered = 0;
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in truth)
        {
            known.Add(item.Id);
            var inWindow = windowStart is { } start && item.OccurredDate >= start;
            var delivered = received.Ids.Contains(item.Id);
            if (inWindow && lastPollStartedAt is { } pollStart && item.ExistedAt(pollStart))
            {
                expected++;
                if (!delivered)
                {
                    missing++;
                }
            }
            else if (delivered)
            {
                alsoDelivered++;
            }
        }
        var unknown = received.Ids.Count(id => !known.Contains(id));
        return new DemoComparison(expected, missing, received.Duplicates, received.Invalid, unknown, alsoDelivered, lastPollStartedAt);
    }
}
