using Kb4Collector.Cli;
using Kb4Collector.Emulator;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Configuration;
using Kb4Collector.Tests.Daemon;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Reporting;

/// <summary>Sumo's "KnowBe4 KMSAT" examples (KB4-v2 and v3), as copied, validated and run by the daemon against the emulator.</summary>
public sealed class KmsatDaemonTests
{
    /// <summary>
    /// The only substitutions are the forced ones: Sumo's masked keys get the emulator's (the Reporting key for
    /// <c>apiKey</c>/<c>apiKeyPhishing</c>, the User Event key for <c>apiKeyEvent</c>), and the region's hosts are routed to
    /// the emulator on loopback by the test-only host override.
    /// </summary>
    [Theory]
    [InlineData("v2-knowbe4-kmsat.json", false)]
    [InlineData("v3-knowbe4-kmsat.json", true)]
    public async Task ADocumentedKmsatExampleValidatesAndRunsBothDataTypes(string example, bool userEvents)
    {
        await using var harness = await DaemonHarness.StartAsync(backlog: 40);
        harness.KnowBe4HostOverride = harness.Emulator.BaseUrl;
        var text = File.ReadAllText(Path.Combine(SumoDropInTests.ExamplesFolder, example))
            .Replace("\"apiKeyEvent\": \"************\"", $"\"apiKeyEvent\": \"{DaemonHarness.Key}\"", StringComparison.Ordinal)
            .Replace("************", harness.Emulator.ReportingApiKey, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(harness.SourcesFolder, example), text);

        var validate = await CliRunner.RunAsync("validate", harness.SourcesFolder);
        Assert.Equal(ExitCodes.Success, validate.ExitCode);

        await harness.StartDaemonAsync();
        var name = userEvents ? "KnowBe4 KMSAT" : "KnowBe4";
        await Waits.UntilAsync(
            () => harness.Sink.Lines.Any(line => line.Contains("\"dataType\":\"phishingTests\"", StringComparison.Ordinal))
                && (!userEvents || harness.Sink.Lines.Any(line => !line.Contains("\"_kb4\":", StringComparison.Ordinal))),
            "phishing results (and User Events in v3) delivered", TimeSpan.FromSeconds(60));

        var source = harness.Source(name);
        Assert.NotNull(source);
        var dataType = Assert.Single(source.DataTypes!);
        Assert.Equal("phishingTests", dataType.DataType);
        Assert.Equal(source.Definition.Id + "/phishingTests", dataType.Id);
        try
        {
            await Waits.UntilAsync(() => harness.Source(name)!.DataTypes![0].Status.LastSuccessAt is not null, "the phishing poll to complete", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            var status = harness.Source(name)!.DataTypes![0].Status;
            Assert.Fail($"{status.State}: {status.LastReason}; next {status.NextAttemptAt:O}; log: {harness.Log.Text[^Math.Min(3000, harness.Log.Text.Length)..]}");
        }
        Assert.Equal(SourceState.Collecting, harness.Source(name)!.DataTypes![0].Status.State);
        Assert.Equal(userEvents, source.Definition.CollectUserEvents);

        // The admin endpoint shows the data type under its source.
        using var admin = harness.AdminClient();
        var json = await admin.GetStringAsync($"/api/v1/collectors/local/sources/{source.Definition.Id}", TestContext.Current.CancellationToken);
        Assert.Contains("\"dataTypes\":[{", json, StringComparison.Ordinal);
        Assert.Contains("\"type\":\"KnowBe4 KMSAT\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.Emulator.ReportingApiKey, json, StringComparison.Ordinal);
    }

    /// <summary>
    /// Renaming a KMSAT source (its file and name, so its id) while the daemon runs or while it is down keeps every data
    /// type's fingerprints, tests and checkpoint: the renamed source sends nothing again.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARenamedKmsatSourceSendsNoReportingRecordAgain(bool whileDown)
    {
        // KnowBe4's limits off: the restart comes within the burst window of the first run's calls (ReportingGateTests covers that).
        await using var harness = await DaemonHarness.StartAsync(backlog: 40, reporting: EmulatorReporting.LimitsOff);
        WriteKmsat(harness, "kmsat.json", "KMSAT");
        await harness.StartDaemonAsync();
        await UntilEveryDataTypePolledAsync(harness, "KMSAT");
        var before = ReportingKeys(harness);
        Assert.Contains(before, line => line.DataType == "phishingTests");
        Assert.Contains(before, line => line.DataType == "trainingEnrollments");
        Assert.Contains(before, line => line.DataType == "userRiskScores");
        var oldId = harness.Source("KMSAT")!.Definition.Id;

        if (whileDown)
        {
            await harness.StopDaemonAsync();
        }
        File.Delete(Path.Combine(harness.SourcesFolder, "kmsat.json"));
        WriteKmsat(harness, "kmsat-renamed.json", "KMSAT renamed");
        if (whileDown)
        {
            await harness.StartDaemonAsync();
        }
        await UntilEveryDataTypePolledAsync(harness, "KMSAT renamed");
        var renamed = harness.Source("KMSAT renamed")!;
        Assert.NotEqual(oldId, renamed.Definition.Id);
        Assert.All(renamed.DataTypes!, dataType => Assert.True(dataType.Checkpoint.Created > 0, $"{dataType.Id} kept no checkpoint"));

        var after = ReportingKeys(harness).Skip(before.Count).ToList();
        var known = before.Select(line => (line.DataType, line.Key)).ToHashSet();
        Assert.DoesNotContain(after, line => line.Change == "created" && known.Contains((line.DataType, line.Key)));
        Assert.DoesNotContain(after, line => before.Contains(line));
    }

    private sealed record SentLine(string DataType, string Key, string Change, string Record);

    private static List<SentLine> ReportingKeys(DaemonHarness harness) =>
        [.. harness.Sink.Lines.Where(line => line.Contains("\"_kb4\":", StringComparison.Ordinal)).Select(line =>
        {
            using var document = System.Text.Json.JsonDocument.Parse(line);
            var envelope = document.RootElement.GetProperty("_kb4");
            return new SentLine(envelope.GetProperty("dataType").GetString()!, envelope.GetProperty("key").GetString()!, envelope.GetProperty("change").GetString()!,
                Kb4Collector.Reporting.ReportingEnvelope.Unwrap(line));
        })];

    internal static void WriteKmsat(DaemonHarness harness, string file, string name) =>
        File.WriteAllText(Path.Combine(harness.SourcesFolder, file),
            "{\"api.version\":\"v1\",\"source\":{\"schemaRef\":{\"type\":\"KnowBe4 KMSAT\"},\"sourceType\":\"Universal\",\"config\":{"
            + $"\"name\":\"{name}\",\"category\":\"security/knowbe4\",\"baseURL\":\"{harness.Emulator.BaseUrl}\",\"reportingBaseURL\":\"{harness.Emulator.BaseUrl}\","
            + $"\"apiKey\":\"{harness.Emulator.ReportingApiKey}\",\"dataTypes\":[\"phishingTests\",\"trainingEnrollments\",\"userRiskScores\"],"
            + "\"phishingPollInterval\":1,\"trainingPollInterval\":1,\"riskScorePollInterval\":1}}}");

    private static async Task UntilEveryDataTypePolledAsync(DaemonHarness harness, string name)
    {
        try
        {
            await Waits.UntilAsync(
                () => harness.Source(name)?.DataTypes is { Count: 3 } dataTypes && dataTypes.All(dataType => dataType.Status.LastSuccessAt is not null),
                $"every data type of {name} to complete a poll", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{name}: {string.Join("; ", harness.Source(name)?.DataTypes?.Select(d => $"{d.Id} {d.Status.State} {d.Status.LastReason}") ?? [])}; log: {harness.Log.Text[^Math.Min(3000, harness.Log.Text.Length)..]}");
        }
    }
}
