using System.Globalization;
using System.Net.Http.Headers;
using CsCheck;
using Kb4Collector.Emulator;
using Kb4Collector.Quota;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.EndToEnd;

/// <summary>
/// Model-based property test of issue 9's guarantees G1–G8: random interleavings of creations (now, backdated inside
/// the horizon, sharing a millisecond, at midnight and at the day's last millisecond), deletions of read and unread
/// events (also under a reader, between two pages of one scan), polls, restarts, kill -9 at a call or right after the
/// sink accepted, sink outages and split batches whose second half is refused, the daily quota running out mid-poll
/// (another tool spends it), the disk filling up right after the sink accepted a batch, and key rotation — against the emulator's ground truth. After a settle phase (world frozen,
/// collector running past the rescan interval): every event that exists and is owed was delivered exactly once, with
/// at most one batch repeated per kill. CsCheck prints the failing case and its seed (rerun it with the environment
/// variable <c>CsCheck_Seed</c>); each case that ever failed is kept below.
/// </summary>
public sealed class CollectionModelTests
{
    private const string Key1 = "model-key-1";
    private const string Key2 = "model-key-2";
    private const string OtherToolKey = "model-key-other-tool";

    /// <summary>Fails on the v1 engine: losses after deletions under a reader, duplicates after a rotation or a split, and more.</summary>
    // 300 seats: the budget pays for the plan's re-reads. A few random cases run by default; CsCheck_Iter=300 in the
    // environment runs more (600 cases of both budgets passed on 2026-12-05, in 3m42s on 2 cores).
    [Fact]
    [Trait("Category", "Model")]
    [Trait("Category", "EngineV2")]
    public Task RandomInterleavingsDeliverEveryOwedEventExactlyOnce() => SampleAsync(Runs(withDiskFull: false, seats: 300), iterations: 3);

    /// <summary>The same on a 30-seat account: 150 calls a day, so counts, re-reads and polls compete for the budget.</summary>
    [Fact]
    [Trait("Category", "Model")]
    [Trait("Category", "EngineV2")]
    public Task RandomInterleavingsOnATightBudgetDeliverEveryOwedEventExactlyOnce() => SampleAsync(Runs(withDiskFull: false, seats: 30), iterations: 3);

    /// <summary>The same with the disk filling up now and then (300 seats): a commit fails after the sink accepted its batch.</summary>
    // Before Storage.LiteDbInternals waited for LiteDB's writer, such runs now and then found a batch or two sent again
    // (seed 1f8mddGCLzi4 of this generator: 18 events): LiteDB had acknowledged commits its writer then failed to write.
    [Fact]
    [Trait("Category", "Model")]
    [Trait("Category", "EngineV2")]
    public Task RandomInterleavingsWithTheDiskFillingUpDeliverEveryOwedEventExactlyOnce() => SampleAsync(Runs(withDiskFull: true, seats: 300), iterations: 3);

    /// <summary>
    /// The same with the daemon down for up to nine days at a time (300 seats), while events arrive, some backdated up
    /// to five days, and are deleted: days cross the horizon while nobody looks (G4, and a day's closing read).
    /// </summary>
    [Fact]
    [Trait("Category", "Model")]
    [Trait("Category", "EngineV2")]
    public Task RandomInterleavingsWithDaysOfDowntimeDeliverEveryOwedEventExactlyOnce() => SampleAsync(Runs(withDiskFull: false, seats: 300, longestOutage: 9 * 24), iterations: 3);

    /// <summary>
    /// Many more interleavings on a 30-seat budget, the disk filling up and outages of up to two days included: its own
    /// CI step (<c>--filter-trait Category=ModelDrill --explicit on</c>), fresh cases each run. Its finds:
    /// <see cref="Seed0B_gMC8n0Dp7"/>, <see cref="Seed0007SmuKBBu7"/>, and two faults of the test itself
    /// (<see cref="SeedB_OPPwXpxOS3"/>, <see cref="SeedfAySt8pvH8w1"/>); 240 cases after the last fix found nothing.
    /// </summary>
    [Fact(Explicit = true)]
    [Trait("Category", "ModelDrill")]
    public Task DrillManyInterleavings() => SampleAsync(Runs(withDiskFull: true, seats: 30, longestOutage: 48), iterations: 60);

    /// <summary>
    /// Seed 0B_gMC8n0Dp7 (30 seats, found by the drill on 2026-12-06): 20 arrivals backdated 6 days, then kills, the
    /// quota spent for the rest of the day and the sink down. The next day's poll saw the count move but the quota
    /// stopped its walk; the day after, the arrivals' day was past the horizon and let go, because it had been read
    /// after it ended and a poll had been consistent since (before the arrivals): 16 lost. A day now leaves only after
    /// a proven read that began once it was outside the horizon.
    /// </summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed0B_gMC8n0Dp7() => RunAsync(new ModelRun(753423, 6, DayLookback: true, 768, 1.1, 0.2,
        [
            new DeleteDuringScan(0, 3, 187, 3), new SinkSplitsAndRefusesSecondHalf(22), new Create(2, 4, EmulatorBurstTime.SharedMillisecond, 577), new Poll(51),
            new Create(20, 6, EmulatorBurstTime.Spread, 443), new Poll(18), new SinkSplitsAndRefusesSecondHalf(10), new KillAfterAcceptance(), new Restart(),
            new KillAtCall(1), new QuotaRunsOut(3), new SinkDown(6),
        ]));

    // Every case that ever failed, kept as a regression. A CsCheck seed names a case only for one version of the
    // generators below, so each case is spelled out as well: it survives changes to the generators.

    /// <summary>Seed 8soSG16weQe2 (first generator). v1: 9 arrivals backdated 4 days (inside the horizon, before the start day) lost.</summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed8soSG16weQe2() => RunAsync(new ModelRun(500206, 17, DayLookback: false, 1312, 0.5, 0.2,
        [new Poll(44), new Poll(16), new QuotaRunsOut(1), new Poll(40), new Poll(57)]));

    /// <summary>Seed 0000uHtYrU_2 (first generator). v1: with a 24h lookback, 19 arrivals backdated 1–5 days lost.</summary>
    // Also failed on the first v2 engine: on this 30-seat budget the day walks looking for backdated arrivals spent
    // every call by mid-morning, so nothing was polled, walked or re-read until midnight.
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed0000uHtYrU_2() => RunAsync(new ModelRun(83360, 9, DayLookback: true, 1388, 2, 0.1,
        [new Poll(47), new Poll(46), new Create(20, 1, EmulatorBurstTime.Midnight, 147), new Restart()]));

    /// <summary>Seed 0000CRhKLRq2 (second generator). v1: 1,098 events sent twice after the key rotation.</summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed0000CRhKLRq2() => RunAsync(new ModelRun(670835, 14, DayLookback: false, 1431, 0.8, 0,
        [new SinkSplitsAndRefusesSecondHalf(17), new Poll(9), new Poll(16), new Create(9, 0, EmulatorBurstTime.LastMillisecond, 515), new Restart(), new RotateKey(), new Poll(18)]));

    /// <summary>Seed 0000FhZeD961 (second generator). v1: an arrival backdated 3 days, created during kills and deletions under a reader, lost.</summary>
    // Also failed on the first v2 engine: on this 30-seat budget the day walks looking for backdated arrivals spent
    // every call by mid-morning, so nothing was polled, walked or re-read until midnight.
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed0000FhZeD961() => RunAsync(new ModelRun(837986, 3, DayLookback: false, 1184, 0.4, 0.1,
        [
            new Restart(), new Delete(3, 1, 34), new Delete(2, 1, 349), new KillAfterAcceptance(), new Poll(25), new KillAtCall(3), new Poll(28),
            new KillAfterAcceptance(), new DeleteDuringScan(0, 2, 131, 3), new DeleteDuringScan(2, 5, 187, 3), new Restart(),
        ]));

    /// <summary>
    /// Seed 0001DHSKuW01 (300 seats). v2: deletions during the first, multi-page read of a day before the lookback
    /// shift a history event onto a page already read; the read still looked whole (distinct ids = the day's count at
    /// its end), so the event was skipped, and the next re-read sent it as new.
    /// </summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed0001DHSKuW01() => RunAsync(new ModelRun(405826, 2, DayLookback: true, 1463, 0, 0,
        [new QuotaRunsOut(4), new RotateKey(), new DeleteDuringScan(2, 3, 89, 3), new KillAfterAcceptance(), new Poll(11), new Delete(5, 5, 494)], Seats: 300));

    /// <summary>
    /// Seed 0002iABFChK2 (300 seats). v2: the first start's cursor was stored only with its first batch; killed right
    /// after the sink accepted that batch, the restarted process measured the lookback from its own, later start and
    /// took three events of the lookback's first day for history.
    /// </summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed0002iABFChK2() => RunAsync(new ModelRun(227535, 21, DayLookback: false, 233, 0.2, 0.2,
        [
            new QuotaRunsOut(1), new KillAfterAcceptance(), new Delete(4, 5, 182), new SinkSplitsAndRefusesSecondHalf(12), new Poll(22), new Restart(),
            new KillAfterAcceptance(), new DeleteDuringScan(4, 4, 55, 2), new Poll(55),
        ], Seats: 300));

    /// <summary>
    /// Seed 3AwlMITQ72-2 (300 seats, outages). v2: killed at the fifth call of the first run, while it read the horizon's
    /// days before the lookback as history, then down for almost six days. The resumed first run no longer counted
    /// those days as the horizon's, its scan stopped above them, and it seeded the one not yet read as an empty day;
    /// the next count found its 138 history events and sent them as new.
    /// </summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed3AwlMITQ72_2() => RunAsync(new ModelRun(443416, 18, DayLookback: false, 394, 1.6, 0,
        [new KillAtCall(5), new Outage(140), new DeleteDuringScan(3, 2, 112, 3), new Poll(4), new Outage(130), new Delete(5, 5, 189)], Seats: 300));

    /// <summary>
    /// Seed dtTcxUlTedT1 (300 seats, outages). The test's own mistake: an outage before the first poll moved the first
    /// start, which the ground-truth check takes as the bed's, so 4,502 events before the real lookback looked owed. An
    /// outage now begins once the source has started.
    /// </summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task SeeddtTcxUlTedT1() => RunAsync(new ModelRun(604250, 5, DayLookback: false, 910, 1.3, 0,
        [new Outage(124), new KillAfterAcceptance(), new SinkDown(10), new Create(21, 2, EmulatorBurstTime.LastMillisecond, 361), new Restart()], Seats: 300));

    /// <summary>
    /// Seed 0007SmuKBBu7 (30 seats, outages). The sink refused while the daemon went down for 15 hours; the source's
    /// retry window ran out meanwhile, so the restarted daemon resumed it in Error with its retries stopped, and nothing
    /// more was collected (the kill that followed never came: no call was made). A window that runs out while the
    /// daemon is down now opens again at the next start.
    /// </summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed0007SmuKBBu7() => RunAsync(new ModelRun(83884, 20, DayLookback: false, 222, 0.5, 0,
        [
            new SinkSplitsAndRefusesSecondHalf(9), new Outage(15), new KillAtCall(2), new Create(13, 2, EmulatorBurstTime.Midnight, 155),
            new DiskFullAfterNextAcceptance(17), new KillAfterAcceptance(),
        ]));

    /// <summary>Seed 0007SmuKBBu7 cut down: the refusal and the outage alone lost 419 of 610 events.</summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task Seed0007SmuKBBu7CutDown() => RunAsync(new ModelRun(83884, 20, DayLookback: false, 222, 0.5, 0,
        [new SinkSplitsAndRefusesSecondHalf(9), new Outage(15), new KillAtCall(2)]));

    /// <summary>
    /// Seed b_OPPwXpxOS3 (30 seats, outages). The test's own fault: freezing the world for the settle phase froze the
    /// emulator's quota day too, so the collector's next UTC day found the account's quota still spent and one
    /// backdated event was not read in time. The emulator's quota day now follows the bed's clock.
    /// </summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task SeedB_OPPwXpxOS3() => RunAsync(new ModelRun(975118, 6, DayLookback: true, 1103, 1.8, 0.1,
        [
            new Create(10, 4, EmulatorBurstTime.Midnight, 140), new RotateKey(), new Restart(), new RotateKey(), new Outage(41),
            new Delete(10, 1, 30), new Poll(31), new SinkDown(18), new RotateKey(),
        ]));

    /// <summary>
    /// Seed fAySt8pvH8w1 (30 seats, outages). The test's own fault: an outage restarted the process before moving the
    /// clock, so the daemon read its stored retry window before the downtime and gave up at its first failure after it.
    /// An outage now moves the clock first.
    /// </summary>
    [Fact]
    [Trait("Category", "EngineV2")]
    public Task SeedfAySt8pvH8w1() => RunAsync(new ModelRun(775530, 23, DayLookback: false, 232, 0.7, 0,
        [new SinkSplitsAndRefusesSecondHalf(24), new SinkSplitsAndRefusesSecondHalf(14), new Poll(2), new Outage(19), new DiskFullAfterNextAcceptance(1)]));

    private static Task SampleAsync(Gen<ModelRun> runs, long iterations) =>
        runs.SampleAsync(
            RunAsync,
            writeLine: line => TestContext.Current.TestOutputHelper?.WriteLine(line),
            // CsCheck_Iter in the environment runs more (the drills, a hunt for new seeds).
            iter: Environment.GetEnvironmentVariable("CsCheck_Iter") is null ? iterations : -1,
            threads: 1,
            print: run => run.ToString());

    /// <param name="longestOutage">Hours the daemon may be down in one step; 0: never. A budget must pay for reading
    /// what arrives meanwhile within the settle phase (a 30-seat account reads about 15,000 events a day).</param>
    private static Gen<ModelOp> Ops(bool withDiskFull, int longestOutage)
    {
        (int, IGen<ModelOp>)[] ops =
        [
            (6, Gen.Int[1, 60].Select(minutes => (ModelOp)new Poll(minutes))),
            (4, Gen.Select(Gen.Int[1, 40], Gen.Int[0, 6], Gen.Enum<EmulatorBurstTime>(), Gen.Int[0, 600], (count, daysBack, at, inSeconds) => (ModelOp)new Create(count, daysBack, at, inSeconds))),
            (3, Gen.Select(Gen.Int[1, 10], Gen.Int[0, 6], Gen.Int[0, 600], (count, daysBack, inSeconds) => (ModelOp)new Delete(count, daysBack, inSeconds))),
            (2, Gen.Select(Gen.Int[0, 4], Gen.Int[2, 5], Gen.Int[0, 400], Gen.Int[1, 5], (daysBack, page, position, count) => (ModelOp)new DeleteDuringScan(daysBack, page, position, count))),
            (1, Gen.Const<ModelOp>(new Restart())),
            (1, Gen.Int[1, 8].Select(calls => (ModelOp)new KillAtCall(calls))),
            (1, Gen.Const<ModelOp>(new KillAfterAcceptance())),
            (1, Gen.Int[5, 40].Select(minutes => (ModelOp)new SinkDown(minutes))),
            (1, Gen.Int[5, 30].Select(minutes => (ModelOp)new SinkSplitsAndRefusesSecondHalf(minutes))),
            (1, Gen.Int[0, 5].Select(callsLeft => (ModelOp)new QuotaRunsOut(callsLeft))),
            (1, Gen.Const<ModelOp>(new RotateKey())),
        ];
        if (withDiskFull)
        {
            ops = [.. ops, (1, Gen.Int[1, 30].Select(minutes => (ModelOp)new DiskFullAfterNextAcceptance(minutes)))];
        }
        if (longestOutage > 0)
        {
            ops = [.. ops, (1, Gen.Int[1, longestOutage].Select(hours => (ModelOp)new Outage(hours)))];
        }
        return Gen.Frequency(ops);
    }

    private static Gen<ModelRun> Runs(bool withDiskFull, int seats, int longestOutage = 0) => Gen.Select(
        Gen.Int[1, 1_000_000], Gen.Int[0, 23], Gen.Bool, Gen.Int[200, 1_500], Gen.Int[0, 20], Gen.Int[0, 2], Ops(withDiskFull, longestOutage).Array[4, 12],
        (seed, startHour, dayLookback, backlog, arrivalsPerTenMinutes, deletionsPerTenMinutes, ops) =>
            new ModelRun(seed, startHour, dayLookback, backlog, arrivalsPerTenMinutes / 10.0, deletionsPerTenMinutes / 10.0, ops, seats));

    private static async Task RunAsync(ModelRun run)
    {
        var settings = new EndToEndSettings
        {
            Start = new DateTimeOffset(2026, 3, 10, run.StartHour, 0, 0, TimeSpan.Zero),
            InitialLookback = run.DayLookback ? TimeSpan.FromHours(24) : null,
            MaxBatchEvents = 100,
            LicensedUsers = run.Seats,
            StorageFaults = true,
        };
        var scenario = new EmulatorScenario
        {
            Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = run.Seats, ApiKeys = [Key1, Key2, OtherToolKey] }],
            Backlog = new EmulatorBacklog { Events = run.Backlog, Days = 5 },
            Arrivals = new EmulatorArrivals
            {
                PerMinute = run.ArrivalsPerMinute,
                BackdatedFraction = 0.1,
                BackdatedMaxDays = 5,
                SameMillisecondFraction = 0.05,
                DeletionsPerMinute = run.DeletionsPerMinute,
            },
            Limits = new EmulatorLimits { RequestsPerSecond = 0, CallsPerSeatPerDay = 10 },
            Seed = run.Seed,
        };
        await using var bed = await EndToEndBed.StartAsync(scenario, settings);
        var kills = 0;
        var quotaRanOut = false;
        var key = Key1;
        foreach (var op in run.Ops)
        {
            var now = bed.EmulatorClock.GetUtcNow();
            switch (op)
            {
                case Poll poll:
                    await bed.DriveForAsync(TimeSpan.FromMinutes(poll.Minutes));
                    break;
                case Create create:
                    bed.Emulator.ScheduleBurst(new EmulatorBurst { At = EmulatorTime.At(now.AddSeconds(create.InSeconds)), Create = create.Count, CreateDaysBack = create.DaysBack, CreateAt = create.At });
                    break;
                case Delete delete:
                    bed.Emulator.ScheduleBurst(new EmulatorBurst { At = EmulatorTime.At(now.AddSeconds(delete.InSeconds)), Delete = delete.Count, DeleteDaysBack = delete.DaysBack });
                    break;
                case DeleteDuringScan scan:
                    bed.Emulator.AddScanDeletion(new EmulatorScanDeletion { Day = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-scan.DaysBack), Page = scan.Page, Position = scan.Position, Count = scan.Count });
                    break;
                case Restart:
                    bed.Restart();
                    break;
                case KillAtCall kill:
                    await KillAsync(bed, killAtCall: bed.KnowBe4Calls.Started + kill.CallsAhead, killAfterAcceptance: false);
                    kills++;
                    break;
                case KillAfterAcceptance:
                    // Killed right after the sink accepted a batch; if no batch goes out within ten calls, at the tenth.
                    await KillAsync(bed, killAtCall: bed.KnowBe4Calls.Started + 10, killAfterAcceptance: true);
                    kills++;
                    break;
                case SinkDown down:
                    var upAgain = bed.Time.GetUtcNow().AddMinutes(down.Minutes);
                    bed.Sink.Refuse = () => bed.Time.GetUtcNow() < upAgain;
                    break;
                case SinkSplitsAndRefusesSecondHalf split:
                    bed.RefuseTheSecondHalfOfTheNextFullBatch(TimeSpan.FromMinutes(split.Minutes));
                    break;
                case QuotaRunsOut quota:
                    await SpendQuotaAsync(bed, run.Seats, quota.CallsLeft);
                    quotaRanOut = true;
                    break;
                case DiskFullAfterNextAcceptance full:
                    // The disk fills up right after the sink accepts a batch, and stays full for a while.
                    bed.SinkTransport.AfterAcceptance = _ => bed.StorageFull = true;
                    await bed.DriveForAsync(TimeSpan.FromMinutes(full.Minutes));
                    bed.SinkTransport.AfterAcceptance = null;
                    bed.StorageFull = false;
                    break;
                case RotateKey:
                    key = key == Key1 ? Key2 : Key1;
                    bed.RotateApiKey(key);
                    break;
                case Outage outage:
                    // The daemon is down while the account lives on: arrivals, backdated ones and deletions included.
                    // It has started first: the lookback counts from the first start, which the check takes as the bed's.
                    if (bed.Process.Pipeline.Collector.ReadCheckpoint() is null)
                    {
                        await bed.DriveForAsync(TimeSpan.FromMinutes(1));
                    }
                    // The clock moves first: the daemon that starts again reads its stored state at the later time.
                    bed.Time.Advance(TimeSpan.FromHours(outage.Hours));
                    bed.Restart();
                    break;
            }
        }

        bed.Sink.Refuse = () => false;
        bed.Sink.Answer = null;
        if (quotaRanOut)
        {
            // The quota day is the emulator's: it only resets while the world still moves.
            var emulatorNow = bed.EmulatorClock.GetUtcNow();
            await bed.DriveUntilAsync(new DateTimeOffset(emulatorNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(1).AddMinutes(30));
        }
        // Re-reads come as often as the budget's plan affords, which may be less often than the rescan interval. The
        // plan is read once the process has polled (a process restarted by the last step has none yet). A budget that
        // does not pay for the schedule may have spent today's calls: what is owed then comes within the plan's
        // rescan period of the next UTC day.
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromMinutes(30));
        var plan = bed.Process.Pipeline.Plan;
        var settle = plan?.RescanPeriod ?? settings.RescanInterval;
        if (plan is { PaysForHorizon: false } && settle < TimeSpan.FromDays(2))
        {
            settle += PollSchedule.UntilNextUtcMidnight(bed.Time.GetUtcNow());
        }
        await bed.DriveForAsync(settle < TimeSpan.FromDays(2) ? settle : TimeSpan.FromDays(2));
        bed.AssertDeliveredMatchesGroundTruth(allowedDuplicates: kills * settings.MaxBatchEvents, mayEndEmpty: true);
    }

    private static async Task KillAsync(EndToEndBed bed, int killAtCall, bool killAfterAcceptance)
    {
        bed.KnowBe4Calls.BeforeCall = call =>
        {
            if (call == killAtCall)
            {
                bed.Kill();
            }
        };
        if (killAfterAcceptance)
        {
            bed.SinkTransport.AfterAcceptance = _ => bed.Kill();
        }
        try
        {
            await bed.StepUntilKilledThenRestartAsync();
        }
        finally
        {
            bed.KnowBe4Calls.BeforeCall = null;
            bed.SinkTransport.AfterAcceptance = null;
        }
    }

    /// <summary>Another tool on the same account spends today's quota until <paramref name="callsLeft"/> calls remain.</summary>
    private static async Task SpendQuotaAsync(EndToEndBed bed, int seats, int callsLeft)
    {
        using var client = new HttpClient { BaseAddress = bed.Emulator.BaseUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OtherToolKey);
        var toSpend = (seats * 10) - bed.Emulator.Accounts[0].QuotaCallsToday - callsLeft;
        for (var call = 0; call < toSpend; call++)
        {
            using var response = await client.GetAsync("events?per_page=1", TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>One generated run: the world's parameters and the operations applied in order.</summary>
internal sealed record ModelRun(int Seed, int StartHour, bool DayLookback, int Backlog, double ArrivalsPerMinute, double DeletionsPerMinute, ModelOp[] Ops, int Seats = 30)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"emulator seed {Seed}, start {StartHour:00}:00, lookback {(DayLookback ? "24h" : "3 days")}, backlog {Backlog}, {ArrivalsPerMinute}/min arrivals, {DeletionsPerMinute}/min deletions; {string.Join("; ", Ops.Select(op => op.ToString()))}");
}

internal abstract record ModelOp;

internal sealed record Poll(int Minutes) : ModelOp;

internal sealed record Create(int Count, int DaysBack, EmulatorBurstTime At, int InSeconds) : ModelOp;

internal sealed record Delete(int Count, int DaysBack, int InSeconds) : ModelOp;

internal sealed record DeleteDuringScan(int DaysBack, int Page, int Position, int Count) : ModelOp;

internal sealed record Restart : ModelOp;

internal sealed record KillAtCall(int CallsAhead) : ModelOp;

internal sealed record KillAfterAcceptance : ModelOp;

internal sealed record SinkDown(int Minutes) : ModelOp;

internal sealed record SinkSplitsAndRefusesSecondHalf(int Minutes) : ModelOp;

internal sealed record QuotaRunsOut(int CallsLeft) : ModelOp;

internal sealed record DiskFullAfterNextAcceptance(int Minutes) : ModelOp;

internal sealed record RotateKey : ModelOp;

internal sealed record Outage(int Hours) : ModelOp;
