using Kb4Collector.Lifecycle;

namespace Kb4Collector.Tests.Daemon;

/// <summary>The real daemon, as `kb4collector run` starts it, with source files changing under it.</summary>
public sealed class DaemonHostTests
{
    [Fact]
    public async Task ANewSourceFileStartsCollectingEveryEventOnce()
    {
        await using var daemon = await DaemonHarness.StartAsync();
        await daemon.StartDaemonAsync();

        daemon.WriteSource("us.json", "KnowBe4 US");
        await daemon.UntilStateAsync("KnowBe4 US", SourceState.Collecting);
        await daemon.UntilAllDeliveredAsync();

        Assert.Equal(daemon.Sink.Ids.Count, daemon.Sink.Ids.Distinct().Count());
        var truth = daemon.Emulator.GroundTruth.LiveEvents().ToDictionary(e => e.Id, e => System.Text.Encoding.UTF8.GetString(e.Json.Span));
        Assert.All(daemon.Sink.Lines, line => Assert.Equal(truth[System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()!], line));
    }

    [Fact]
    public async Task AnEditGoesBackThroughPendingAndKeepsTheCheckpoint()
    {
        await using var daemon = await DaemonHarness.StartAsync();
        daemon.WriteSource("us.json", "KnowBe4 US");
        await daemon.StartDaemonAsync();
        await daemon.UntilStateAsync("KnowBe4 US", SourceState.Collecting);
        await daemon.UntilAllDeliveredAsync();
        var before = daemon.Source("KnowBe4 US")!.Status.RecentTransitions.Count;

        daemon.WriteSource("us.json", "KnowBe4 US", category: "security/knowbe4/edited");
        await Waits.UntilAsync(
            () => daemon.Source("KnowBe4 US") is { } source && source.Definition.Category == "security/knowbe4/edited" && source.Status.State == SourceState.Collecting && source.Status.RecentTransitions.Count > before,
            "the edited source to collect again");
        daemon.Emulator.AddEvent("alice@example.com", "Out of office", DateTimeOffset.UtcNow);
        await daemon.UntilAllDeliveredAsync();

        var walk = daemon.Source("KnowBe4 US")!.Status.RecentTransitions.Skip(before).Select(t => t.To).ToList();
        Assert.Equal([SourceState.Pending, SourceState.Started, SourceState.Initialized, SourceState.Authenticated, SourceState.Collecting], walk.Take(5));
        Assert.Equal(daemon.Sink.Ids.Count, daemon.Sink.Ids.Distinct().Count()); // the checkpoint survived the edit
    }

    [Fact]
    public async Task ABrokenFileKeepsItsSourcesRunningAndOtherFilesAreUntouched()
    {
        await using var daemon = await DaemonHarness.StartAsync();
        daemon.WriteSource("us.json", "KnowBe4 US");
        daemon.WriteSource("eu.json", "KnowBe4 EU");
        await daemon.StartDaemonAsync();
        await daemon.UntilStateAsync("KnowBe4 EU", SourceState.Collecting);

        File.WriteAllText(Path.Combine(daemon.SourcesFolder, "eu.json"), "{ \"api.version\": \"v1\", \"source\": { ");
        await Waits.UntilAsync(() => daemon.Log.ToString().Contains("eu.json", StringComparison.Ordinal) && daemon.Runtime.ConfigProblems.Count > 0, "the broken file to be reported");
        daemon.WriteSource("ca.json", "KnowBe4 CA");
        await daemon.UntilStateAsync("KnowBe4 CA", SourceState.Collecting);

        Assert.Equal(SourceState.Collecting, daemon.Source("KnowBe4 EU")!.Status.State);
        Assert.Equal(SourceState.Collecting, daemon.Source("KnowBe4 US")!.Status.State);
        Assert.Contains(daemon.Runtime.ConfigProblems, problem => problem.File.EndsWith("eu.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARemovedSourceStopsAndItsStateIsDeleted()
    {
        await using var daemon = await DaemonHarness.StartAsync();
        daemon.WriteSource("us.json", "KnowBe4 US");
        daemon.WriteSource("eu.json", "KnowBe4 EU");
        await daemon.StartDaemonAsync();
        await daemon.UntilStateAsync("KnowBe4 EU", SourceState.Collecting);
        var removedId = daemon.Source("KnowBe4 EU")!.Definition.Id;

        File.Delete(Path.Combine(daemon.SourcesFolder, "eu.json"));
        await Waits.UntilAsync(() => daemon.Source("KnowBe4 EU") is null, "the removed source to be deleted");

        Assert.Null(daemon.Runtime.Find(removedId));
        var database = daemon.Runtime.Services.Database.Database;
        await Waits.UntilAsync(() => database.GetCollection("checkpoints").FindById(removedId) is null, "the removed source's checkpoint to be deleted");
        Assert.Null(database.GetCollection(Kb4Collector.Lifecycle.SourceSupervisor.StatesCollectionName).FindById(removedId));
        Assert.Equal(0, database.GetCollection("seen_ids").Count(LiteDB.Query.EQ("SourceId", removedId)));
        // The other source's first poll (its whole lookback) may still be under way: its checkpoint is written when it ends.
        var usId = daemon.Source("KnowBe4 US")!.Definition.Id;
        await Waits.UntilAsync(() => database.GetCollection("checkpoints").FindById(usId) is not null, "the other source's checkpoint");
        Assert.Equal(SourceState.Collecting, daemon.Source("KnowBe4 US")!.Status.State);
        Assert.Contains("KnowBe4 EU", daemon.Log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadKeyStopsInThirdPartyConfigUntilTheFileIsFixedOrTheSourceRestarted()
    {
        await using var daemon = await DaemonHarness.StartAsync();
        daemon.WriteSource("us.json", "KnowBe4 US", key: "not-the-right-key-0000");
        await daemon.StartDaemonAsync();
        await daemon.UntilStateAsync("KnowBe4 US", SourceState.Error);
        var failed = daemon.Source("KnowBe4 US")!;
        Assert.Equal(ErrorClass.ThirdPartyConfig, failed.Status.ErrorClass);
        Assert.Contains(daemon.Runtime.Health.List(unresolvedOnly: true), e => e.EventName == "ThirdPartyConfigError");

        // Nothing is scheduled: no retry until the file changes (the supervisor tests prove it over days of fake time).
        Assert.True(failed.Status.RetriesStopped);
        Assert.Null(failed.Status.NextAttemptAt);

        daemon.WriteSource("us.json", "KnowBe4 US");
        await daemon.UntilStateAsync("KnowBe4 US", SourceState.Collecting);
        await daemon.UntilAllDeliveredAsync();
        // Collecting shows from the first page on; the error is resolved when that poll completes.
        await Waits.UntilAsync(() => daemon.Runtime.Health.List(unresolvedOnly: true).Count == 0, "the health event to be resolved");
    }

    [Fact]
    public async Task ARestartThroughTheAdminEndpointBringsAThirdPartyConfigErrorBackToCollecting()
    {
        await using var daemon = await DaemonHarness.StartAsync();
        var revoked = daemon.Emulator.AddFault(new Kb4Collector.Emulator.EmulatorFault { Kind = Kb4Collector.Emulator.EmulatorFaultKind.KeyRevoked });
        daemon.WriteSource("us.json", "KnowBe4 US");
        await daemon.StartDaemonAsync();
        await daemon.UntilStateAsync("KnowBe4 US", SourceState.Error);
        Assert.Equal(ErrorClass.ThirdPartyConfig, daemon.Source("KnowBe4 US")!.Status.ErrorClass);

        daemon.Emulator.RemoveFault(revoked); // the key works again at KnowBe4; the file did not change
        var id = daemon.Source("KnowBe4 US")!.Definition.Id;
        using var admin = daemon.AdminClient();
        using var accepted = await admin.PostAsync($"/api/v1/collectors/local/sources/{id}/action/restart", null, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, accepted.StatusCode);
        await daemon.UntilStateAsync("KnowBe4 US", SourceState.Collecting);
        await daemon.UntilAllDeliveredAsync();

        admin.DefaultRequestHeaders.Authorization = null;
        using var anonymous = await admin.PostAsync($"/api/v1/collectors/local/sources/{id}/action/restart", null, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task NoKeyAppearsInAnyLogLine()
    {
        await using var daemon = await DaemonHarness.StartAsync();
        daemon.WriteSource("bad.json", "Bad key", key: "wrong-key-that-must-not-leak-77");
        daemon.WriteSource("us.json", "KnowBe4 US");
        await daemon.StartDaemonAsync();
        await daemon.UntilStateAsync("Bad key", SourceState.Error);
        await daemon.UntilAllDeliveredAsync();
        await daemon.StopDaemonAsync();

        var log = daemon.Log.ToString();
        Assert.Contains("Bad key", log, StringComparison.Ordinal);
        Assert.DoesNotContain(DaemonHarness.Key, log, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key-that-must-not-leak-77", log, StringComparison.Ordinal);
        Assert.DoesNotContain("test-code", log, StringComparison.Ordinal); // the sink URL's secret part
    }

    [Fact]
    public async Task ShutdownInTheMiddleOfABatchLosesNothing()
    {
        await using var daemon = await DaemonHarness.StartAsync(backlog: 4000);
        daemon.Sink.Delay = TimeSpan.FromMilliseconds(400);
        daemon.WriteSource("us.json", "KnowBe4 US");
        await daemon.StartDaemonAsync();
        await Waits.UntilAsync(() => daemon.Sink.Requests >= 2, "the first batches to reach the sink");

        await daemon.StopDaemonAsync();
        var afterStop = daemon.Sink.Ids.Count;
        Assert.InRange(afterStop, 1, 3999);

        daemon.Sink.Delay = TimeSpan.Zero;
        await daemon.StartDaemonAsync();
        await daemon.UntilAllDeliveredAsync();

        Assert.Equal(daemon.Sink.Ids.Count, daemon.Sink.Ids.Distinct().Count());
    }
}

