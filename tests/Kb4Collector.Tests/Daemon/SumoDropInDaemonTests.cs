using System.Text.Json.Nodes;
using Kb4Collector.Cli;
using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Configuration;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Daemon;

/// <summary>
/// Sumo files and the metadata rule table, end to end: what <c>validate</c> says about a file is what the running daemon does with it.
/// </summary>
public sealed class SumoDropInDaemonTests
{
    /// <summary>
    /// Sumo's documented example, as copied, collected from the emulator. Two substitutions only, both forced: Sumo's
    /// docs mask the key ("************") and tell the user to put the real one back, so the emulator's key goes in; and the
    /// KnowBe4 host the file names (https://training.knowbe4.com → api.events.knowbe4.com) is routed to the emulator on
    /// loopback by the test-only <c>DaemonSettings.KnowBe4HostOverride</c>, applied after the host was validated and mapped.
    /// </summary>
    [Theory]
    [InlineData("v1-knowbe4-training-host.json")]
    [InlineData("v1-knowbe4-eu-host.json")]
    public async Task ADocumentedSumoExampleRunsAgainstTheEmulator(string example)
    {
        await using var harness = await DaemonHarness.StartAsync(backlog: 60);
        harness.KnowBe4HostOverride = harness.Emulator.BaseUrl;
        var text = File.ReadAllText(Path.Combine(SumoDropInTests.ExamplesFolder, example));
        File.WriteAllText(Path.Combine(harness.SourcesFolder, example), text.Replace("************", DaemonHarness.Key, StringComparison.Ordinal));

        var validate = await CliRunner.RunAsync("validate", harness.SourcesFolder);
        Assert.Equal(ExitCodes.Success, validate.ExitCode);

        await harness.StartDaemonAsync();
        await Waits.UntilAsync(() => harness.Source("KnowBe4")?.Status.LastSuccessAt is not null, "the example source's first successful poll", TimeSpan.FromSeconds(30));

        // The example sets no initialLookback: the last 24h of the five-day backlog are sent.
        Assert.NotEmpty(harness.Sink.Ids);
        Assert.Subset(harness.Emulator.GroundTruth.LiveEvents().Select(e => e.Id).ToHashSet(), harness.Sink.Ids.ToHashSet());
        var source = Assert.Single(harness.Runtime.Sources());
        Assert.Equal("KnowBe4", source.Definition.Name);
        Assert.Equal(SourceState.Collecting, source.Status.State);
        Assert.Equal("source_category", source.Definition.Category);
        // No licensedUsers: the default budget, said once as a warning, visible among the configuration problems.
        Assert.Contains(harness.Runtime.ConfigProblems, problem => problem.Field == "config.licensedUsers" && !problem.IsError);
        // Said once: rescans (every second here) do not repeat a known problem.
        Assert.Single(harness.Log.Text.Split('\n'), line => line.Contains("config.licensedUsers", StringComparison.Ordinal));
    }

    /// <summary>
    /// One case per rule of <see cref="MetadataRules"/> (its sample breaks it), plus a valid value per part: <c>validate</c>
    /// and the running daemon must agree on each. A refused source never starts (so never reaches ThirdPartyConfig) and its
    /// problem is in the daemon's configuration problems; an accepted one delivers.
    /// </summary>
    [Fact]
    public async Task ValidateAndRunAgreeOnEveryRuleOfTheMetadataTable()
    {
        await using var harness = await DaemonHarness.StartAsync(backlog: 20);
        var cases = new List<(string File, string Name, string? Reason)>();
        var index = 0;
        foreach (var rule in MetadataRules.All.Where(rule => rule.Part != MetadataPart.Host))
        {
            var name = $"rule-{index:00}";
            cases.Add(Write(harness, $"{name}.json", rule.Part, rule.Sample, name, rule.Reason));
            index++;
        }
        foreach (var part in new[] { MetadataPart.Name, MetadataPart.Category, MetadataPart.FieldName, MetadataPart.FieldValue })
        {
            var name = $"good-{part}";
            cases.Add(Write(harness, $"{name}.json", part, part == MetadataPart.Name ? "Good name (ASCII) 1" : "ok_value-1.x", name, null));
        }

        var validate = await CliRunner.RunAsync("validate", harness.SourcesFolder);
        Assert.Equal(ExitCodes.Usage, validate.ExitCode);
        await harness.StartDaemonAsync();
        var accepted = cases.Where(c => c.Reason is null).Select(c => c.Name).ToList();
        await Waits.UntilAsync(
            () => accepted.All(name => harness.Source(name)?.Status.LastSuccessAt is not null),
            "every accepted source to deliver", TimeSpan.FromSeconds(30));

        foreach (var (file, name, reason) in cases)
        {
            var path = Path.Combine(harness.SourcesFolder, file);
            var validateSaysValid = !validate.Error.Contains("error: " + path, StringComparison.Ordinal);
            var running = harness.Runtime.Sources().SingleOrDefault(source => source.Definition.SourceFile == path);
            Assert.Equal(reason is null, validateSaysValid);
            Assert.Equal(validateSaysValid, running is not null);
            if (reason is null)
            {
                Assert.NotEqual(SourceState.Error, running!.Status.State);
            }
            else
            {
                Assert.Contains(reason, validate.Error, StringComparison.Ordinal);
                Assert.Contains(harness.Runtime.ConfigProblems, problem => problem.File == path && problem.IsError && problem.Message.Contains(reason, StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task TheIssuesExampleIsRefusedByValidateAndNeverReachesThirdPartyConfig()
    {
        await using var harness = await DaemonHarness.StartAsync(backlog: 10);
        var config = Config(harness, "KnowBe4 fields").With("fields", new JsonObject { ["site"] = "café", ["x"] = "a=b" });
        var path = Path.Combine(harness.SourcesFolder, "fields.json");
        File.WriteAllText(path, SourceJson.Single(config));

        var validate = await CliRunner.RunAsync("validate", path);
        await harness.StartDaemonAsync();

        Assert.Equal(ExitCodes.Usage, validate.ExitCode);
        Assert.Contains("field \"config.fields.site\": a field value must be printable ASCII", validate.Error, StringComparison.Ordinal);
        Assert.Contains("field \"config.fields.x\": a field value must not contain ',' or '='", validate.Error, StringComparison.Ordinal);
        Assert.Empty(harness.Runtime.Sources());
        Assert.Equal(2, harness.Runtime.ConfigProblems.Count(problem => problem.IsError && problem.Source == "KnowBe4 fields"));
    }

    private static (string File, string Name, string? Reason) Write(DaemonHarness harness, string file, MetadataPart part, string value, string name, string? reason)
    {
        var config = Config(harness, part == MetadataPart.Name ? value : name);
        switch (part)
        {
            case MetadataPart.Category:
                config["category"] = value;
                break;
            case MetadataPart.FieldName:
                config["fields"] = new JsonObject { [value] = "v" };
                break;
            case MetadataPart.FieldValue:
                config["fields"] = new JsonObject { ["site"] = value };
                break;
        }
        File.WriteAllText(Path.Combine(harness.SourcesFolder, file), SourceJson.Single(config));
        return (file, part == MetadataPart.Name ? value : name, reason);
    }

    private static JsonObject Config(DaemonHarness harness, string name) => new()
    {
        ["name"] = name,
        ["baseURL"] = harness.Emulator.BaseUrl.AbsoluteUri,
        ["apiKey"] = DaemonHarness.Key,
        ["licensedUsers"] = 500,
        ["pollingInterval"] = 1,
    };
}
