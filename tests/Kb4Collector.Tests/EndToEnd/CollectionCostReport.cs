using System.Globalization;
using System.Text;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.EndToEnd;

/// <summary>
/// Issue 9's benchmark table: KnowBe4 calls and delivery latency of the whole product on the end-to-end bed (fake clock,
/// so the figures are counts, not timings) beside the least a collector could spend. Each run must also pass the
/// ground-truth check, so the figures are those of correct runs. Writes a Markdown table to the test output and to
/// <c>TestResults/collection-costs.md</c> at the repository root. Run it with
/// <c>dotnet test --project tests/Kb4Collector.Tests -- --filter-class 'Kb4Collector.Tests.EndToEnd.CollectionCostReport' --explicit on</c>.
/// </summary>
public sealed class CollectionCostReport
{
    private const string Key = "e2e-key-1";
    private const int PageSize = 100;
    private static readonly DateTimeOffset Noon = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Settle = TimeSpan.FromHours(1.5);

    [Fact(Explicit = true)]
    [Trait("Category", "Report")]
    public async Task CallsAndLatencyBesideTheMinimum()
    {
        CostRow[] rows =
        [
            await SteadyArrivalsAsync(),
            await BackdatedArrivalsAsync(),
            await BacklogAsync(),
            await DayWithDeletionsDuringItsScanAsync(),
            await TenCallsADayAccountAsync(),
        ];

        var table = Markdown(rows);
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        var results = Path.Combine(RepositoryRoot(), "TestResults");
        Directory.CreateDirectory(results);
        await File.WriteAllTextAsync(Path.Combine(results, "collection-costs.md"), table, TestContext.Current.CancellationToken);
    }

    private static async Task<CostRow> SteadyArrivalsAsync()
    {
        await using var bed = await EndToEndBed.StartAsync(Scenario(arrivals: new EmulatorArrivals { PerMinute = 2 }, seed: 201));
        await bed.DriveForAsync(TimeSpan.FromHours(3));
        await bed.FreezeWorldAndSettleAsync(Settle);
        return Measure(bed, "Steady arrivals (2/min, 3 h + 1.5 h settle)", OneReadPerPollMinimum,
            "one call per poll (a page holds a poll's arrivals)", "arrivals ~5 min / 10 min (the polling interval)");
    }

    private static async Task<CostRow> BackdatedArrivalsAsync()
    {
        var arrivals = new EmulatorArrivals { PerMinute = 2, BackdatedFraction = 0.2, BackdatedMaxDays = 3 };
        await using var bed = await EndToEndBed.StartAsync(Scenario(arrivals: arrivals, seed: 202));
        await bed.DriveForAsync(TimeSpan.FromHours(3));
        await bed.FreezeWorldAndSettleAsync(Settle);
        return Measure(bed, "20% backdated 1–3 days (2/min, 3 h + 1.5 h settle)", OneReadPerPollMinimum,
            "one call per poll + one per past day a poll's arrivals landed on (told where they landed)", "arrivals ~5 min / 10 min (the polling interval)");
    }

    private static async Task<CostRow> BacklogAsync()
    {
        var settings = new EndToEndSettings { LookbackDays = 8 };
        await using var bed = await EndToEndBed.StartAsync(Scenario(backlog: 50_000, backlogDays: 8, seed: 203) with { Limits = EmulatorLimits.Off }, settings);
        await bed.DriveForAsync(TimeSpan.FromHours(1));
        return Measure(bed, "50,000-event backlog over 8 days (first run + 1 h)", OneReadPerPollMinimum,
            "ceil(events/100) + one call per later poll", "history ≈ 1 min / 2 min (ceil(events/100) calls at 4 req/s)");
    }

    private static async Task<CostRow> DayWithDeletionsDuringItsScanAsync()
    {
        var day = DateOnly.FromDateTime(Noon.UtcDateTime).AddDays(-1);
        // As in EngineGuaranteeTests: the first run reads the lookback newest first across days; a backdated creation on
        // the big day a few minutes later makes the collector read that day with the day filter, and the deletions below
        // land during that read (7 rules of events the scan already passed, one of unread events).
        var scenario = Scenario(backlog: 200, seed: 204) with
        {
            Bursts =
            [
                new EmulatorBurst { At = TimeSpan.Zero, Create = 12_000, CreateOn = day },
                new EmulatorBurst { At = TimeSpan.FromMinutes(5), Create = 1, CreateOn = day },
            ],
            ScanDeletions =
            [
                new EmulatorScanDeletion { Day = day, Page = 10, Position = 300, Count = 6 },
                new EmulatorScanDeletion { Day = day, Page = 25, Position = 1_200, Count = 6 },
                new EmulatorScanDeletion { Day = day, Page = 40, Position = 2_000, Count = 6 },
                new EmulatorScanDeletion { Day = day, Page = 55, Position = 4_000, Count = 6 },
                new EmulatorScanDeletion { Day = day, Page = 70, Position = 5_500, Count = 6 },
                new EmulatorScanDeletion { Day = day, Page = 85, Position = 8_000, Count = 6 },
                new EmulatorScanDeletion { Day = day, Page = 100, Position = 9_000, Count = 6 },
                new EmulatorScanDeletion { Day = day, Page = 110, Position = 11_500, Count = 6 },
            ],
        };
        await using var bed = await EndToEndBed.StartAsync(scenario);
        await bed.DriveForAsync(TimeSpan.FromMinutes(30));
        await bed.FreezeWorldAndSettleAsync(Settle);
        var deleted = bed.Emulator.GroundTruth.AllEvents().Count(item => item.IsDeleted);
        return Measure(bed, $"120-page day, {deleted} deleted during its scan (30 min + 1.5 h settle)", OneReadPerPollMinimum,
            "ceil(events/100) + one call per later poll + one for the backdated event", "history ≈ 15 s / 30 s (4 req/s); arrival ≤ 10 min");
    }

    private static async Task<CostRow> TenCallsADayAccountAsync()
    {
        var settings = new EndToEndSettings { InitialLookback = TimeSpan.FromHours(24), LicensedUsers = 1, MaxQuotaShare = 1.0 };
        await using var bed = await EndToEndBed.StartAsync(Scenario(backlog: 330, backlogDays: 1, seed: 205, seats: 1), settings);
        // One arrival every 20 minutes for a day, then a quiet day. The world is not frozen to settle: the emulator's
        // daily quota follows its own clock, and a frozen clock would never grant the next day's calls.
        for (var arrival = 1; arrival <= 72; arrival++)
        {
            await bed.DriveUntilAsync(Noon + (arrival * TimeSpan.FromMinutes(20)));
            bed.Emulator.AddEvent("steady.writer@acme.example.com", "Password Lockout", bed.Time.GetUtcNow());
        }
        await bed.DriveForAsync(TimeSpan.FromDays(2));
        return Measure(bed, "10-calls-a-day account (330 events + one every 20 min for 1 day, then 2 quiet days)", (_, delivered, _) => Pages(delivered.Count),
            "ceil(events/100): everything read once, newest first", "arrivals ≈ 1.2 h / 2.4 h (10 reads a day, evenly spread)");
    }

    private static EmulatorScenario Scenario(int backlog = 0, int backlogDays = 3, EmulatorArrivals? arrivals = null, int seed = 1, int seats = 10_000) => new()
    {
        Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = seats, ApiKeys = [Key] }],
        Backlog = new EmulatorBacklog { Events = backlog, Days = backlogDays },
        Arrivals = arrivals ?? new EmulatorArrivals(),
        // The emulator's clock stops when the world is frozen, so its per-second limit is off (see QuotaEndToEndTests).
        Limits = new EmulatorLimits { RequestsPerSecond = 0, CallsPerSeatPerDay = 10 },
        Seed = seed,
    };

    private static CostRow Measure(EndToEndBed bed, string name, Func<EndToEndBed, IReadOnlyCollection<GroundTruthEvent>, DateTimeOffset, int> minimum, string minimumRule, string latencyFloor)
    {
        bed.AssertDeliveredMatchesGroundTruth();
        var firstDelivery = bed.Sink.Events.GroupBy(line => line.Id)
            .ToDictionary(group => group.Key, group => group.Min(line => line.ReceivedAt), StringComparer.Ordinal);
        var delivered = bed.Emulator.GroundTruth.AllEvents().Where(item => firstDelivery.ContainsKey(item.Id)).ToList();
        // Latency counts from when the collector could first have seen the event: the first start for the history
        // (events created before it), the creation for arrivals.
        var start = bed.Settings.Start;
        return new CostRow(
            name,
            delivered.Count,
            bed.KnowBe4Calls.Calls.Count,
            minimum(bed, delivered, bed.Time.GetUtcNow()),
            minimumRule,
            Latency(delivered.Where(item => item.CreatedAt <= start).Select(item => firstDelivery[item.Id] - start)),
            Latency(delivered.Where(item => item.CreatedAt > start).Select(item => firstDelivery[item.Id] - item.CreatedAt)),
            latencyFloor);
    }

    private static string Latency(IEnumerable<TimeSpan> latencies)
    {
        var sorted = latencies.Order().ToList();
        return sorted.Count == 0 ? "—" : $"{Duration(sorted[sorted.Count / 2])} / {Duration(sorted[^1])}";
    }

    /// <summary>
    /// The least a collector polling every <see cref="EndToEndSettings.PollingInterval"/> could spend even if told where
    /// each new event landed: the first poll reads the history newest first (ceil(events/100), at least one call);
    /// every later poll costs at least one call, plus ceil(n/100) for today's n arrivals since the previous poll and
    /// ceil(n/100) for each past day that n of them were backdated onto (the API filters on the occurred day only).
    /// </summary>
    private static int OneReadPerPollMinimum(EndToEndBed bed, IReadOnlyCollection<GroundTruthEvent> delivered, DateTimeOffset end)
    {
        var start = bed.Settings.Start;
        var interval = bed.Settings.PollingInterval;
        var polls = (int)((end - start).Ticks / interval.Ticks) + 1;
        var pages = new int[polls];
        pages[0] = Pages(delivered.Count(item => item.CreatedAt <= start));
        var arrivals = delivered
            .Where(item => item.CreatedAt > start)
            .GroupBy(item => (
                Poll: Math.Min(polls - 1, (int)Math.Ceiling((item.CreatedAt - start) / interval)),
                PastDay: item.OccurredDate.UtcDateTime.Date == item.CreatedAt.UtcDateTime.Date ? (DateTime?)null : item.OccurredDate.UtcDateTime.Date));
        foreach (var group in arrivals)
        {
            pages[group.Key.Poll] += Pages(group.Count());
        }
        return pages.Sum(count => Math.Max(1, count));
    }

    private static int Pages(int events) => (events + PageSize - 1) / PageSize;

    private static string Markdown(IReadOnlyList<CostRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| Scenario | Events delivered | KnowBe4 calls | Calls per 100 events | Minimum calls | Calls ÷ minimum | Latency, history (median / max) | Latency, arrivals (median / max) | Latency floor | Minimum calls defined as |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---|---|---|---|");
        foreach (var row in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Scenario} | {row.Events:N0} | {row.Calls:N0} | {100.0 * row.Calls / row.Events:0.00} | {row.MinimumCalls:N0} | {(double)row.Calls / row.MinimumCalls:0.00} | {row.HistoryLatency} | {row.ArrivalLatency} | {row.LatencyFloor} | {row.MinimumRule} |");
        }
        return text.ToString();
    }

    private static string Duration(TimeSpan span) => span switch
    {
        { TotalMinutes: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s"),
        { TotalHours: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.Minutes} min {span.Seconds:00} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes:00} min"),
    };

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Kb4Collector.sln")))
            {
                return folder.FullName;
            }
        }
        return AppContext.BaseDirectory;
    }

    private sealed record CostRow(
        string Scenario,
        int Events,
        int Calls,
        int MinimumCalls,
        string MinimumRule,
        string HistoryLatency,
        string ArrivalLatency,
        string LatencyFloor);
}
