using Kb4Collector.Collection;
using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Tests.Collection;

/// <summary>
/// The engine's guarantees (issue 9, G1–G9) at the cursor level: each test names the failure of the version-1 engine
/// it guards against; run against that engine, each of them failed.
/// </summary>
public sealed class CollectionGuaranteeTests
{
    private static readonly DateTimeOffset Today = CursorHarness.Start;

    [Fact]
    public async Task DeletionsBehindAReadOfSeveralPagesAreNoticedAndTheDayIsReadAgainInTheSamePoll()
    {
        // v1: the deleted ids were counted, "distinct seen = total at the end" held, and the slid-back events were lost.
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(3) });
        var yesterday = DateOnly.FromDateTime(Today.AddDays(-1).UtcDateTime);
        bed.Api.AddMany(1_200, Today.AddDays(-1).Date, TimeSpan.FromHours(20));
        await bed.PollAsync();

        // A backdated arrival makes the next poll count the day and read it again; during that read, events it has
        // already passed are deleted, so unread ones slide back onto pages already read.
        var late = bed.Api.Add(Today.AddDays(-1).Date.AddHours(23));
        var deletedDuringRead = 0;
        bed.Api.BeforeCall = _ =>
        {
            var query = bed.Api.Queries[^1];
            if (query.OccurredDate == yesterday && query.PerPage == 100 && query.Page is 4 or 8 && deletedDuringRead < 24)
            {
                foreach (var id in bed.Api.ExistingIdsOn(yesterday).Take(12).ToList())
                {
                    bed.Api.Delete(id);
                    deletedDuringRead++;
                }
            }
        };
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        await bed.PollAsync();

        Assert.Equal(24, deletedDuringRead);
        Assert.Contains(late, bed.Sink.Delivered);
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task DeletionsDuringTheFirstRunsScanAreFoundInTheSamePoll()
    {
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(3) });
        bed.Api.AddMany(1_500, Today.AddDays(-2), TimeSpan.FromDays(2));
        var deleted = 0;
        bed.Api.BeforeCall = call =>
        {
            // Calls 1–6: the account's count and the five days before the lookback; from 7 on, the scan's pages.
            if (call is 10 or 14)
            {
                // The newest events: the scan (newest first) has passed them.
                foreach (var id in bed.Api.NewestIds(10))
                {
                    bed.Api.Delete(id);
                    deleted++;
                }
            }
        };

        await bed.PollAsync();

        Assert.Equal(20, deleted);
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task WithTheDefaultsEventsBackdatedBeforeTheFirstRunButCreatedAfterItsStartAreDelivered()
    {
        // v1: with initialLookback 24h and backdateHorizon 7d, days before the first run's start were not tracked, and
        // events created during the first run but backdated before its start were marked seen and never delivered.
        using var bed = new CursorHarness(new CollectionOptions());
        var before = bed.Api.AddMany(400, Today.AddDays(-5), TimeSpan.FromDays(4)); // there before the source existed
        bed.Api.AddMany(300, Today.AddHours(-20), TimeSpan.FromHours(19));
        string? createdDuringFirstRun = null;
        bed.Api.BeforeCall = call =>
        {
            // Calls 1–9: the account's count and the seven days before the lookback, read first; then the scan.
            if (call == 11)
            {
                createdDuringFirstRun = bed.Api.Add(Today.AddDays(-2).AddHours(-3));
            }
        };
        await bed.PollAsync();
        bed.Api.BeforeCall = null;

        var backdated = new List<string>();
        for (var daysBack = 2; daysBack <= 6; daysBack++)
        {
            bed.Time.Advance(TimeSpan.FromMinutes(10));
            backdated.Add(bed.Api.Add(bed.Time.GetUtcNow().AddDays(-daysBack)));
            await bed.PollAsync();
        }

        Assert.All(backdated, id => Assert.True(bed.Sink.Delivered.Contains(id), $"backdated {bed.Api.OccurredOf(id):O} not delivered"));
        Assert.True(bed.Sink.Delivered.Contains(createdDuringFirstRun!), $"created during the first run {bed.Api.OccurredOf(createdDuringFirstRun!):O} not delivered");
        Assert.DoesNotContain(bed.Sink.Delivered, before.Contains);
        Assert.DoesNotContain(bed.Sink.Delivered.GroupBy(id => id), group => group.Count() > 1);
    }

    [Fact]
    public async Task AfterAnOutageLongerThanTheHorizonEveryOrdinaryEventIsRead()
    {
        // v1: the days between the last tracked day and today − horizon were never read.
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(1), BackdateHorizon = TimeSpan.FromDays(3) });
        bed.Api.AddMany(50, Today.AddHours(-5), TimeSpan.FromHours(4));
        await bed.PollAsync();

        for (var day = 0; day < 12; day++)
        {
            bed.Api.AddMany(30, bed.Time.GetUtcNow(), TimeSpan.FromHours(23)); // ordinary events while the daemon is down
            bed.Time.Advance(TimeSpan.FromDays(1));
        }
        await bed.PollAsync();
        await bed.PollAsync();

        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task ABatchTheSinkAcceptedIsNotSentAgainWhileItsCommitFails()
    {
        // v1: the poll was retried from scratch and the same batch went out again on every retry.
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(1) });
        bed.Api.AddMany(120, Today.AddHours(-6), TimeSpan.FromHours(5));
        await bed.PollAsync();

        bed.Api.AddMany(40, bed.Time.GetUtcNow().AddMinutes(-3), TimeSpan.FromMinutes(2));
        var diskFull = true;
        bed.Collector.BeforeCommit = () =>
        {
            if (diskFull)
            {
                throw new IOException("No space left on device");
            }
        };
        for (var retry = 0; retry < 3; retry++)
        {
            bed.Time.Advance(TimeSpan.FromMinutes(5));
            await Assert.ThrowsAnyAsync<IOException>(bed.PollAsync);
        }
        Assert.Equal(160, bed.Sink.Delivered.Count);

        diskFull = false;
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        await bed.PollAsync();
        bed.Restart();
        await bed.PollAsync();

        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task WhenTheSinkTookPartOfABatchOnlyTheRestIsSentAgain()
    {
        // v1: a batch split into two POSTs, the second refused: the first POST's events were sent again.
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(1), MaxBatchEvents = 100 });
        bed.Api.AddMany(100, Today.AddHours(-6), TimeSpan.FromHours(5));
        var refusals = 0;
        bed.Sink.Refuse = events =>
        {
            if (refusals++ > 0)
            {
                return null;
            }
            bed.Sink.Delivered.AddRange(events.Take(50).Select(item => item.Id));
            return new SinkException("http://sink", 503, "refused the second half") { Delivered = new DeliveryReport(50, 0, 2, 0) };
        };

        await Assert.ThrowsAsync<SinkException>(bed.PollAsync);
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        await bed.PollAsync();

        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task EventsReadBeforeAFailedCallAreDeliveredAndTheReadResumesWhereItStopped()
    {
        // v1: any error in a poll discarded up to 999 events already read, and a read always restarted at page 1.
        using var bed = new CursorHarness(new CollectionOptions { InitialLookback = TimeSpan.FromDays(2), MaxBatchEvents = 250 });
        bed.Api.AddMany(1_000, Today.AddDays(-1), TimeSpan.FromHours(20));
        bed.Api.BeforeCall = call =>
        {
            // Call 1 counts the account, calls 2–7 read the six days before the lookback, 8–11 the scan's first pages.
            if (call == 12)
            {
                throw new KnowBe4ApiException(KnowBe4FailureKind.ServerError, "GET /events", 502, "Bad Gateway");
            }
        };

        await Assert.ThrowsAsync<KnowBe4ApiException>(bed.PollAsync);
        Assert.Equal(400, bed.Sink.Delivered.Count); // the account count and four pages of 100 came back before the failure

        bed.Api.BeforeCall = null;
        var callsBefore = bed.Api.Calls;
        bed.Time.Advance(TimeSpan.FromMinutes(1));
        await bed.PollAsync();

        bed.AssertDeliveredExactlyOnce();
        Assert.True(bed.Api.Calls - callsBefore <= 10, $"{bed.Api.Calls - callsBefore} calls to finish: the read started over");
    }

    [Fact]
    public async Task ADayWalkTheBudgetCannotPayForNowWaitsForAPollThatCan()
    {
        // First v2 engine: every poll whose count moved walked every tracked day, so on a 30-seat account the walks
        // spent the day's calls by mid-morning and today's arrivals waited until midnight.
        using var bed = new CursorHarness();
        bed.Api.AddMany(300, Today.AddDays(-3), TimeSpan.FromDays(3));
        await bed.PollAsync();
        var backdated = bed.Api.Add(Today.AddDays(-2));
        var arrival = bed.Api.Add(Today.AddMinutes(1));
        bed.SpareCalls = () => 0;
        bed.FitsADay = _ => true;
        var callsBefore = bed.Api.Calls;
        bed.Time.Advance(TimeSpan.FromMinutes(5));

        await bed.PollAsync();

        Assert.Contains(arrival, bed.Sink.Delivered);
        Assert.DoesNotContain(backdated, bed.Sink.Delivered);
        Assert.Equal(2, bed.Api.Calls - callsBefore); // the account's count and today read on; no day counted

        bed.SpareCalls = null;
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        await bed.PollAsync();

        Assert.Contains(backdated, bed.Sink.Delivered);
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task OnABudgetNoPollCanPayADayWalkFromTheWalkGoesAhead()
    {
        // Waiting would be for ever: a 10-calls-a-day account never has a walk's worth beside its planned polls.
        using var bed = new CursorHarness();
        bed.Api.AddMany(300, Today.AddDays(-3), TimeSpan.FromDays(3));
        await bed.PollAsync();
        var backdated = bed.Api.Add(Today.AddDays(-2));
        bed.SpareCalls = () => 0;
        bed.FitsADay = _ => false;
        bed.Time.Advance(TimeSpan.FromMinutes(5));

        await bed.PollAsync();

        Assert.Contains(backdated, bed.Sink.Delivered);
        bed.AssertDeliveredExactlyOnce();
    }

    [Fact]
    public async Task OnATinyBudgetTheFirstRunSpendsItsCallsOnEventsNotOnEmptyDays()
    {
        // v1: on a 10-calls-a-day account the calls went to counts and empty days and nothing was delivered.
        using var bed = new CursorHarness(new CollectionOptions());
        bed.Api.AddMany(330, Today.AddHours(-20), TimeSpan.FromHours(19));
        bed.BudgetSpentAt = call => call > 5 ? Today.Date.AddDays(1) : null;
        bed.SpareCalls = () => 5 - bed.Api.Calls;

        var first = await bed.PollAsync();

        Assert.True(first.BudgetExhausted);
        Assert.Equal(330, bed.Sink.Delivered.Distinct().Count());
    }
}
