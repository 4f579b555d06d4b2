namespace Kb4Collector.Collection;

/// <summary>
/// The collection algorithm's decisions, without I/O: which UTC days a source tracks, which it must read, which are
/// due for a scheduled re-read and what a re-read costs. <see cref="SourceCollector"/> carries them out.
/// </summary>
internal static class DayPlanner
{
    public const int PageSize = 100;

    /// <summary>
    /// Brings the tracked days up to <paramref name="today"/>: every day after the newest one tracked (or from the
    /// horizon's first day) to today is tracked, so a day missed during an outage of any length is read. A day older
    /// than the horizon leaves only once it is closed (<see cref="IsClosed"/>), and a day that left is never tracked
    /// again: its seen ids went with it.
    /// </summary>
    /// <returns>The days that left the window (their seen ids can go).</returns>
    public static IReadOnlyList<DayDocument> Roll(CheckpointDocument checkpoint, DateOnly today, TimeSpan backdateHorizon, bool allHistory)
    {
        var horizonStart = HorizonStart(today, backdateHorizon);
        var dropped = checkpoint.Baselined
            ? checkpoint.Days.Where(day => Day(day) < horizonStart && IsClosed(checkpoint, day)).ToList()
            : [];
        foreach (var day in dropped)
        {
            checkpoint.Days.Remove(day);
        }

        var first = horizonStart;
        if (!checkpoint.Baselined && !allHistory)
        {
            var startDay = DateOnly.FromDateTime(checkpoint.StartedFrom);
            first = startDay < first ? startDay : first;
        }
        if (checkpoint.Days.Count > 0)
        {
            var afterNewest = checkpoint.Days.Max(Day).AddDays(1);
            first = afterNewest < first ? afterNewest : first;
        }
        for (var day = first; day <= today; day = day.AddDays(1))
        {
            if (Find(checkpoint, day) is null)
            {
                checkpoint.Days.Add(new DayDocument { Day = CheckpointStore.ToDateTime(day) });
            }
        }
        checkpoint.Days.Sort((left, right) => left.Day.CompareTo(right.Day));
        return dropped;
    }

    /// <summary>The oldest day new events are looked for on: today minus the horizon, rounded out to whole days.</summary>
    public static DateOnly HorizonStart(DateOnly today, TimeSpan backdateHorizon) =>
        today.AddDays(-(int)Math.Ceiling(backdateHorizon.TotalDays));

    /// <summary>
    /// Read in full after it left the horizon, nothing pending on it, and a poll found the account consistent since. A
    /// day is not let go on the strength of counts alone: an arrival backdated onto the horizon's last day, while the
    /// budget or an outage kept the collector from looking, would leave with it.
    /// </summary>
    public static bool IsClosed(CheckpointDocument checkpoint, DayDocument day) =>
        day.VerifiedTotal is not null
        && !day.Unsettled
        && day.ResumePage is null
        && day.ReadAfterHorizon
        && day.LastFullScanAt is { } read && read >= day.Day.AddDays(1)
        && checkpoint.LastConsistentAt is { } consistent && consistent >= read;

    /// <summary>Days older than the horizon still waiting for the read that lets them go: oldest first.</summary>
    public static IReadOnlyList<DayDocument> DueForClosingRead(CheckpointDocument checkpoint, DateOnly today, TimeSpan backdateHorizon)
    {
        var horizonStart = HorizonStart(today, backdateHorizon);
        return [.. checkpoint.Days.Where(day => Day(day) < horizonStart && day.VerifiedTotal is not null && !day.ReadAfterHorizon)];
    }

    /// <summary>Days with no complete read yet, a read that did not settle, or a read to resume: oldest first.</summary>
    public static IReadOnlyList<DayDocument> Unread(CheckpointDocument checkpoint) =>
        [.. checkpoint.Days.Where(day => day.VerifiedTotal is null || day.Unsettled || day.ResumePage is not null)];

    /// <summary>Days due for their scheduled full re-read: never proven first, then the stalest.</summary>
    public static IReadOnlyList<DayDocument> DueForRescan(CheckpointDocument checkpoint, DateTime now, TimeSpan rescanPeriod) =>
        [.. checkpoint.Days
            .Where(day => day.VerifiedTotal is not null
                && (day.LastFullScanAt is not { } read || (rescanPeriod != TimeSpan.MaxValue && now - read >= rescanPeriod)))
            .OrderBy(day => day.Proven)
            .ThenBy(day => day.LastFullScanAt ?? DateTime.MinValue)];

    /// <summary>Calls a full read of a day costs: its pages, plus the count that opens a read of several pages.</summary>
    public static int ReadCost(DayDocument day) => ReadCost(day.VerifiedTotal ?? 0);

    public static int ReadCost(long events) => events <= PageSize ? 1 : (int)((events + PageSize - 1) / PageSize) + 1;

    /// <summary>Calls one scheduled re-read of every tracked day costs.</summary>
    public static int RescanPassCost(CheckpointDocument checkpoint) => checkpoint.Days.Sum(ReadCost);

    public static long TrackedTotal(CheckpointDocument checkpoint) => checkpoint.Days.Sum(day => day.VerifiedTotal ?? 0);

    /// <summary>What the account's count should be if nothing changed since the last poll.</summary>
    public static long ExpectedTotal(CheckpointDocument checkpoint) => checkpoint.OutsideTotal + TrackedTotal(checkpoint);

    public static DayDocument? Find(CheckpointDocument checkpoint, DateOnly day)
    {
        var key = CheckpointStore.ToDateTime(day);
        return checkpoint.Days.Find(existing => existing.Day == key);
    }

    public static DateOnly Day(DayDocument day) => DateOnly.FromDateTime(day.Day);
}
