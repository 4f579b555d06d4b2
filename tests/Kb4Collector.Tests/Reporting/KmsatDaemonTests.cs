using Kb4Collector.Cli;
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
}
