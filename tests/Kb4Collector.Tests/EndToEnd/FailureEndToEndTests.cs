using Kb4Collector.Emulator;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.EndToEnd;

/// <summary>
/// The collector against a failing KnowBe4, a failing log endpoint, restarts and a crash, compared with the emulator's
/// ground truth at the end: nothing lost, nothing duplicated (except the one batch a crash may repeat).
/// </summary>
public sealed class FailureEndToEndTests
{
    private static EmulatorScenario Scenario(int backlog, double arrivalsPerMinute, int seed, params EmulatorFault[] faults) => new()
    {
        Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 10_000, ApiKeys = ["e2e-key-1"] }],
        Backlog = new EmulatorBacklog { Events = backlog, Days = 4 },
        Arrivals = new EmulatorArrivals { PerMinute = arrivalsPerMinute, BackdatedFraction = 0.2, BackdatedMaxDays = 3 },
        Limits = new EmulatorLimits { RequestsPerSecond = 0, CallsPerSeatPerDay = 10 },
        Faults = faults,
        Seed = seed,
    };

    [Fact]
    public async Task ServerErrorsRateLimitsAndBrokenPagesAreRetriedUntilEverythingIsDelivered()
    {
        var minute = TimeSpan.FromMinutes(1);
        var settings = new EndToEndSettings { CallDuration = TimeSpan.FromSeconds(1), PollingInterval = minute };
        await using var bed = await EndToEndBed.StartAsync(Scenario(2_000, arrivalsPerMinute: 5, seed: 21,
            // During the first scan, after its first pages were read: every fifth call fails with a 500.
            new EmulatorFault { Kind = EmulatorFaultKind.ServerError, From = TimeSpan.FromSeconds(8), To = 2 * minute, EveryNth = 5 },
            new EmulatorFault { Kind = EmulatorFaultKind.ServerError, Status = 503, From = 5 * minute, To = 7 * minute },
            new EmulatorFault { Kind = EmulatorFaultKind.ServerError, Status = 502, From = 8 * minute, To = 9 * minute, EveryNth = 2 },
            new EmulatorFault { Kind = EmulatorFaultKind.RateLimited, From = 10 * minute, To = 11 * minute },
            new EmulatorFault { Kind = EmulatorFaultKind.RateLimitedWithRetryAfter, RetryAfterSeconds = 90, From = 15 * minute, To = 16 * minute },
            new EmulatorFault { Kind = EmulatorFaultKind.Malformed, From = 20 * minute, To = 23 * minute, EveryNth = 2 },
            new EmulatorFault { Kind = EmulatorFaultKind.Truncated, From = 25 * minute, To = 28 * minute, EveryNth = 2 }), settings);

        await bed.DriveForAsync(TimeSpan.FromMinutes(35));
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromHours(2));

        bed.AssertDeliveredMatchesGroundTruth();
        var served = bed.Emulator.GroundTruth.FaultsServed;
        foreach (var kind in new[] { EmulatorFaultKind.ServerError, EmulatorFaultKind.RateLimited, EmulatorFaultKind.RateLimitedWithRetryAfter, EmulatorFaultKind.Malformed, EmulatorFaultKind.Truncated })
        {
            Assert.True(served.GetValueOrDefault(kind) > 0, $"no {kind} was served");
        }
        Assert.Contains(SourceState.Error, bed.States);
        var status = bed.Process.Supervisor.Status;
        Assert.Equal(SourceState.Collecting, status.State);
        Assert.Null(status.ErrorClass);
        Assert.Equal(0, bed.Emulator.GroundTruth.TooManyRequestsServed.Rate);

        // Retry-After: 90 was honoured: the next call came no sooner.
        var calls = bed.KnowBe4Calls.Calls;
        foreach (var index in Enumerable.Range(0, calls.Count - 1).Where(i => calls[i].RetryAfter is not null))
        {
            Assert.True(calls[index + 1].At - calls[index].At >= TimeSpan.FromSeconds(90), $"called again {calls[index + 1].At - calls[index].At} after Retry-After: 90");
        }
    }

    [Fact]
    public async Task TheSinkDownForAWhileDelaysButLosesNothing()
    {
        await using var bed = await EndToEndBed.StartAsync(Scenario(1_000, arrivalsPerMinute: 10, seed: 22), new EndToEndSettings { PollingInterval = TimeSpan.FromMinutes(2) });
        var outageStart = bed.Settings.Start.AddMinutes(10);
        var outageEnd = outageStart.AddMinutes(25);
        bed.Sink.Refuse = () => bed.Time.GetUtcNow() >= outageStart && bed.Time.GetUtcNow() < outageEnd;

        await bed.DriveUntilAsync(outageStart.AddMinutes(12));
        var duringOutage = bed.Process.Supervisor.Status;
        await bed.DriveForAsync(TimeSpan.FromMinutes(30));
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromHours(2));

        Assert.Equal(SourceState.Error, duringOutage.State);
        Assert.Equal(ErrorClass.FirstPartyGeneric, duringOutage.ErrorClass);
        Assert.True(bed.Sink.RefusedRequests > 3, $"{bed.Sink.RefusedRequests} refused requests");
        bed.AssertDeliveredMatchesGroundTruth();
        Assert.Equal(SourceState.Collecting, bed.Process.Supervisor.Status.State);
        Assert.DoesNotContain(bed.Sink.Events, line => line.ReceivedAt >= outageStart && line.ReceivedAt < outageEnd);
    }

    [Fact]
    public async Task RestartsInTheMiddleOfTheFirstScanDeliverNothingTwice()
    {
        var settings = new EndToEndSettings { MaxBatchEvents = 200 };
        await using var bed = await EndToEndBed.StartAsync(Scenario(4_000, arrivalsPerMinute: 10, seed: 23), settings);

        // A graceful stop after the fourth batch: the poll ends early, then the process exits.
        bed.Sink.BatchAccepted = batch =>
        {
            if (batch == 4)
            {
                bed.Process.Pipeline.Collector.StopAfterCurrentBatch();
            }
        };
        await bed.StepAsync();
        await bed.StepAsync();
        bed.Sink.BatchAccepted = null;
        var afterStop = bed.Sink.Events.Count;
        Assert.InRange(bed.Sink.AcceptedBatches, 4, 5); // what was already read went out, nothing more was fetched
        Assert.InRange(afterStop, 4, (4 * 200) + 100);
        bed.Restart();

        // A kill in the middle of fetching a page, further into the scan.
        var killAt = bed.KnowBe4Calls.Started + 15;
        bed.KnowBe4Calls.BeforeCall = call =>
        {
            if (call == killAt)
            {
                bed.Kill();
            }
        };
        await bed.StepUntilKilledThenRestartAsync();
        bed.KnowBe4Calls.BeforeCall = null;
        var afterKill = bed.Sink.Events.Count;

        await bed.DriveForAsync(TimeSpan.FromMinutes(20));
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromHours(2));

        Assert.True(afterKill > afterStop && afterKill < 3_000, $"{afterStop} delivered before the restart, {afterKill} before the kill");
        bed.AssertDeliveredMatchesGroundTruth();
    }

    [Fact]
    public async Task ACrashBetweenTheSinksAcceptanceAndTheCheckpointRepeatsAtMostThatBatch()
    {
        var settings = new EndToEndSettings { MaxBatchEvents = 200 };
        await using var bed = await EndToEndBed.StartAsync(Scenario(3_000, arrivalsPerMinute: 10, seed: 24), settings);
        bed.SinkTransport.AfterAcceptance = request =>
        {
            if (request == 7)
            {
                bed.Kill();
            }
        };

        await bed.StepUntilKilledThenRestartAsync();
        bed.SinkTransport.AfterAcceptance = null;
        var inFlight = bed.Sink.Events.Where(line => line.Batch == 7).Select(line => line.Id).ToHashSet();
        await bed.DriveForAsync(TimeSpan.FromMinutes(20));
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromHours(2));

        var duplicates = bed.AssertDeliveredMatchesGroundTruth(allowedDuplicates: settings.MaxBatchEvents);
        // Exactly the batch the sink had accepted when the process died was sent again, once.
        Assert.InRange(inFlight.Count, 1, settings.MaxBatchEvents);
        Assert.Equal(inFlight.Order(StringComparer.Ordinal), duplicates.Keys.Order(StringComparer.Ordinal));
        Assert.All(duplicates.Values, extra => Assert.Equal(1, extra));
    }
}
