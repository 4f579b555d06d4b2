using Kb4Collector.Configuration;
using Kb4Collector.Emulator;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.EndToEnd;

/// <summary>The collector's own pace and daily budget against the emulator's 4 req/s and daily quota.</summary>
public sealed class QuotaEndToEndTests
{
    [Fact]
    public async Task TheCollectorStopsAtItsOwnDailyBudgetBeforeKnowBe4RefusesAndResumesAfterUtcMidnight()
    {
        // KnowBe4 allows 3 seats × 10 = 30 calls a day; the source's budget is the same 30, of which the collector takes
        // its share (maxQuotaShare 0.5: 15 calls) and leaves the rest to the tools that push events and to manual calls.
        var scenario = new EmulatorScenario
        {
            Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 3, ApiKeys = ["e2e-key-1"] }],
            Backlog = new EmulatorBacklog { Events = 3_000, Days = 4 },
            Limits = new EmulatorLimits { RequestsPerSecond = 4, CallsPerSeatPerDay = 10 },
            Seed = 31,
        };
        var settings = new EndToEndSettings { LicensedUsers = null, DailyCallBudget = 30 };
        await using var bed = await EndToEndBed.StartAsync(scenario, settings);
        var firstDay = DateOnly.FromDateTime(settings.Start.UtcDateTime);

        await bed.DriveUntilAsync(settings.Start.AddHours(6));
        var stoppedAt = bed.Process.Supervisor.Status;
        await bed.DriveUntilAsync(settings.Start.AddDays(3));

        var callsPerDay = bed.KnowBe4Calls.Calls.GroupBy(call => DateOnly.FromDateTime(call.At.UtcDateTime)).ToDictionary(day => day.Key, day => day.Count());
        var midnight = new DateTimeOffset(firstDay.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        Assert.Equal(15, callsPerDay[firstDay]);
        Assert.Equal(midnight, stoppedAt.NextAttemptAt);
        Assert.Equal(midnight + settings.CallDuration, bed.KnowBe4Calls.Calls.First(call => call.At >= midnight).At);
        Assert.Equal(SourceState.Collecting, stoppedAt.State);
        Assert.All(callsPerDay.Values, calls => Assert.InRange(calls, 1, 15));
        var ledger = bed.Process.Ledger.DailyUsage(bed.Source.ApiKeyFingerprint, firstDay, firstDay.AddDays(3));
        Assert.Equal(callsPerDay.GetValueOrDefault(firstDay.AddDays(1)), ledger[1].Calls);
        Assert.Equal(0, bed.Emulator.GroundTruth.TooManyRequestsServed.Total);
        Assert.DoesNotContain(SourceState.Error, bed.States);
        bed.AssertDeliveredMatchesGroundTruth();
    }

    [Fact]
    public async Task OnTheRealClockTheCollectorNeverExceedsFourRequestsPerSecond()
    {
        var time = TimeProvider.System;
        var scenario = new EmulatorScenario
        {
            Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 1_000, ApiKeys = ["e2e-key-1"] }],
            Backlog = new EmulatorBacklog { Events = 800, Days = 2 },
            Limits = new EmulatorLimits { RequestsPerSecond = 4, CallsPerSeatPerDay = 10 },
            Seed = 32,
        };
        await using var emulator = await KnowBe4Emulator.StartAsync(new EmulatorOptions { Scenario = scenario, TimeProvider = time }, TestContext.Current.CancellationToken);
        await using var sink = await EndToEndLogSink.StartAsync(time);
        using var calls = new KnowBe4CallLog(time) { InnerHandler = new SocketsHttpHandler() };
        using var sinkTransport = new SocketsHttpHandler();
        using var folder = new LifecycleTempFolder();
        var source = new SourceDefinition
        {
            Name = "KnowBe4 paced",
            BaseUrl = emulator.BaseUrl,
            ApiKey = emulator.ApiKey,
            SourceFile = "e2e.json",
            LicensedUsers = 1_000,
            InitialLookback = TimeSpan.FromDays(3),
        };
        using var process = new CollectorProcess(folder.Path, source, time, calls, sinkTransport, sink.Url, maxBatchEvents: 1_000, requestsPerSecond: 4);

        await process.Supervisor.StepAsync(TestContext.Current.CancellationToken);
        await process.Supervisor.StepAsync(TestContext.Current.CancellationToken);

        Assert.Equal(SourceState.Collecting, process.Supervisor.Status.State);
        Assert.Equal(800, sink.Events.Count);
        var sent = calls.Calls.Select(call => call.Timestamp).Order().ToList();
        Assert.True(sent.Count >= 10, $"only {sent.Count} calls");
        for (var i = 4; i < sent.Count; i++)
        {
            var window = time.GetElapsedTime(sent[i - 4], sent[i]);
            Assert.True(window >= TimeSpan.FromSeconds(1), $"calls {i - 3} to {i + 1} went out within {window.TotalMilliseconds:0.0} ms");
        }
        Assert.Equal(0, emulator.GroundTruth.TooManyRequestsServed.Total);
    }
}
