using System.Text.Json;
using Kb4Collector.Configuration;
using Kb4Collector.Emulator;
using Kb4Collector.Health;
using Kb4Collector.Lifecycle;
using Kb4Collector.Reporting;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Reporting;

/// <summary>The Reporting data types against the emulator over simulated days, on the fake clock.</summary>
public sealed class ReportingEndToEndTests
{
    private static readonly DateTimeOffset Start = new EndToEndSettings().Start;

    private static EmulatorScenario Scenario(EmulatorReporting? reporting = null, int seed = 41) => new()
    {
        Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 40, ApiKeys = ["e2e-key-1"] }],
        Backlog = new EmulatorBacklog { Events = 200, Days = 3 },
        Arrivals = new EmulatorArrivals { PerMinute = 0.2 },
        Reporting = reporting ?? new EmulatorReporting
        {
            PhishingTestEvery = TimeSpan.FromDays(1),
            PhishingTestDuration = TimeSpan.FromDays(2),
            RecipientsPerTest = 12,
            History = TimeSpan.FromDays(4),
        },
        Seed = seed,
    };

    [Fact]
    public async Task EveryRecipientResultAndEveryChangeIsDeliveredOnceWhileUserEventsFlowOnTheirOwnKeyAndNoLimitIsExceeded()
    {
        await using var bed = await ReportingBed.StartAsync(
            Scenario(),
            [ReportingDataType.PhishingTests],
            reporting => reporting with { PhishingPollInterval = TimeSpan.FromHours(1), QuietPeriod = TimeSpan.FromDays(2) },
            new EndToEndSettings { CallDuration = TimeSpan.FromMilliseconds(350), LicensedUsers = 40 },
            userEvents: true);

        await bed.DriveUntilAsync(Start.AddDays(5));
        bed.Bed.EmulatorClock.Freeze();
        await bed.DriveForAsync(TimeSpan.FromHours(1));

        var truth = bed.Emulator.GroundTruth.ReportingVersions().Where(version => version.DataType == ReportingDataTypes.PhishingTests).ToList();
        var lines = bed.Lines(ReportingDataTypes.PhishingTests);
        AssertEveryLineIsAVersionAndNoneRepeats(truth, lines);

        // Everything that exists now is delivered in its latest version: nothing changed goes unreported.
        var latest = truth.GroupBy(version => version.Key).ToDictionary(group => group.Key, group => group.MaxBy(version => version.From)!.Json);
        var lastDelivered = lines.GroupBy(line => line.Key).ToDictionary(group => group.Key, group => group.Last().Record);
        Assert.Equal(latest.Keys.Order(), lastDelivered.Keys.Order());
        Assert.All(latest, entry => Assert.Equal(entry.Value, lastDelivered[entry.Key]));
        Assert.Contains(lines, line => line.Change == ReportingPipeline.ChangeUpdated);
        Assert.All(lines.GroupBy(line => line.Key), group => Assert.Equal(ReportingPipeline.ChangeCreated, group.First().Change));
        Assert.All(lines.GroupBy(line => line.Key), group => Assert.All(group.Skip(1), line => Assert.Equal(ReportingPipeline.ChangeUpdated, line.Change)));

        // Each line carries its test's identity.
        var line0 = lines[0].Envelope.GetProperty("test");
        Assert.True(line0.TryGetProperty("pst_id", out _) && line0.TryGetProperty("campaign_id", out _) && line0.TryGetProperty("name", out _) && line0.TryGetProperty("started_at", out _));

        // The Reporting limits were never exceeded: KnowBe4 refused nothing, and the calls as sent obey 4/s and 50/min.
        var counts = bed.Emulator.GroundTruth.ReportingCalls;
        Assert.Equal((0L, 0L, 0L), (counts.PerSecondRefused, counts.BurstRefused, counts.DailyRefused));
        AssertRollingLimit(bed.ReportingCalls(), TimeSpan.FromSeconds(1), 4);
        AssertRollingLimit(bed.ReportingCalls(), TimeSpan.FromMinutes(1), 50);

        // User Events kept flowing, exactly once, on their own key and budget: no Reporting call was charged to it.
        var userEvents = bed.UserEventLines().GroupBy(line => line.Id).ToDictionary(group => group.Key, group => group.Count());
        var owed = bed.Emulator.GroundTruth.LiveEvents().Where(bed.Bed.MustBeDelivered).ToList();
        Assert.NotEmpty(owed);
        var missing = owed.Where(item => userEvents.GetValueOrDefault(item.Id) != 1).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {owed.Count} User Events not delivered once, created {missing.FirstOrDefault()?.CreatedAt:O} to {missing.LastOrDefault()?.CreatedAt:O}; "
            + $"User Events: {bed.Bed.Process.Supervisor.Status.State} ({bed.Bed.Process.Supervisor.Status.LastReason}) next {bed.Bed.Process.Supervisor.Status.NextAttemptAt:O}; " + bed.Describe());
        var userEventCalls = bed.Bed.KnowBe4Calls.Calls.Count(call => !call.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal));
        var ledger = bed.Bed.Process.Ledger.DailyUsage(bed.Source.ApiKeyFingerprint, DateOnly.FromDateTime(Start.UtcDateTime), DateOnly.FromDateTime(Start.UtcDateTime).AddDays(9));
        Assert.Equal(userEventCalls, ledger.Sum(day => day.Calls));
        // The User Event quota was never exceeded either (its per-second window is calendar time, frozen for the last hour).
        Assert.Equal(0, bed.Emulator.GroundTruth.TooManyRequestsServed.Quota);
    }

    [Fact]
    public async Task ATestClosedAndQuietForLongerThanTheQuietPeriodIsNoLongerRead()
    {
        await using var bed = await ReportingBed.StartAsync(
            Scenario(),
            [ReportingDataType.PhishingTests],
            reporting => reporting with { PhishingPollInterval = TimeSpan.FromHours(2), QuietPeriod = TimeSpan.FromDays(1) });

        await bed.DriveUntilAsync(Start.AddDays(5));

        var quietSince = Start.AddDays(5) - TimeSpan.FromDays(1) - TimeSpan.FromHours(4);
        var retired = bed.Emulator.GroundTruth.ClosedTests(before: Start.AddDays(2));
        Assert.True(retired.Count > 0, bed.Describe());
        foreach (var pstId in retired)
        {
            var reads = bed.ReportingCalls().Where(call => call.PathAndQuery.StartsWith($"/v1/phishing/security_tests/{pstId}/recipients", StringComparison.Ordinal)).ToList();
            Assert.DoesNotContain(reads, call => call.At > quietSince);
        }
        var checkpoint = bed.Pipeline(ReportingDataType.PhishingTests).ReadCheckpoint();
        Assert.True(checkpoint.RetiredTests >= retired.Count, $"{checkpoint.RetiredTests} retired of {checkpoint.Tests}; " + bed.Describe());
        // Open tests are still read.
        Assert.Contains(bed.ReportingCalls(), call => call.At > quietSince && call.PathAndQuery.Contains("/recipients", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnchangedRecordIsNeverSentAgain()
    {
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.PhishingTests, ReportingDataType.TrainingEnrollments],
            reporting => reporting with { PhishingPollInterval = TimeSpan.FromHours(1), TrainingPollInterval = TimeSpan.FromHours(1) });
        bed.Bed.EmulatorClock.Freeze();

        await bed.DriveForAsync(TimeSpan.FromMinutes(1));
        var first = bed.Lines();
        Assert.True(first.Count > 0, bed.Describe());
        Assert.All(first, line => Assert.Equal(ReportingPipeline.ChangeCreated, line.Change));

        await bed.DriveForAsync(TimeSpan.FromHours(6));
        Assert.True(bed.ReportingCalls().Count > 20);
        Assert.Equal(first.Count, bed.Lines().Count);

        // A restart does not forget what was sent either.
        bed.Restart();
        await bed.DriveForAsync(TimeSpan.FromHours(2));
        Assert.Equal(first.Count, bed.Lines().Count);
    }

    [Fact]
    public async Task ARecordThatChangesAfterItWasFirstSeenIsSentAgainAsUpdated()
    {
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.PhishingTests, ReportingDataType.TrainingEnrollments],
            reporting => reporting with { PhishingPollInterval = TimeSpan.FromHours(1), TrainingPollInterval = TimeSpan.FromHours(1) });

        await bed.DriveForAsync(TimeSpan.FromMinutes(1));
        var first = bed.Lines();
        var seen = first.Select(line => line.Key).ToHashSet();

        // The world moves on a day: recipients open, click and report; enrollments start and pass.
        await bed.DriveForAsync(TimeSpan.FromDays(1));
        var later = bed.Lines().Skip(first.Count).ToList();
        AssertChangedFieldsNameWhatDiffers(bed.Lines());
        Assert.Contains(later, line => line.Change == ReportingPipeline.ChangeUpdated && line.DataType == ReportingDataTypes.PhishingTests && seen.Contains(line.Key));
        Assert.Contains(later, line => line.Change == ReportingPipeline.ChangeUpdated && line.DataType == ReportingDataTypes.TrainingEnrollments && seen.Contains(line.Key));
        AssertEveryLineIsAVersionAndNoneRepeats(bed.Emulator.GroundTruth.ReportingVersions(), bed.Lines());
    }

    [Fact]
    public async Task A429ParksTheDataTypeUntilItsWindowEndsWithAWarningAndNoRetryStorm()
    {
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.PhishingTests],
            reporting => reporting with { PhishingPollInterval = TimeSpan.FromHours(1) });
        bed.Emulator.AddFault(new EmulatorFault
        {
            Kind = EmulatorFaultKind.RateLimited,
            Paths = ["/v1/"],
            From = TimeSpan.Zero,
            To = TimeSpan.FromMinutes(3),
        });

        await bed.DriveForAsync(TimeSpan.FromSeconds(5));
        var parked = bed.Supervisor(ReportingDataType.PhishingTests).Status;
        Assert.Equal(1, bed.ReportingCalls().Count(call => call.Status == 429));
        Assert.NotNull(parked.NotBefore);
        Assert.InRange(parked.NotBefore!.Value - Start, TimeSpan.FromSeconds(59), TimeSpan.FromSeconds(63));
        var warning = Assert.Single(bed.HealthEvents(ReportingDataType.PhishingTests), e => e.EventName == HealthEventNames.ThirdPartyQuotaWarning);
        Assert.Equal(HealthSeverity.Warning, warning.SeverityLevel);
        Assert.Contains("50-calls-a-minute limit", warning.Details.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("daily API call quota", warning.Details.Description, StringComparison.Ordinal);
        Assert.NotEqual(SourceState.Error, parked.State);

        await bed.DriveForAsync(TimeSpan.FromMinutes(1));
        // The second 429 right after the burst park is taken for the daily window: parked until it ends, not retried.
        Assert.Equal(2, bed.ReportingCalls().Count(call => call.Status == 429));
        await bed.DriveForAsync(TimeSpan.FromHours(6));
        Assert.Equal(2, bed.ReportingCalls().Count(call => call.Status == 429));
        Assert.True(bed.Supervisor(ReportingDataType.PhishingTests).Status.NotBefore > Start.AddHours(20));
    }

    [Fact]
    public async Task TheBurstLimitEndsAPassEarlyAndTheNextPassResumesWithoutKnowBe4EverRefusing()
    {
        var reporting = ManyOpenTests(TimeSpan.FromHours(2), TimeSpan.FromDays(3));
        await using var bed = await ReportingBed.StartAsync(Scenario(reporting), [ReportingDataType.PhishingTests],
            r => r with { PhishingPollInterval = TimeSpan.FromHours(1) });
        bed.Bed.EmulatorClock.Freeze();

        await bed.DriveForAsync(TimeSpan.FromMinutes(10));

        Assert.True(bed.ReportingCalls().Count > 100, $"{bed.ReportingCalls().Count} calls");
        AssertRollingLimit(bed.ReportingCalls(), TimeSpan.FromMinutes(1), 50);
        Assert.Equal(0L, bed.Emulator.GroundTruth.ReportingCalls.BurstRefused);
        var truth = bed.Emulator.GroundTruth.ReportingVersions().Where(version => version.DataType == ReportingDataTypes.PhishingTests)
            .GroupBy(version => version.Key).Select(group => group.MaxBy(version => version.From)!.Json).Order().ToList();
        Assert.Equal(truth, bed.Lines().Select(line => line.Record).Order().ToList());
    }

    /// <summary>
    /// Found by <see cref="ReportingModelTests"/> (seed bzatCxjACux8): 25 open tests cost 52 calls a pass, more than
    /// the 50 a minute allows. Each pass was cut by the burst limit and the next one, a minute later, read every test
    /// again from the one read longest ago: 50 calls a minute, the day's budget spent in twenty minutes, then nothing
    /// read for hours.
    /// </summary>
    [Fact]
    public async Task APassLongerThanTheBurstLimitAllowsResumesWhereItStoppedInsteadOfStartingOver()
    {
        var reporting = ManyOpenTests(TimeSpan.FromHours(4), TimeSpan.FromDays(5));
        await using var bed = await ReportingBed.StartAsync(Scenario(reporting), [ReportingDataType.PhishingTests],
            // A budget that pays for a pass an hour: the schedule is not stretched.
            r => r with { PhishingPollInterval = TimeSpan.FromHours(1), DailyCallBudget = 10_000 });
        bed.Bed.EmulatorClock.Freeze();

        await bed.DriveForAsync(TimeSpan.FromHours(3).Add(TimeSpan.FromMinutes(30)));

        var reads = bed.ReportingCalls().Where(call => call.PathAndQuery.Contains("/recipients?page=1", StringComparison.Ordinal))
            .GroupBy(call => call.PathAndQuery).ToList();
        Assert.True(reads.Count >= 25, $"{reads.Count} tests read");
        // Four passes (the first and one an hour), each of them reads each test once, however many minutes it spans;
        // a test whose pages the cut fell between is read again where the pass resumes.
        Assert.All(reads, test => Assert.True(test.Count() <= 5, $"{test.Key} read {test.Count()} times: {string.Join(", ", test.Select(call => call.At.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)))}"));
        Assert.InRange(reads.Sum(test => test.Count()), 4 * reads.Count, (4 * reads.Count) + 4);
        Assert.Equal(0L, bed.Emulator.GroundTruth.ReportingCalls.BurstRefused);
    }

    /// <summary>
    /// Found with <see cref="ReportingModelTests"/> (seed bzatCxjACux8): when the data types' schedules cost more than
    /// the key's daily budget, each polled at its interval until the budget was spent, then nothing was read until the
    /// window ended (four hours there, half a day here). Every schedule on the key now stretches by the same factor.
    /// </summary>
    [Fact]
    public async Task WhenTheBudgetDoesNotPayForTheSchedulesEveryScheduleStretchesAndNoDataTypeGoesDark()
    {
        var reporting = ManyOpenTests(TimeSpan.FromHours(4), TimeSpan.FromDays(6));
        await using var bed = await ReportingBed.StartAsync(Scenario(reporting),
            [ReportingDataType.PhishingTests, ReportingDataType.TrainingEnrollments, ReportingDataType.UserRiskScores],
            r => r with { PhishingPollInterval = TimeSpan.FromHours(1), TrainingPollInterval = TimeSpan.FromHours(1), RiskScorePollInterval = TimeSpan.FromHours(1) });

        await bed.DriveUntilAsync(Start.AddDays(3));

        // 25 open tests and more each day: a phishing pass costs 52 calls and up, 1,250 a day and up at one an hour,
        // against 988 scheduled calls. The schedule stretches, visibly, and KnowBe4's window never runs dry.
        Assert.Equal(0L, bed.Emulator.GroundTruth.ReportingCalls.DailyRefused);
        foreach (var type in new[] { ReportingDataType.PhishingTests, ReportingDataType.TrainingEnrollments, ReportingDataType.UserRiskScores })
        {
            Assert.DoesNotContain(bed.HealthEvents(type), e => e.EventName == HealthEventNames.ThirdPartyQuotaWarning);
        }
        var passes = bed.ReportingCalls().Where(call => call.PathAndQuery.StartsWith("/v1/phishing/security_tests?page=1", StringComparison.Ordinal)).Select(call => call.At).ToList();
        var gaps = passes.Zip(passes.Skip(1), (before, after) => after - before).ToList();
        Assert.True(gaps.Max() < TimeSpan.FromHours(3), $"no phishing pass for {gaps.Max()}: {string.Join(", ", passes.Select(at => at.ToString("dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)))}");
        var enrollments = bed.ReportingCalls().Where(call => call.PathAndQuery.StartsWith("/v1/training/enrollments", StringComparison.Ordinal)).Select(call => call.At).ToList();
        Assert.True(enrollments.Zip(enrollments.Skip(1), (before, after) => after - before).Max() < TimeSpan.FromHours(3), "enrollments went dark");
        var phishing = bed.Pipeline(ReportingDataType.PhishingTests).ReadCheckpoint();
        Assert.True(phishing.LastPassCalls > 52, $"a pass costs {phishing.LastPassCalls} calls");
        Assert.NotEqual("1h", phishing.EffectivePollInterval);
    }

    [Fact]
    public async Task ARecordTheSinkRefusesBecomesADeadLetterNotADropAndIsNotSentAgain()
    {
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.PhishingTests],
            reporting => reporting with { PhishingPollInterval = TimeSpan.FromHours(1) });
        bed.Bed.EmulatorClock.Freeze();
        // Every batch is refused as too large, so the collector splits it down to single records; the first single one is refused for good.
        var singles = 0;
        bed.Bed.Sink.Answer = (_, count) => count > 1 ? 413 : Interlocked.Increment(ref singles) == 1 ? 422 : null;

        await bed.DriveForAsync(TimeSpan.FromMinutes(10));
        bed.Bed.Sink.Answer = null;
        await bed.DriveForAsync(TimeSpan.FromHours(3));

        var truth = bed.Emulator.GroundTruth.ReportingVersions().Where(version => version.DataType == ReportingDataTypes.PhishingTests)
            .GroupBy(version => version.Key).ToDictionary(group => group.Key, group => group.MaxBy(version => version.From)!.Json);
        var deadLetter = Assert.Single(bed.Bed.Process.Services.Sink.DeadLetters.List(sourceId: bed.Pipeline(ReportingDataType.PhishingTests).Id));
        Assert.Equal(422, deadLetter.StatusCode);
        var refused = System.Text.Encoding.UTF8.GetString(deadLetter.Json.Span);
        using var refusedDocument = JsonDocument.Parse(refused);
        var key = refusedDocument.RootElement.GetProperty(ReportingEnvelope.Field).GetProperty("key").GetString()!;
        Assert.Equal(truth[key], ReportingEnvelope.Unwrap(refused));
        // Everything else arrived once; the refused record waits in the dead letters (replayable), not re-sent by every poll.
        var lines = bed.Lines();
        Assert.Equal(truth.Keys.Where(k => k != key).Order(), lines.Select(line => line.Key).Order());
        Assert.DoesNotContain(lines, line => line.Key == key);
        Assert.True(bed.ReportingCalls().Count(call => call.PathAndQuery.StartsWith("/v1/phishing/security_tests?", StringComparison.Ordinal)) >= 3 * 2, "polled again");
    }

    [Fact]
    public async Task AProcessKilledAfterTheSinkAcceptedABatchSendsAtMostThatBatchAgain()
    {
        var settings = new EndToEndSettings { CallDuration = TimeSpan.FromMilliseconds(350), MaxBatchEvents = 5 };
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.PhishingTests], settings: settings);
        bed.Bed.EmulatorClock.Freeze();
        bed.Bed.SinkTransport.AfterAcceptance = accepted =>
        {
            if (accepted == 3)
            {
                bed.Bed.Kill();
            }
        };

        Assert.True(await bed.DriveUntilKilledThenRestartAsync(Start.AddMinutes(5)), "never killed");
        bed.Bed.SinkTransport.AfterAcceptance = null;
        await bed.DriveForAsync(TimeSpan.FromMinutes(30));

        var lines = bed.Lines();
        var duplicates = lines.GroupBy(line => line.Record).Sum(group => group.Count() - 1);
        Assert.InRange(duplicates, 1, settings.MaxBatchEvents);
        var truth = bed.Emulator.GroundTruth.ReportingVersions().Where(version => version.DataType == ReportingDataTypes.PhishingTests)
            .GroupBy(version => version.Key).Select(group => group.MaxBy(version => version.From)!.Json).ToHashSet();
        Assert.True(truth.SetEquals(lines.Select(line => line.Record)));
    }

    /// <summary>
    /// G6 for the Reporting data types, found by <see cref="ReportingModelTests"/> (seed 5vuzGRlxNGd1): the disk filled
    /// up right after the sink accepted a batch, the commit failed, and the next poll found the batch's records changed
    /// and sent them again. The accepted records are now held and written first.
    /// </summary>
    [Fact]
    public async Task RecordsTheSinkAcceptedAreNotSentAgainWhenTheirCommitFailsOnAFullDisk()
    {
        var settings = new EndToEndSettings { CallDuration = TimeSpan.FromMilliseconds(350), MaxBatchEvents = 5, StorageFaults = true };
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.PhishingTests, ReportingDataType.TrainingEnrollments],
            r => r with { PhishingPollInterval = TimeSpan.FromHours(1), TrainingPollInterval = TimeSpan.FromHours(1) }, settings);
        bed.Bed.EmulatorClock.Freeze();
        FillTheDiskAfterTheSecondAcceptance(bed);

        await bed.DriveForAsync(TimeSpan.FromMinutes(5));
        Assert.True(bed.Bed.StorageWriteFailures > 0, "the disk never refused a write");
        bed.Bed.StorageFull = false;
        await bed.DriveForAsync(TimeSpan.FromHours(2));

        var lines = bed.Lines();
        Assert.Empty(lines.GroupBy(line => (line.DataType, line.Record)).Where(group => group.Count() > 1).Select(group => group.Key));
        var truth = bed.Emulator.GroundTruth.ReportingVersions()
            .GroupBy(version => (version.DataType, version.Key)).Select(group => group.MaxBy(version => version.From)!.Json).Order().ToList();
        Assert.Equal(truth, lines.Select(line => line.Record).Order().ToList());
    }

    /// <summary>
    /// A graceful stop writes what a failed commit left held, so the next start sends none of it again; a process that
    /// dies instead (the second case) sends it again, which shows the test can tell the two apart.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AGracefulStopWritesTheHeldRecordsSoTheNextStartDoesNotSendThemAgain(bool graceful)
    {
        var settings = new EndToEndSettings { CallDuration = TimeSpan.FromMilliseconds(350), MaxBatchEvents = 5, StorageFaults = true };
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.PhishingTests],
            r => r with { PhishingPollInterval = TimeSpan.FromHours(1) }, settings);
        bed.Bed.EmulatorClock.Freeze();
        FillTheDiskAfterTheSecondAcceptance(bed);
        await bed.DriveForAsync(TimeSpan.FromSeconds(30));
        Assert.True(bed.Bed.StorageWriteFailures > 0, "the disk never refused a write");

        // The disk has room again, and the daemon stops before the data type polls again.
        bed.Bed.StorageFull = false;
        if (graceful)
        {
            bed.Pipeline(ReportingDataType.PhishingTests).CommitHeldAtStop();
        }
        bed.Restart();
        await bed.DriveForAsync(TimeSpan.FromHours(2));

        var repeated = bed.Lines().GroupBy(line => line.Record).Count(group => group.Count() > 1);
        if (graceful)
        {
            Assert.Equal(0, repeated);
        }
        else
        {
            Assert.InRange(repeated, 1, settings.MaxBatchEvents);
        }
    }

    [Fact]
    public async Task EveryEnrollmentAndEveryChangeOfItIsDeliveredOnceOverSimulatedDays()
    {
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.TrainingEnrollments],
            reporting => reporting with { TrainingPollInterval = TimeSpan.FromHours(2) });

        await bed.DriveUntilAsync(Start.AddDays(9));
        bed.Bed.EmulatorClock.Freeze();
        await bed.DriveForAsync(TimeSpan.FromHours(1));

        var truth = bed.Emulator.GroundTruth.ReportingVersions().Where(version => version.DataType == ReportingDataTypes.TrainingEnrollments).ToList();
        var lines = bed.Lines(ReportingDataTypes.TrainingEnrollments);
        AssertEveryLineIsAVersionAndNoneRepeats(truth, lines);
        var latest = truth.GroupBy(version => version.Key).ToDictionary(group => group.Key, group => group.MaxBy(version => version.From)!.Json);
        var lastDelivered = lines.GroupBy(line => line.Key).ToDictionary(group => group.Key, group => group.Last().Record);
        Assert.Equal(latest.Keys.Order(), lastDelivered.Keys.Order());
        Assert.All(latest, entry => Assert.Equal(entry.Value, lastDelivered[entry.Key]));
        // Each enrollment's every version since the first poll (started, passed) came through: its changes are hours apart.
        var owed = truth.GroupBy(version => version.Key).Sum(group => group.Count(version => version.From > Start) + (group.Any(version => version.From <= Start) ? 1 : 0));
        Assert.Equal(owed, lines.Count);
        Assert.Contains(lines, line => line.Record.Contains("\"status\":\"Passed\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EnrollmentsAreReadByCursorWhenTheAnswerOffersOneAndByPageNumbersOtherwise(bool cursors)
    {
        // 37 campaigns of 15 enrollments: two pages of 500.
        var reporting = new EmulatorReporting
        {
            TrainingCampaignEvery = TimeSpan.FromHours(2),
            EnrollmentsPerCampaign = 15,
            History = TimeSpan.FromDays(3),
            EnrollmentCursors = cursors,
        };
        await using var bed = await ReportingBed.StartAsync(Scenario(reporting), [ReportingDataType.TrainingEnrollments],
            r => r with { TrainingPollInterval = TimeSpan.FromHours(1) });
        bed.Bed.EmulatorClock.Freeze();

        await bed.DriveForAsync(TimeSpan.FromMinutes(30));

        var truth = bed.Emulator.GroundTruth.ReportingVersions().Where(version => version.DataType == ReportingDataTypes.TrainingEnrollments)
            .GroupBy(version => version.Key).ToDictionary(group => group.Key, group => group.MaxBy(version => version.From)!.Json);
        Assert.True(truth.Count > ReportingClient.MaxPerPage, $"{truth.Count} enrollments");
        var lines = bed.Lines();
        Assert.Equal(truth.Keys.Order(), lines.Select(line => line.Key).Order());
        Assert.All(lines, line => Assert.Equal(truth[line.Key], line.Record));

        // One pass: the first call asks for a cursor; then the next cursor, or page 2 and the empty page 3 from a server without cursors.
        var pass = bed.ReportingCalls().Where(call => call.PathAndQuery.StartsWith("/v1/training/enrollments", StringComparison.Ordinal)).Take(cursors ? 2 : 3).ToList();
        Assert.Contains("cursor=true", pass[0].PathAndQuery, StringComparison.Ordinal);
        if (cursors)
        {
            Assert.Matches("cursor=[A-Za-z0-9]", pass[1].PathAndQuery);
            Assert.DoesNotContain("page=", pass[1].PathAndQuery.Replace("per_page=", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("page=2", pass[1].PathAndQuery, StringComparison.Ordinal);
            Assert.Contains("page=3", pass[2].PathAndQuery, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task EachUserGetsOneRiskSnapshotPerUtcDayFromOneListCallPerPage()
    {
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.UserRiskScores],
            reporting => reporting with { RiskScorePollInterval = TimeSpan.FromHours(1) });

        await bed.DriveUntilAsync(Start.AddDays(3).AddHours(1));

        var lines = bed.Lines(ReportingDataTypes.UserRiskScores).Where(line => !line.Envelope.TryGetProperty("riskHistory", out _)).ToList();
        var days = Enumerable.Range(0, 4).Select(offset => DateOnly.FromDateTime(Start.UtcDateTime).AddDays(offset)).ToList();
        var expected = days.SelectMany(day => bed.Emulator.GroundTruth.RiskSnapshots(day)).ToList();
        Assert.Equal(expected.Select(snapshot => snapshot.Key).Order(), lines.Select(line => line.Key).Order());
        Assert.All(lines, line => Assert.Equal(ReportingPipeline.ChangeSnapshot, line.Change));
        var byKey = expected.ToDictionary(snapshot => snapshot.Key, snapshot => snapshot.Json);
        Assert.All(lines, line => Assert.Equal(byKey[line.Key], line.Record));
        // One /v1/users call per page plus the empty page that ends the list, once a day; no per-user calls.
        var userCalls = bed.ReportingCalls().Where(call => call.PathAndQuery.StartsWith("/v1/users", StringComparison.Ordinal)).ToList();
        Assert.All(userCalls, call => Assert.StartsWith("/v1/users?", call.PathAndQuery, StringComparison.Ordinal));
        Assert.Equal(days.Count * 2, userCalls.Count);
    }

    [Fact]
    public async Task EveryAccountAndGroupRiskHistoryPointIsDeliveredOnceFromAtMostOneSweepAUtcDay()
    {
        await using var bed = await ReportingBed.StartAsync(Scenario(), [ReportingDataType.UserRiskScores],
            reporting => reporting with { RiskScorePollInterval = TimeSpan.FromHours(1) });

        // A restart in the middle of a day polls at once: the day's sweep is done and is not repeated.
        await bed.DriveUntilAsync(Start.AddDays(1).AddHours(2));
        bed.Restart();
        await bed.DriveUntilAsync(Start.AddDays(3).AddHours(1));

        var lines = bed.Lines(ReportingDataTypes.UserRiskScores).Where(line => line.Envelope.TryGetProperty("riskHistory", out _)).ToList();
        var days = Enumerable.Range(0, 4).Select(offset => DateOnly.FromDateTime(Start.UtcDateTime).AddDays(offset)).ToList();
        var truth = days.SelectMany(day => bed.Emulator.GroundTruth.RiskHistory(day)).ToList();
        Assert.All(truth.GroupBy(point => point.Key), group => Assert.Single(group.Select(point => point.Json).Distinct()));
        var expected = truth.GroupBy(point => point.Key).ToDictionary(group => group.Key, group => group.First().Json);
        Assert.True(expected.Count > 20, $"{expected.Count} history points");

        // Every point of the account's and every group's history, each exactly once, as KnowBe4 sent it.
        Assert.Equal(expected.Keys.Order(), lines.Select(line => line.Key).Order());
        Assert.All(lines, line => Assert.Equal(expected[line.Key], line.Record));
        Assert.All(lines, line => Assert.Equal(ReportingPipeline.ChangeCreated, line.Change));
        var groupLine = lines.First(line => line.Key.StartsWith("group/", StringComparison.Ordinal)).Envelope.GetProperty("riskHistory");
        Assert.Equal("group", groupLine.GetProperty("scope").GetString());
        Assert.True(groupLine.TryGetProperty("id", out _) && groupLine.TryGetProperty("name", out _));
        Assert.Equal("account", lines.First(line => line.Key.StartsWith("account/", StringComparison.Ordinal)).Envelope.GetProperty("riskHistory").GetProperty("scope").GetString());

        // At most one sweep a UTC day, for all the hourly polls: one account history call and one call per group a day.
        var calls = bed.ReportingCalls();
        Assert.Equal(days.Count, calls.Count(call => call.PathAndQuery.StartsWith("/v1/account/risk_score_history", StringComparison.Ordinal)));
        var groupHistoryCalls = calls.Where(call => call.PathAndQuery.StartsWith("/v1/groups/", StringComparison.Ordinal)).ToList();
        Assert.Equal(days.Count * ReportingWorld.Groups.Count, groupHistoryCalls.Count);
        Assert.All(groupHistoryCalls.GroupBy(call => DateOnly.FromDateTime(call.At.UtcDateTime)), day => Assert.Equal(ReportingWorld.Groups.Count, day.Count()));
        Assert.Equal(days[^1], bed.Pipeline(ReportingDataType.UserRiskScores).ReadCheckpoint().HistoryDay);
    }

    /// <summary>Each update's <c>changedFields</c> are exactly the top-level fields whose values differ from the key's previous line.</summary>
    private static void AssertChangedFieldsNameWhatDiffers(IReadOnlyList<ReportingLine> lines)
    {
        var updates = 0;
        foreach (var group in lines.GroupBy(line => (line.DataType, line.Key)))
        {
            ReportingLine? previous = null;
            foreach (var line in group)
            {
                if (previous is null)
                {
                    Assert.False(line.Envelope.TryGetProperty("changedFields", out _), "a created record names no changed fields");
                }
                else
                {
                    using var before = JsonDocument.Parse(previous.Record);
                    using var after = JsonDocument.Parse(line.Record);
                    var expected = after.RootElement.EnumerateObject()
                        .Where(field => !before.RootElement.TryGetProperty(field.Name, out var old) || old.GetRawText() != field.Value.GetRawText())
                        .Select(field => field.Name).ToList();
                    var actual = line.Envelope.GetProperty("changedFields").EnumerateArray().Select(field => field.GetString()!).ToList();
                    Assert.NotEmpty(actual);
                    Assert.Equal(expected, actual);
                    updates++;
                }
                previous = line;
            }
        }
        Assert.True(updates > 0, "no update to check");
    }

    private static void AssertEveryLineIsAVersionAndNoneRepeats(IReadOnlyList<ReportingRecordVersion> truth, IReadOnlyList<ReportingLine> lines)
    {
        var versions = truth.GroupBy(version => (version.DataType, version.Key)).ToDictionary(group => group.Key, group => group.Select(version => version.Json).ToList());
        foreach (var group in lines.GroupBy(line => (line.DataType, line.Key)))
        {
            Assert.True(versions.TryGetValue(group.Key, out var known), $"{group.Key} was delivered but never existed");
            var order = group.Select(line => known!.IndexOf(line.Record)).ToList();
            Assert.DoesNotContain(-1, order);
            // Never the same content twice, and never an older version after a newer one.
            Assert.Equal(order.Distinct().Count(), order.Count);
            Assert.Equal(order.Order(), order);
        }
    }

    /// <summary>The disk fills up right after the sink accepted the second batch (once: the hook removes itself).</summary>
    private static void FillTheDiskAfterTheSecondAcceptance(ReportingBed bed) =>
        bed.Bed.SinkTransport.AfterAcceptance = accepted =>
        {
            if (accepted == 2)
            {
                bed.Bed.StorageFull = true;
                bed.Bed.SinkTransport.AfterAcceptance = null;
            }
        };

    internal static void AssertRollingLimit(IReadOnlyList<KnowBe4Call> calls, TimeSpan window, int limit, string context = "")
    {
        var times = calls.Select(call => call.At).Order().ToList();
        for (var i = limit; i < times.Count; i++)
        {
            Assert.True(times[i] - times[i - limit] >= window, $"{limit + 1} Reporting calls within {window}: {times[i - limit]:O} to {times[i]:O}{context}");
        }
    }

    /// <summary>Many tests open at once, five recipients each: a phishing pass of many calls.</summary>
    private static EmulatorReporting ManyOpenTests(TimeSpan every, TimeSpan duration) => new()
    {
        PhishingTestEvery = every,
        PhishingTestDuration = duration,
        RecipientsPerTest = 5,
        History = TimeSpan.FromDays(4),
    };
}
