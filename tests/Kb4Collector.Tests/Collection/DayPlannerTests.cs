using Kb4Collector.Collection;

namespace Kb4Collector.Tests.Collection;

/// <summary>The collection algorithm's decisions as tables: which days are tracked, read, re-read, and what the budget affords.</summary>
public sealed class DayPlannerTests
{
    private static readonly DateOnly Today = new(2026, 3, 10);
    private static readonly DateTime Now = new(2026, 3, 10, 12, 0, 0, DateTimeKind.Utc);

    [Theory]
    // first run: the horizon and the lookback, whichever reaches further back
    [InlineData(false, 1, 7, false, "03-03..03-10")]
    [InlineData(false, 30, 7, false, "02-08..03-10")]
    [InlineData(false, 1, 2, false, "03-08..03-10")]
    // "all": the first run's scan adds the older days it finds; the window starts at the horizon
    [InlineData(false, 1, 7, true, "03-03..03-10")]
    // after the first run: the horizon only
    [InlineData(true, 30, 7, false, "03-03..03-10")]
    public void TheWindowCoversTheHorizonAndTheFirstRunsLookback(bool baselined, int lookbackDays, int horizonDays, bool allHistory, string expected)
    {
        var checkpoint = new CheckpointDocument { Baselined = baselined, StartedFrom = Now.AddDays(-lookbackDays), LastConsistentAt = Now };

        DayPlanner.Roll(checkpoint, Today, TimeSpan.FromDays(horizonDays), allHistory);

        Assert.Equal(expected, Describe(checkpoint));
    }

    [Fact]
    public void AfterAnOutageLongerThanTheHorizonEveryDaySinceTheNewestTrackedDayIsTracked()
    {
        // Last poll on 02-01 at noon: 01-25 .. 01-31 had had their closing read (after they left the horizon); 02-01
        // was not read after it ended, so it stays until it is.
        var checkpoint = Baselined(new DateOnly(2026, 1, 25), new DateOnly(2026, 2, 1), readAt: new DateTime(2026, 2, 1, 12, 0, 0, DateTimeKind.Utc));
        foreach (var day in checkpoint.Days.Where(day => DayPlanner.Day(day) < new DateOnly(2026, 2, 1)))
        {
            day.ReadAfterHorizon = true;
        }

        var dropped = DayPlanner.Roll(checkpoint, Today, TimeSpan.FromDays(7), allHistory: false);

        Assert.Equal("02-01..03-10", Describe(checkpoint));
        Assert.Equal(7, dropped.Count);
        Assert.Equal(37, DayPlanner.Unread(checkpoint).Count); // 02-02 .. 03-10 were never read
        Assert.Equal([new DateOnly(2026, 2, 1)], DayPlanner.DueForClosingRead(checkpoint, Today, TimeSpan.FromDays(7)).Select(DayPlanner.Day));
    }

    [Fact]
    public void ADayLeavesOnlyAfterAProvenReadSinceItLeftTheHorizonAndAConsistentPollSince()
    {
        var checkpoint = Baselined(Today.AddDays(-9), Today, readAt: Now.AddHours(-1));
        var old = DayPlanner.Find(checkpoint, Today.AddDays(-9))!;

        // Read after it ended, and a consistent poll since: but not read since it left the horizon. An arrival
        // backdated onto it while it was inside would leave with it.
        DayPlanner.Roll(checkpoint, Today, TimeSpan.FromDays(7), allHistory: false);
        Assert.Contains(old, checkpoint.Days);
        Assert.Equal([Today.AddDays(-9), Today.AddDays(-8)], DayPlanner.DueForClosingRead(checkpoint, Today, TimeSpan.FromDays(7)).Select(DayPlanner.Day));

        old.ReadAfterHorizon = true;
        checkpoint.LastConsistentAt = Now.AddHours(-2); // the last consistent poll came before the day's read
        DayPlanner.Roll(checkpoint, Today, TimeSpan.FromDays(7), allHistory: false);
        Assert.Contains(old, checkpoint.Days);

        checkpoint.LastConsistentAt = Now;
        var unsettled = DayPlanner.Find(checkpoint, Today.AddDays(-8))!;
        unsettled.ReadAfterHorizon = true;
        unsettled.Unsettled = true;
        DayPlanner.Roll(checkpoint, Today, TimeSpan.FromDays(7), allHistory: false);
        Assert.DoesNotContain(old, checkpoint.Days);
        Assert.Contains(unsettled, checkpoint.Days);
    }

    [Fact]
    public void ADayThatLeftIsNeverTrackedAgainWhileAnOlderOneStaysOpen()
    {
        // 03-01 still waits for its closing read; 03-02 had it and leaves. Tracking "from the oldest open day" would
        // bring 03-02 back without its seen ids, and everything on it would be sent again.
        var checkpoint = Baselined(Today.AddDays(-9), Today, readAt: Now.AddHours(-1));
        checkpoint.LastConsistentAt = Now;
        DayPlanner.Find(checkpoint, Today.AddDays(-8))!.ReadAfterHorizon = true;

        var dropped = DayPlanner.Roll(checkpoint, Today, TimeSpan.FromDays(7), allHistory: false);
        DayPlanner.Roll(checkpoint, Today, TimeSpan.FromDays(7), allHistory: false);

        Assert.Equal([Today.AddDays(-8)], dropped.Select(DayPlanner.Day));
        Assert.Null(DayPlanner.Find(checkpoint, Today.AddDays(-8)));
        Assert.NotNull(DayPlanner.Find(checkpoint, Today.AddDays(-9)));
    }

    [Fact]
    public void RescansTakeNeverProvenDaysFirstThenTheStalest()
    {
        var checkpoint = Baselined(Today.AddDays(-3), Today, readAt: Now.AddHours(-5));
        foreach (var day in checkpoint.Days)
        {
            day.Proven = true;
        }
        DayPlanner.Find(checkpoint, Today.AddDays(-1))!.LastFullScanAt = Now.AddHours(-9);
        DayPlanner.Find(checkpoint, Today)!.LastFullScanAt = Now.AddMinutes(-10);
        DayPlanner.Find(checkpoint, Today.AddDays(-2))!.Proven = false;

        var due = DayPlanner.DueForRescan(checkpoint, Now, TimeSpan.FromHours(1)).Select(DayPlanner.Day).ToList();

        Assert.Equal([Today.AddDays(-2), Today.AddDays(-1), Today.AddDays(-3)], due);
        Assert.Empty(DayPlanner.DueForRescan(checkpoint, Now, TimeSpan.MaxValue));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(100, 1)]
    [InlineData(101, 3)] // two pages and the count that opens a read of several
    [InlineData(12_000, 121)]
    public void AReadCostsItsPagesPlusTheOpeningCountWhenItHasSeveral(long events, int calls) =>
        Assert.Equal(calls, DayPlanner.ReadCost(events));

    [Theory]
    // budget, sources, poll (s), rescan (h), pass cost → poll interval (s), rescan period (h, -1 = never), pays
    [InlineData(250_000, 1, 300, 1, 10, 300, 1, true)]
    [InlineData(5, 1, 300, 1, 8, 38_400, 85.3, false)]
    [InlineData(2_000, 1, 300, 1, 160, 300, 2.5, false)]
    [InlineData(1, 1, 300, 1, 8, 86_400, -1, false)]
    [InlineData(250_000, 400, 300, 1, 10, 300, 1, true)]
    public void ThePlanStretchesWhatTheBudgetCannotPayFor(int dailyCalls, int sources, int pollSeconds, int rescanHours, int passCost, double expectedPollSeconds, double expectedRescanHours, bool pays)
    {
        var plan = CollectionPlan.Create(dailyCalls, sources, TimeSpan.FromSeconds(pollSeconds), TimeSpan.FromHours(rescanHours), passCost);

        Assert.Equal(expectedPollSeconds, plan.PollInterval.TotalSeconds, 0);
        if (expectedRescanHours < 0)
        {
            Assert.Equal(TimeSpan.MaxValue, plan.RescanPeriod);
        }
        else
        {
            Assert.Equal(expectedRescanHours, plan.RescanPeriod.TotalHours, 1);
        }
        Assert.Equal(pays, plan.PaysForHorizon);
        var spent = plan.PollsPerDay + (plan.RescanPeriod == TimeSpan.MaxValue ? 0 : passCost * (TimeSpan.FromDays(1) / plan.RescanPeriod));
        Assert.True(spent <= Math.Max(1, dailyCalls / (double)sources), $"the plan spends {spent:0.#} calls a day of {dailyCalls / (double)sources:0.#}");
    }

    [Theory]
    // 30 seats at a 0.5 share: 150 calls, 135 usable, 67.5 polls a day at the stretched interval: a walk of 9 fits.
    [InlineData(150, 600, 9, true)]
    // A 10-calls-a-day account's 9 scheduled calls: about 4 polls a day leave no room for 9 counts, but for 3.
    [InlineData(9, 600, 9, false)]
    [InlineData(9, 600, 3, true)]
    public void ADiscretionaryReadFitsADayOnlyBesideThePlannedPolls(int dailyCalls, int pollSeconds, int calls, bool fits)
    {
        var plan = CollectionPlan.Create(dailyCalls, 1, TimeSpan.FromSeconds(pollSeconds), TimeSpan.FromHours(1), rescanPassCost: 12);

        Assert.Equal(fits, plan.FitsADay(calls));
    }

    private static CheckpointDocument Baselined(DateOnly from, DateOnly to, DateTime readAt)
    {
        var checkpoint = new CheckpointDocument { Baselined = true, StartedFrom = Now.AddDays(-1), LastConsistentAt = readAt };
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            checkpoint.Days.Add(new DayDocument { Day = CheckpointStore.ToDateTime(day), VerifiedTotal = 5, LastFullScanAt = readAt, Baselined = true });
        }
        return checkpoint;
    }

    private static string Describe(CheckpointDocument checkpoint) =>
        $"{DayPlanner.Day(checkpoint.Days[0]):MM-dd}..{DayPlanner.Day(checkpoint.Days[^1]):MM-dd}";
}
