using Kb4Collector.Emulator;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.EndToEnd;

/// <summary>
/// The collector (pipeline + supervisor) against the emulator's arrival scenarios over real HTTP, compared with the
/// emulator's ground truth: every event that exists is delivered once, byte for byte.
/// </summary>
public sealed class CollectionEndToEndTests
{
    private static EmulatorScenario Scenario(int backlog, int backlogDays, EmulatorArrivals arrivals, int seed) => new()
    {
        Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 10_000, ApiKeys = ["e2e-key-1"] }],
        Backlog = new EmulatorBacklog { Events = backlog, Days = backlogDays },
        Arrivals = arrivals,
        // The emulator's clock stops when the world is frozen, so its per-second limit is off here (see QuotaEndToEndTests).
        Limits = new EmulatorLimits { RequestsPerSecond = 0, CallsPerSeatPerDay = 10 },
        Seed = seed,
    };

    [Fact]
    public async Task SteadyArrivalsAreDeliveredOnceEach()
    {
        await using var bed = await EndToEndBed.StartAsync(Scenario(backlog: 600, backlogDays: 5, new EmulatorArrivals { PerMinute = 10 }, seed: 11));

        await bed.DriveForAsync(TimeSpan.FromHours(2));
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromHours(2));

        bed.AssertDeliveredMatchesGroundTruth();
        Assert.Equal(SourceState.Collecting, bed.Process.Supervisor.Status.State);
        Assert.DoesNotContain(SourceState.Error, bed.States);
        Assert.Equal(0, bed.Emulator.GroundTruth.TooManyRequestsServed.Total);
        Assert.True(bed.Sink.Events.Count > 1_500, $"only {bed.Sink.Events.Count} events delivered");
    }

    [Fact]
    public async Task BackdatedAndSameMillisecondArrivalsAcrossMidnightAreDeliveredOnceEach()
    {
        var settings = new EndToEndSettings { Start = new DateTimeOffset(2026, 3, 10, 22, 30, 0, TimeSpan.Zero) };
        var arrivals = new EmulatorArrivals { PerMinute = 8, BackdatedFraction = 0.2, BackdatedMaxDays = 3, SameMillisecondFraction = 0.05 };
        await using var bed = await EndToEndBed.StartAsync(Scenario(backlog: 600, backlogDays: 5, arrivals, seed: 12), settings);

        await bed.DriveForAsync(TimeSpan.FromHours(2.5));
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromHours(2));

        bed.AssertDeliveredMatchesGroundTruth();
        var truth = bed.Emulator.GroundTruth.AllEvents();
        var backdated = truth.Count(item => item.CreatedAt.UtcDateTime.Date > item.OccurredDate.UtcDateTime.Date);
        var sharedMilliseconds = truth.Where(item => item.CreatedAt > settings.Start).GroupBy(item => item.OccurredDate).Count(group => group.Count() > 1);
        Assert.True(backdated > 200, $"only {backdated} backdated arrivals");
        Assert.True(sharedMilliseconds > 40, $"only {sharedMilliseconds} shared milliseconds");
        Assert.DoesNotContain(SourceState.Error, bed.States);
        Assert.Equal(0, bed.Emulator.GroundTruth.TooManyRequestsServed.Total);
    }

    [Fact]
    public async Task ArrivalsAndDeletionsDuringALongFirstScanAreReconciled()
    {
        // Each call takes a second of emulator time: the first scan of ~8,750 events lasts about a minute and a half,
        // while events arrive (some backdated into days being read) and others are deleted under the reader.
        var settings = new EndToEndSettings { CallDuration = TimeSpan.FromSeconds(1) };
        var arrivals = new EmulatorArrivals { PerMinute = 30, BackdatedFraction = 0.3, BackdatedMaxDays = 3, SameMillisecondFraction = 0.05, DeletionsPerMinute = 6 };
        await using var bed = await EndToEndBed.StartAsync(Scenario(backlog: 10_000, backlogDays: 4, arrivals, seed: 13), settings);

        await bed.StepAsync();
        await bed.StepAsync();
        var firstScan = bed.KnowBe4Calls.Calls;
        var scanTime = firstScan[^1].At - firstScan[0].At;
        var changedDuringScan = bed.Emulator.GroundTruth.AllEvents()
            .Count(item => item.CreatedAt > firstScan[0].At || item.DeletedAt > firstScan[0].At);
        await bed.DriveForAsync(TimeSpan.FromMinutes(20));
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromHours(2));

        bed.AssertDeliveredMatchesGroundTruth();
        Assert.True(scanTime > TimeSpan.FromMinutes(1), $"the first scan took {scanTime}");
        Assert.True(changedDuringScan > 30, $"only {changedDuringScan} changes during the first scan");
        Assert.True(bed.Emulator.GroundTruth.AllEvents().Count(item => item.IsDeleted) > 100);
        Assert.DoesNotContain(SourceState.Error, bed.States);
        Assert.Equal(0, bed.Emulator.GroundTruth.TooManyRequestsServed.Total);
    }

    [Fact]
    public async Task A50000EventBacklogCostsAboutOneCallPerHundredEventsPlusOnePerDayAndAnIdlePollCostsOne()
    {
        var settings = new EndToEndSettings { LookbackDays = 8, CallDuration = TimeSpan.Zero };
        var scenario = Scenario(backlog: 50_000, backlogDays: 8, new EmulatorArrivals(), seed: 14) with { Limits = EmulatorLimits.Off };
        await using var bed = await EndToEndBed.StartAsync(scenario, settings);

        await bed.StepAsync(); // initialise
        await bed.StepAsync(); // the first poll drains the backlog
        var backlogCalls = bed.Emulator.GroundTruth.CallsByKey["Acme key 1"].Calls;

        bed.AssertDeliveredMatchesGroundTruth();
        var events = bed.Sink.Events;
        Assert.Equal(50_000, events.Count);
        var days = bed.Emulator.GroundTruth.LiveEvents().Select(item => DateOnly.FromDateTime(item.OccurredDate.UtcDateTime)).Distinct().Count();
        var budget = (1.05 * Math.Ceiling(events.Count / 100.0)) + days;
        Assert.True(backlogCalls <= budget, $"{backlogCalls} calls for {events.Count} events over {days} days (budget {budget:0.#})");
        Assert.Equal(backlogCalls, bed.Process.Ledger.Status(bed.Source.ApiKeyFingerprint, bed.Time.GetUtcNow()).Used);

        await bed.DriveForAsync(bed.Settings.PollingInterval);
        var idleCalls = bed.Emulator.GroundTruth.CallsByKey["Acme key 1"].Calls - backlogCalls;

        Assert.Equal(1, idleCalls);
        Assert.Equal(50_000, bed.Sink.Events.Count);
    }

    [Fact]
    public async Task ABacklogDrainDoesNotStretchTheNextPollInterval()
    {
        var settings = new EndToEndSettings { LookbackDays = 3, CallDuration = TimeSpan.Zero, LicensedUsers = null, DailyCallBudget = 4_000 };
        var scenario = Scenario(backlog: 5_000, backlogDays: 3, new EmulatorArrivals(), seed: 15) with { Limits = EmulatorLimits.Off };
        await using var bed = await EndToEndBed.StartAsync(scenario, settings);

        await bed.StepAsync(); // initialise
        var due = await bed.StepAsync(); // the first poll drains the backlog (about 60 calls of the collector's 2,000)

        // The day's remaining calls still allow a poll per polling interval: the one-off drain must not count as the
        // cost of every poll from now on.
        Assert.NotNull(due);
        Assert.True(due <= bed.Time.GetUtcNow() + settings.PollingInterval, $"next poll at {due:O}, now {bed.Time.GetUtcNow():O}");
    }
}
