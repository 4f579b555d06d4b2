namespace Kb4Collector.Quota;

/// <summary>How long a source waits before its next poll so that a key's calls last until the UTC day ends.</summary>
public static class PollSchedule
{
    /// <summary>
    /// The wait before the next poll: the time left today spread over the polls the remaining calls still pay for
    /// (shared fairly by the sources on the key), never below <paramref name="pollingInterval"/>. When the remaining
    /// calls cannot pay for one more poll of every source, the wait runs to the next UTC midnight (when the budget resets).
    /// </summary>
    /// <param name="remainingCalls">Scheduled calls left today for the key (<see cref="CallLedger.Remaining"/>).</param>
    /// <param name="untilUtcMidnight">Time left in the UTC day (<see cref="UntilNextUtcMidnight"/>).</param>
    /// <param name="sourcesSharingKey">Sources polling with the same key (at least 1).</param>
    /// <param name="callsPerPoll">Calls one poll is expected to make (at least 1).</param>
    /// <param name="pollingInterval">The configured minimum interval.</param>
    public static TimeSpan NextInterval(int remainingCalls, TimeSpan untilUtcMidnight, int sourcesSharingKey, int callsPerPoll, TimeSpan pollingInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourcesSharingKey, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(callsPerPoll, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollingInterval, TimeSpan.Zero);
        if (untilUtcMidnight < TimeSpan.Zero)
        {
            untilUtcMidnight = TimeSpan.Zero;
        }

        var callsPerRound = (long)sourcesSharingKey * callsPerPoll;
        if (remainingCalls < callsPerRound)
        {
            return Max(untilUtcMidnight, pollingInterval);
        }
        var pollsLeft = remainingCalls / callsPerRound;
        var spread = TimeSpan.FromTicks(untilUtcMidnight.Ticks / pollsLeft);
        return Max(spread, pollingInterval);
    }

    /// <summary>Time from <paramref name="now"/> to the next 00:00 UTC (a full day at exactly midnight).</summary>
    public static TimeSpan UntilNextUtcMidnight(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        return utc.Date.AddDays(1) - utc;
    }

    private static TimeSpan Max(TimeSpan left, TimeSpan right) => left > right ? left : right;
}
