using System.Net;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Emulator;

/// <summary>Scripted bursts, deletions under a reader, clock jumps and the order of events sharing a millisecond.</summary>
public sealed class EmulatorScriptTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(EmulatorTestHelpers.Start.UtcDateTime);

    [Fact]
    public async Task ABurstCreatesAndDeletesOnTheGivenDaysWhenTheClockReachesIt()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        var scenario = EmulatorTestHelpers.Quiet(backlog: 300) with
        {
            Bursts =
            [
                new EmulatorBurst { At = TimeSpan.FromMinutes(5), Create = 7, CreateDaysBack = 2, CreateAt = EmulatorBurstTime.SharedMillisecond, Delete = 4, DeleteDaysBack = 3 },
                new EmulatorBurst { At = TimeSpan.FromMinutes(6), Create = 3, CreateOn = Today.AddDays(-1), CreateAt = EmulatorBurstTime.Midnight },
                new EmulatorBurst { At = TimeSpan.FromMinutes(7), Create = 2, CreateAt = EmulatorBurstTime.LastMillisecond },
                new EmulatorBurst { At = TimeSpan.FromMinutes(8), Create = 20 },
            ],
        };
        await using var emulator = await EmulatorTestHelpers.StartAsync(scenario, clock);
        var dayMinus3 = emulator.GroundTruth.LiveEvents().Count(e => Day(e) == Today.AddDays(-3));

        clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.Equal(300, emulator.GroundTruth.AllEvents().Count);
        clock.Advance(TimeSpan.FromTicks(1));
        var afterFirst = emulator.GroundTruth.AllEvents();
        var created = afterFirst.Where(e => e.CreatedAt > EmulatorTestHelpers.Start).ToList();
        Assert.Equal(7, created.Count);
        Assert.All(created, e => Assert.Equal(EmulatorTestHelpers.Start.AddMinutes(5), e.CreatedAt));
        Assert.Single(created.Select(e => e.OccurredDate).Distinct());
        Assert.Equal(Today.AddDays(-2), Day(created[0]));
        var deleted = afterFirst.Where(e => e.IsDeleted).ToList();
        Assert.Equal(4, deleted.Count);
        Assert.All(deleted, e => Assert.Equal(Today.AddDays(-3), Day(e)));
        Assert.Equal(dayMinus3 - 4, emulator.GroundTruth.LiveEvents().Count(e => Day(e) == Today.AddDays(-3)));

        clock.Advance(TimeSpan.FromMinutes(3));
        var later = emulator.GroundTruth.AllEvents().Where(e => e.CreatedAt > EmulatorTestHelpers.Start.AddMinutes(5)).ToList();
        Assert.Equal(25, later.Count);
        Assert.Equal(3, later.Count(e => e.OccurredDate == new DateTimeOffset(Today.AddDays(-1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)));
        Assert.Equal(2, later.Count(e => e.OccurredDate == new DateTimeOffset(Today.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddMilliseconds(-1)));
        var spread = later.Where(e => e.CreatedAt == EmulatorTestHelpers.Start.AddMinutes(8)).ToList();
        Assert.Equal(20, spread.Count);
        Assert.All(spread, e => Assert.InRange(e.OccurredDate, new DateTimeOffset(Today.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), e.CreatedAt));
        Assert.True(spread.Select(e => e.OccurredDate).Distinct().Count() > 15);
    }

    [Fact]
    public async Task TheSameScenarioAndClockGiveTheSameBurstIds()
    {
        var scenario = EmulatorTestHelpers.Quiet(backlog: 50) with
        {
            Bursts = [new EmulatorBurst { At = TimeSpan.FromMinutes(1), Create = 5, Delete = 3, DeleteDaysBack = 1 }],
        };
        var runs = new List<string>();
        for (var run = 0; run < 2; run++)
        {
            var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
            await using var emulator = await EmulatorTestHelpers.StartAsync(scenario, clock);
            emulator.ScheduleBurst(new EmulatorBurst { At = TimeSpan.FromMinutes(2), Create = 2, CreateDaysBack = 4 });
            clock.Advance(TimeSpan.FromMinutes(3));
            runs.Add(string.Join(",", emulator.GroundTruth.AllEvents().Select(e => $"{e.Id}:{e.DeletedAt:O}")));
        }
        Assert.Equal(runs[0], runs[1]);
        Assert.Contains(":20", runs[0]); // something was deleted
    }

    [Fact]
    public async Task AScanDeletionRemovesEventsTheReaderPassedBeforeServingItsPage()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock);
        var day = Today.AddDays(-1);
        var dayStart = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        for (var i = 0; i < 30; i++)
        {
            emulator.AddEvent("ann@acme.example.com", "Password Lockout", dayStart.AddMinutes(i));
        }
        using var client = EmulatorTestHelpers.Client(emulator);
        var query = $"events?occurred_date={day:yyyy-MM-dd}&order_direction=asc&per_page=10";
        var (_, first) = await client.GetJsonAsync(query + "&page=1");
        var ascending = emulator.GroundTruth.LiveEvents().OrderBy(e => e.OccurredDate).Select(e => e.Id).ToList();
        Assert.Equal(ascending.Take(10), first.Ids());

        // Two events the reader already passed (positions 3 and 4) go as page 2 is asked for: the unread ones slide back.
        emulator.AddScanDeletion(new EmulatorScanDeletion { Day = day, Page = 2, Position = 3, Count = 2 });
        var (_, second) = await client.GetJsonAsync(query + "&page=2");
        Assert.Equal(ascending.Skip(12).Take(10), second.Ids());
        Assert.Equal(3, second.Meta().GetProperty("total_pages").GetInt32());
        Assert.Equal([ascending[3], ascending[4]], emulator.GroundTruth.AllEvents().Where(e => e.IsDeleted).Select(e => e.Id));

        // It fired once: asking again changes nothing.
        var (_, again) = await client.GetJsonAsync(query + "&page=2");
        Assert.Equal(second.Ids(), again.Ids());

        // Descending positions count in the call's own order: position 0 is the day's latest event.
        emulator.AddScanDeletion(new EmulatorScanDeletion { Day = day, Page = 1, Position = 0, Count = 1 });
        var (_, newest) = await client.GetJsonAsync($"events?occurred_date={day:yyyy-MM-dd}&per_page=1");
        Assert.Equal(ascending[^2], Assert.Single(newest.Ids()));
    }

    [Fact]
    public async Task AClockJumpOfDaysMaterialisesEveryArrivalInBetweenAndResetsTheQuota()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        var scenario = EmulatorTestHelpers.Quiet() with
        {
            Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 1, ApiKeys = ["test-key-1"] }],
            Arrivals = new EmulatorArrivals { PerMinute = 1, DeletionsPerMinute = 0.05 },
            Limits = new EmulatorLimits { RequestsPerSecond = 0, CallsPerSeatPerDay = 3 },
            Bursts = [new EmulatorBurst { At = TimeSpan.FromDays(2), Create = 5, CreateAt = EmulatorBurstTime.Midnight }],
        };
        await using var emulator = await EmulatorTestHelpers.StartAsync(scenario, clock);
        using var client = EmulatorTestHelpers.Client(emulator);
        for (var call = 0; call < 3; call++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetJsonAsync("events?per_page=1")).Status);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetJsonAsync("events?per_page=1")).Status);

        clock.Advance(TimeSpan.FromDays(3));
        var (status, page) = await client.GetJsonAsync("events?per_page=1&page=1");

        Assert.Equal(HttpStatusCode.OK, status);
        var truth = emulator.GroundTruth.AllEvents();
        var live = truth.Count(e => !e.IsDeleted);
        Assert.Equal(live, page.Meta().GetProperty("total_pages").GetInt32());
        Assert.InRange(truth.Count, 3 * 1440 * 0.9, 3 * 1440 * 1.1 + 5);
        foreach (var day in Enumerable.Range(0, 4).Select(offset => Today.AddDays(offset)))
        {
            Assert.Contains(truth, e => Day(e) == day);
        }
        Assert.All(truth, e => Assert.True(e.CreatedAt <= clock.GetUtcNow()));
        Assert.Equal(5, truth.Count(e => e.CreatedAt == EmulatorTestHelpers.Start.AddDays(2) && e.OccurredDate.TimeOfDay == TimeSpan.Zero));
        Assert.InRange(truth.Count(e => e.IsDeleted), 150, 280);
    }

    [Fact]
    public async Task EventsSharingAMillisecondAreOrderedByIdAscendingAndByReverseIdDescending()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        var scenario = EmulatorTestHelpers.Quiet() with
        {
            Bursts = [new EmulatorBurst { At = TimeSpan.FromMinutes(1), Create = 12, CreateDaysBack = 1, CreateAt = EmulatorBurstTime.SharedMillisecond }],
        };
        await using var emulator = await EmulatorTestHelpers.StartAsync(scenario, clock);
        clock.Advance(TimeSpan.FromMinutes(1));
        using var client = EmulatorTestHelpers.Client(emulator);
        var byId = emulator.GroundTruth.LiveEvents().Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        var day = Today.AddDays(-1);

        var (_, ascending) = await client.GetJsonAsync($"events?occurred_date={day:yyyy-MM-dd}&order_direction=asc");
        var (_, descending) = await client.GetJsonAsync($"events?occurred_date={day:yyyy-MM-dd}&per_page=5&page=2");

        Assert.Equal(byId, ascending.Ids());
        Assert.Equal(Enumerable.Reverse(byId).Skip(5).Take(5), descending.Ids());
    }

    [Theory]
    [InlineData("""{"bursts":[{"at":"00:01:00","create":-1}]}""", "bursts[0].create")]
    [InlineData("""{"bursts":[{"at":"00:01:00","createAt":"noon"}]}""", "bursts[0].createAt")]
    [InlineData("""{"bursts":[{"at":"00:01:00","account":"Nobody","create":1}]}""", "bursts[0].account")]
    [InlineData("""{"scanDeletions":[{"day":"2025-03-09","page":0}]}""", "scanDeletions[0].page")]
    public void ScriptMistakesAreNamedByField(string json, string field)
    {
        var error = Assert.Throws<EmulatorScenarioException>(() => EmulatorScenario.Parse(json, "scenario.json"));
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AScriptedScenarioParsesFromJson()
    {
        var scenario = EmulatorScenario.Parse(
            """{"bursts":[{"at":"1.00:00:00","create":3,"createOn":"2025-03-08","createAt":"lastMillisecond","delete":2,"deleteDaysBack":1}],"scanDeletions":[{"day":"2025-03-09","page":3,"position":150,"count":2}]}""",
            "scenario.json");
        var burst = Assert.Single(scenario.Bursts);
        Assert.Equal(TimeSpan.FromDays(1), burst.At.Offset);
        Assert.Equal(EmulatorBurstTime.LastMillisecond, burst.CreateAt);
        Assert.Equal(new DateOnly(2025, 3, 8), burst.CreateOn);
        Assert.Equal(new EmulatorScanDeletion { Day = new DateOnly(2025, 3, 9), Page = 3, Position = 150, Count = 2 }, Assert.Single(scenario.ScanDeletions));
    }

    private static DateOnly Day(GroundTruthEvent item) => DateOnly.FromDateTime(item.OccurredDate.UtcDateTime);
}
