using Kb4Collector.Collection;
using Kb4Collector.Delivery;

namespace Kb4Collector.Tests.Collection;

public sealed class SourceCollectorTests
{
    private static readonly DateTimeOffset Today = CursorHarness.Start;

    [Fact]
    public async Task BacklogIsDeliveredOnceForAboutOneCallPerHundredEventsPlusOnePerDay()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(3.5) });
        bed.Api.AddMany(1234, Today.AddDays(-3).AddHours(-11), TimeSpan.FromDays(3)); // spans four UTC days

        var result = await bed.PollAsync();

        bed.AssertDeliveredExactlyOnce();
        Assert.Equal(1234, result.EventsDelivered);
        // Pages of 100, one read (with its opening count) of each day of the horizon before the lookback, and the
        // account's counts before and after.
        var horizonDays = 8;
        Assert.True(result.Calls <= (Math.Ceiling(1234 / 100.0) * 1.05) + horizonDays + 4, $"{result.Calls} calls");
    }

    [Fact]
    public async Task IdlePollCostsOneCall()
    {
        using var bed = new CursorHarness();
        bed.Api.AddMany(300, Today.AddDays(-1), TimeSpan.FromHours(20));
        await bed.PollAsync();

        bed.Time.Advance(TimeSpan.FromMinutes(5));
        var idle = await bed.PollAsync();

        Assert.Equal(1, idle.Calls);
        Assert.True(idle.Idle);
        Assert.Equal(0, idle.EventsDelivered);
    }

    [Fact]
    public async Task NewArrivalsTodayCostTwoCalls()
    {
        using var bed = new CursorHarness();
        bed.Api.AddMany(250, Today.AddHours(-10), TimeSpan.FromHours(9));
        await bed.PollAsync();

        bed.Time.Advance(TimeSpan.FromMinutes(5));
        bed.Api.AddMany(30, bed.Time.GetUtcNow().AddMinutes(-4), TimeSpan.FromMinutes(4));
        var poll = await bed.PollAsync();

        Assert.Equal(30, poll.EventsDelivered);
        Assert.Equal(2, poll.Calls);
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task BackdatedEventsWithinTheHorizonAreCollected()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(6) });
        bed.Api.AddMany(500, Today.AddDays(-6), TimeSpan.FromDays(6));
        await bed.PollAsync();

        bed.Time.Advance(TimeSpan.FromMinutes(5));
        var backdated = new[]
        {
            bed.Api.Add(Today.AddDays(-2).Date),
            bed.Api.Add(Today.AddDays(-5).Date.AddHours(3)),
            bed.Api.Add(Today.Date),
        };
        await bed.PollAsync();

        bed.AssertDeliveredExactlyOnce();
        Assert.Subset(bed.Sink.Delivered.ToHashSet(), backdated.ToHashSet());
    }

    [Fact]
    public async Task EventsSharingAMillisecondAcrossPageBoundariesAreAllDeliveredOnceEvenWhenTheirOrderIsUnstable()
    {
        using var bed = new CursorHarness();
        bed.Api.ShuffleTies = true;
        var instant = Today.AddHours(-2);
        for (var i = 0; i < 250; i++)
        {
            bed.Api.Add(instant);
        }
        bed.Api.AddMany(120, Today.AddHours(-5), TimeSpan.FromHours(2));

        for (var poll = 0; poll < 6; poll++)
        {
            await bed.PollAsync();
            bed.Time.Advance(TimeSpan.FromMinutes(70));
        }

        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task ArrivalsAndDeletionsDuringALongScanLoseNothing()
    {
        using var bed = new CursorHarness();
        bed.Api.AddMany(2000, Today.AddDays(-2), TimeSpan.FromDays(2));
        bed.Api.BeforeCall = call =>
        {
            if (call % 3 == 0)
            {
                bed.Api.Add(Today.AddMinutes(-call)); // arrives now
                bed.Api.Add(Today.AddDays(-1).Date.AddHours(call % 24)); // backdated into a day being scanned
                bed.Api.Delete(bed.Api.RandomExistingId());
            }
        };

        await bed.PollAsync();
        bed.Api.BeforeCall = null;
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        await bed.PollAsync();
        var firstCheck = bed.Sink.Delivered.ToHashSet();

        // A creation and a deletion on the same day between two reads leave its count unchanged; the periodic
        // full re-read of every tracked day finds what the counts could not.
        for (var poll = 0; poll < 8; poll++)
        {
            bed.Time.Advance(TimeSpan.FromMinutes(30));
            await bed.PollAsync();
        }

        bed.AssertDeliveredExactlyOnce();
        Assert.True(firstCheck.Count > 2000 * 0.95, $"{firstCheck.Count} delivered after the second poll");
    }

    [Fact]
    public async Task RestartInTheMiddleOfABacklogDeliversNothingTwice()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(3), MaxBatchEvents = 100 });
        bed.Api.AddMany(1500, Today.AddDays(-3), TimeSpan.FromDays(3));
        var crashAfter = 3;
        bed.Sink.Refuse = _ => bed.Sink.BatchSizes.Count >= crashAfter ? new SinkException("http://127.0.0.1/sink", 503, "sink down") : null;

        await Assert.ThrowsAsync<SinkException>(bed.PollAsync);
        bed.Restart();
        bed.Sink.Refuse = null;
        await bed.PollAsync();

        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task SinkRefusalKeepsTheCheckpointSoTheEventsComeAgainLater()
    {
        using var bed = new CursorHarness();
        bed.Api.AddMany(400, Today.AddHours(-6), TimeSpan.FromHours(5));
        bed.Sink.Refuse = _ => new SinkException("http://127.0.0.1/sink", 500, "refused");

        await Assert.ThrowsAsync<SinkException>(bed.PollAsync);
        await Assert.ThrowsAsync<SinkException>(bed.PollAsync);
        Assert.Empty(bed.Sink.Delivered);

        bed.Sink.Refuse = null;
        await bed.PollAsync();
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task CrashBetweenSinkAcceptanceAndCheckpointRedeliversAtMostOneBatch()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(2), MaxBatchEvents = 100 });
        bed.Api.AddMany(1000, Today.AddDays(-2), TimeSpan.FromDays(2));
        var accepted = 0;
        bed.Sink.Refuse = events =>
        {
            // The sink takes the fifth batch, then the process dies before the checkpoint is written.
            if (++accepted == 5)
            {
                bed.Sink.Delivered.AddRange(events.Select(e => e.Id));
                return new IOException("process killed");
            }
            return null;
        };

        await Assert.ThrowsAsync<IOException>(bed.PollAsync);
        bed.Restart();
        bed.Sink.Refuse = null;
        await bed.PollAsync();

        var duplicates = bed.Sink.Delivered.GroupBy(id => id).Count(g => g.Count() > 1);
        Assert.InRange(duplicates, 1, 100);
        Assert.Equal(bed.Api.ExistingIds.ToHashSet(), bed.Sink.Delivered.ToHashSet());
    }

    [Fact]
    public async Task FirstRunStartsAtTheInitialLookback()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromHours(24) });
        var old = bed.Api.AddMany(200, Today.AddDays(-3), TimeSpan.FromHours(47)); // all before the lookback
        var recent = bed.Api.AddMany(150, Today.AddHours(-23), TimeSpan.FromHours(22));

        await bed.PollAsync();

        Assert.Equal(recent.ToHashSet(), bed.Sink.Delivered.ToHashSet());
        Assert.Empty(bed.Sink.Delivered.Intersect(old));
    }

    [Fact]
    public async Task AnInitialLookbackLongerThanTheHorizonIsReadInFullOnceThenLeftBehind()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(20), BackdateHorizon = TimeSpan.FromDays(7) });
        bed.Api.AddMany(600, Today.AddDays(-19), TimeSpan.FromDays(19));

        await bed.PollAsync();
        bed.AssertDeliveredExactlyOnce();

        bed.Time.Advance(TimeSpan.FromMinutes(5));
        var idle = await bed.PollAsync();
        Assert.Equal(1, idle.Calls);
        Assert.Equal(8, bed.Collector.ReadCheckpoint()!.Days.Count);
    }

    [Fact]
    public async Task AnInitialLookbackLongerThanTheHorizonIsCollectedOnceThenNoLongerWatched()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(5), BackdateHorizon = TimeSpan.FromDays(2) });
        bed.Api.AddMany(400, Today.AddDays(-4.5), TimeSpan.FromDays(4.4));

        await bed.PollAsync();
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        var next = await bed.PollAsync();

        bed.AssertDeliveredExactlyOnce();
        Assert.Equal(1, next.Calls);
        Assert.Equal(3, bed.Collector.ReadCheckpoint()!.Days.Count); // the horizon's two days and today
    }

    [Fact]
    public async Task AChangedQueryStartsCleanlyRatherThanSkipping()
    {
        using var bed = new CursorHarness();
        bed.Api.AddMany(120, Today.AddHours(-3), TimeSpan.FromHours(2));
        await bed.PollAsync();

        bed.Fingerprint = "https://api-eu.events.knowbe4.com|key-2";
        bed.Restart();
        await bed.PollAsync();

        Assert.Equal(240, bed.Sink.Delivered.Count);
        Assert.Equal(120, bed.Sink.Delivered.Distinct().Count());
    }

    [Fact]
    public async Task RestartWithTheSameQueryKeepsTheCheckpoint()
    {
        using var bed = new CursorHarness();
        bed.Api.AddMany(320, Today.AddHours(-3), TimeSpan.FromHours(2));
        await bed.PollAsync();

        bed.Restart();
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        var poll = await bed.PollAsync();

        Assert.Equal(1, poll.Calls);
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task BackdatingBeyondTheHorizonIsNotCollectedAndCostsNoRepeatedWork()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(2), BackdateHorizon = TimeSpan.FromDays(2) });
        bed.Api.AddMany(100, Today.AddDays(-1), TimeSpan.FromHours(20));
        await bed.PollAsync();

        bed.Time.Advance(TimeSpan.FromMinutes(5));
        var tooOld = bed.Api.Add(Today.AddDays(-10));
        await bed.PollAsync();
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        var next = await bed.PollAsync();

        Assert.DoesNotContain(tooOld, bed.Sink.Delivered);
        Assert.Equal(1, next.Calls);
    }

    [Fact]
    public async Task ACreationAndADeletionOnTheSameDayAreCaughtByThePeriodicReRead()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(2) });
        bed.Api.AddMany(300, Today.AddDays(-2), TimeSpan.FromDays(1.5));
        await bed.PollAsync();

        var yesterday = DateOnly.FromDateTime(Today.AddDays(-1).UtcDateTime);
        bed.Api.Delete(bed.Api.RandomExistingId(yesterday));
        var hidden = bed.Api.Add(Today.AddDays(-1).Date.AddHours(5));
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        await bed.PollAsync();
        Assert.DoesNotContain(hidden, bed.Sink.Delivered); // the counts alone cannot see it

        for (var i = 0; i < 4; i++)
        {
            bed.Time.Advance(TimeSpan.FromMinutes(30));
            await bed.PollAsync();
        }
        Assert.Contains(hidden, bed.Sink.Delivered);
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task ThePeriodicReReadWaitsForSpareBudget()
    {
        using var bed = new CursorHarness();
        bed.Api.AddMany(300, Today.AddHours(-8), TimeSpan.FromHours(7));
        await bed.PollAsync();
        bed.SpareCalls = () => 0;

        bed.Time.Advance(TimeSpan.FromHours(2));
        var poll = await bed.PollAsync();

        Assert.Equal(1, poll.Calls);
    }

    [Fact]
    public async Task DaysRollOverAtUtcMidnight()
    {
        using var bed = new CursorHarness();
        bed.Api.AddMany(50, Today.AddHours(-3), TimeSpan.FromHours(2));
        await bed.PollAsync();

        bed.Time.Advance(TimeSpan.FromHours(12.5)); // past midnight
        bed.Api.AddMany(20, bed.Time.GetUtcNow().AddMinutes(-20), TimeSpan.FromMinutes(19));
        bed.Api.Add(Today.AddMinutes(30)); // late arrival on the day that just ended
        await bed.PollAsync();

        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task DailyBudgetExhaustionStopsThePollAndKeepsWhatWasDelivered()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(2), MaxBatchEvents = 100 });
        bed.Api.AddMany(900, Today.AddDays(-2), TimeSpan.FromDays(2));
        var resetsAt = Today.Date.AddDays(1);
        var budget = 4;
        bed.BudgetSpentAt = call => call > budget ? resetsAt : null;
        bed.SpareCalls = () => budget - bed.Api.Calls;

        var first = await bed.PollAsync();
        Assert.True(first.BudgetExhausted);
        Assert.Equal(resetsAt, first.BudgetResetsAt);
        Assert.NotEmpty(bed.Sink.Delivered);

        budget = int.MaxValue;
        await bed.PollAsync();
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task StopAfterCurrentBatchEndsThePollWithWhatWasReadDeliveredAndCommitted()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(2), MaxBatchEvents = 100 });
        bed.Api.AddMany(1000, Today.AddDays(-2), TimeSpan.FromDays(2));
        bed.SpareCalls = () => 0; // no day-by-day read of the history before the lookback: the scan does it all
        bed.Api.BeforeCall = call =>
        {
            if (call == 4)
            {
                bed.Collector.StopAfterCurrentBatch();
            }
        };

        var stopped = await bed.PollAsync();

        Assert.Equal(4, stopped.Calls); // the account count and three pages; no call after the stop
        Assert.InRange(bed.Sink.Delivered.Count, 200, 400); // what the three pages held, delivered before returning
        bed.Api.BeforeCall = null;
        bed.Restart();
        await bed.PollAsync();
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task RandomisedArrivalsBackdatingTiesAndDeletionsAreDeliveredExactlyOnce()
    {
        for (var seed = 1; seed <= 5; seed++)
        {
            using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(4), MaxBatchEvents = 150 }, seed) { RescanPeriod = TimeSpan.FromHours(2) };
            var random = new Random(seed);
            bed.Api.ShuffleTies = seed % 2 == 0;
            bed.Api.AddMany(800, Today.AddDays(-4), TimeSpan.FromDays(4));
            bed.Api.BeforeCall = call =>
            {
                if (random.NextDouble() < 0.2)
                {
                    var now = bed.Time.GetUtcNow();
                    bed.Api.Add(random.NextDouble() < 0.2 ? now.AddDays(-random.Next(0, 4)).AddHours(-random.Next(0, 12)) : now);
                }
                if (random.NextDouble() < 0.05)
                {
                    bed.Api.Delete(bed.Api.RandomExistingId());
                }
            };

            for (var poll = 0; poll < 40; poll++)
            {
                var now = bed.Time.GetUtcNow();
                var arrivals = random.Next(0, 40);
                for (var i = 0; i < arrivals; i++)
                {
                    var backdated = random.NextDouble() < 0.2;
                    var occurred = backdated ? now.AddDays(-random.Next(0, 4)).AddMinutes(-random.Next(0, 600)) : now.AddSeconds(-random.Next(0, 300));
                    bed.Api.Add(occurred);
                    if (random.NextDouble() < 0.05)
                    {
                        bed.Api.Add(occurred); // same millisecond as another event
                    }
                }
                await bed.PollAsync();
                bed.Time.Advance(TimeSpan.FromMinutes(17));
            }

            bed.Api.BeforeCall = null;
            for (var settle = 0; settle < 12; settle++)
            {
                bed.Time.Advance(TimeSpan.FromHours(1));
                await bed.PollAsync();
            }
            bed.AssertDeliveredExactlyOnce();
        }
    }
}
