using System.Text.Json.Nodes;
using Kb4Collector.Cli;
using Kb4Collector.Configuration;
using Kb4Collector.Tests.Support;
using static Kb4Collector.Tests.Support.ConfigurationTestHelpers;

namespace Kb4Collector.Tests.Configuration;

/// <summary>Source files as a Sumo Logic user has them: copied from Sumo's docs, or exported from Sumo.</summary>
public sealed class SumoDropInTests : IDisposable
{
    private const string Name = "KnowBe4 US";

    /// <summary>Sumo's documented examples, byte for byte (see config/sumo-docs-examples/README.md).</summary>
    public static readonly string ExamplesFolder = Path.Combine(RepositoryRoot(), "config", "sumo-docs-examples");

    private readonly TempSourceFolder _folder = new();
    private readonly SourceConfigLoader _loader = new(Options());

    public void Dispose() => _folder.Dispose();

    private SourceLoadResult LoadSingle(JsonObject source)
    {
        var file = _folder.Write("source.json", SourceJson.Envelope(source, many: false));
        return _loader.Load(file);
    }

    // ---- baseURL: every host the docs show a user ----

    [Theory]
    [InlineData("https://training.knowbe4.com", "https://api.events.knowbe4.com/")]
    [InlineData("https://training.knowbe4.com/", "https://api.events.knowbe4.com/")]
    [InlineData("https://training.knowbe4.com/ui/dashboard", "https://api.events.knowbe4.com/")]
    [InlineData("https://eu.knowbe4.com", "https://api-eu.events.knowbe4.com/")]
    [InlineData("https://ca.knowbe4.com/", "https://api-ca.events.knowbe4.com/")]
    [InlineData("https://uk.knowbe4.com", "https://api-uk.events.knowbe4.com/")]
    [InlineData("https://de.knowbe4.com", "https://api-de.events.knowbe4.com/")]
    [InlineData("https://us.api.knowbe4.com", "https://api.events.knowbe4.com/")]
    [InlineData("https://eu.api.knowbe4.com/v1", "https://api-eu.events.knowbe4.com/")]
    [InlineData("https://ca.api.knowbe4.com/v1/", "https://api-ca.events.knowbe4.com/")]
    [InlineData("https://uk.api.knowbe4.com", "https://api-uk.events.knowbe4.com/")]
    [InlineData("https://de.api.knowbe4.com", "https://api-de.events.knowbe4.com/")]
    [InlineData("https://api.events.knowbe4.com", "https://api.events.knowbe4.com/")]
    [InlineData("https://api-eu.events.knowbe4.com/", "https://api-eu.events.knowbe4.com/")]
    [InlineData("https://api-ca.events.knowbe4.com/v1", "https://api-ca.events.knowbe4.com/")]
    [InlineData("https://api-uk.events.knowbe4.com", "https://api-uk.events.knowbe4.com/")]
    [InlineData("https://API-DE.events.knowbe4.com", "https://api-de.events.knowbe4.com/")]
    public void EveryDocumentedHostMapsToItsRegionsUserEventHost(string baseUrl, string expected)
    {
        var result = LoadSingle(SourceJson.Source(SourceJson.Config().With("baseURL", baseUrl)));

        Assert.Empty(result.Problems);
        var source = Assert.Single(result.Sources);
        Assert.Equal(expected, source.BaseUrl.AbsoluteUri);
        Assert.Equal(baseUrl, source.BaseUrlAsWritten);
    }

    [Theory]
    [InlineData("https://knowbe4.com")]
    [InlineData("https://events.knowbe4.com")]
    [InlineData("https://training.knowbe4.com.evil.example")]
    [InlineData("https://fr.knowbe4.com")]
    public void AnyOtherHostIsRefusedWithTheListOfAcceptedOnes(string baseUrl)
    {
        var problem = SingleError(LoadSingle(SourceJson.Source(SourceJson.Config().With("baseURL", baseUrl))), _folder.PathOf("source.json"), Name, "config.baseURL", "not a KnowBe4 host");

        foreach (var host in new[] { "https://training.knowbe4.com", "https://eu.knowbe4.com", "https://us.api.knowbe4.com", "https://api-de.events.knowbe4.com" })
        {
            Assert.Contains(host, problem.Message, StringComparison.Ordinal);
        }
    }

    // ---- a Sumo export's own keys ----

    [Fact]
    public void ASumoExportIsAcceptedSilently()
    {
        var config = SourceJson.Config();
        foreach (var key in new[] { "id", "alive", "state", "automaticDateParsing", "encoding", "hostName", "messagePerRequest", "cutoffTimestamp" })
        {
            config[key] = key == "state" ? new JsonObject { ["state"] = "Collecting" } : key is "alive" or "automaticDateParsing" or "messagePerRequest" ? true : key == "cutoffTimestamp" ? 0 : "x";
        }
        var source = SourceJson.Source(config);
        source["id"] = "0000000012AB34CD";
        source["name"] = Name;
        source["category"] = "source_category";
        source["alive"] = true;
        source["state"] = new JsonObject { ["state"] = "Collecting" };
        source["automaticDateParsing"] = true;
        source["multilineProcessingEnabled"] = false;
        source["useAutolineMatching"] = false;
        source["forceTimeZone"] = false;
        source["filters"] = new JsonArray();
        source["cutoffTimestamp"] = 0;
        source["encoding"] = "UTF-8";
        source["hostName"] = "collector-host";
        source["messagePerRequest"] = false;
        source["fields"] = new JsonObject();

        var result = LoadSingle(source);

        Assert.Empty(result.Problems);
        Assert.Single(result.Sources);
    }

    [Theory]
    [InlineData("licensedUser", "licensedUsers")]
    [InlineData("pollingIntervall", "pollingInterval")]
    [InlineData("categroy", "category")]
    public void AnUnknownKeyWarnsWithADidYouMean(string typo, string intended)
    {
        var result = LoadSingle(SourceJson.Source(SourceJson.Config().With(typo, 1)));

        AssertProblem(Assert.Single(result.Problems, problem => problem.Field == "config." + typo), _folder.PathOf("source.json"), Name, "config." + typo,
            $"unknown key; ignored (did you mean \"{intended}\"?)", ConfigSeverity.Warning);
    }

    [Fact]
    public void AnUnknownKeyFarFromAnyKnownOneWarnsWithoutASuggestion()
    {
        var result = LoadSingle(SourceJson.Source(SourceJson.Config().With("zzzTopic", 24)));

        var problem = Assert.Single(result.Problems);
        Assert.Equal("unknown key; ignored", problem.Message);
        Assert.Equal(ConfigSeverity.Warning, problem.Severity);
    }

    // ---- source-level fields ----

    [Fact]
    public void SourceLevelFieldsCountLikeConfigFieldsIncludingTheSiemSwitch()
    {
        var source = SourceJson.Source(SourceJson.Config().With("fields", new JsonObject { ["tenant"] = "acme" }));
        source["fields"] = new JsonObject { ["site"] = "hq", ["tenant"] = "acme", ["_siemForward"] = true };

        var result = LoadSingle(source);

        Assert.Empty(result.Problems);
        var definition = Assert.Single(result.Sources);
        Assert.True(definition.SiemForward);
        Assert.Equal(new Dictionary<string, string> { ["site"] = "hq", ["tenant"] = "acme" }, definition.Fields);
    }

    [Fact]
    public void AFieldGivenTwiceWithDifferentValuesIsAnErrorNamingBoth()
    {
        var source = SourceJson.Source(SourceJson.Config().With("fields", new JsonObject { ["tenant"] = "acme" }));
        source["fields"] = new JsonObject { ["tenant"] = "globex" };

        var problem = SingleError(LoadSingle(source), _folder.PathOf("source.json"), Name, "config.fields.tenant", "conflicts with fields.tenant");

        Assert.Contains("\"acme\"", problem.Message, StringComparison.Ordinal);
        Assert.Contains("\"globex\"", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASourceLevelFieldIsCheckedByTheSameRules()
    {
        var source = SourceJson.Source(SourceJson.Config());
        source["fields"] = new JsonObject { ["site"] = "café" };

        SingleError(LoadSingle(source), _folder.PathOf("source.json"), Name, "fields.site", "printable ASCII");
    }

    // ---- licensedUsers is optional ----

    [Fact]
    public async Task WithoutABudgetValidateSaysSoOnceAndShowsTheStretchedSchedule()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config().Without("licensedUsers")));

        var (exitCode, output, error) = await ValidateAsync(_folder.Path);

        Assert.Equal(ExitCodes.Success, exitCode);
        var warning = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("add \"licensedUsers\": <seats of the KnowBe4 account>", warning, StringComparison.Ordinal);
        // 50 calls a day, 5 kept for manual calls, the collector's share (maxQuotaShare 0.5) 25: one poll every 57m36s.
        Assert.Contains("schedule: polls every 57m36s on a quiet day (the budget stretches pollingInterval 5m: daily budget 50 calls (the default; licensedUsers not given), 5 kept for manual calls, 25 for polling (maxQuotaShare 0.5))", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAGenerousBudgetTheScheduleIsThePollingInterval()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config().With("licensedUsers", 1000)));

        var (_, output, _) = await ValidateAsync(_folder.Path);

        Assert.Contains("schedule: polls every 5m on a quiet day (pollingInterval; daily budget 10,000 calls (10 x 1,000 licensedUsers), 500 kept for manual calls, 5,000 for polling (maxQuotaShare 0.5))", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SourcesSharingAKeyShareItsBudgetInTheSchedule()
    {
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A").With("licensedUsers", 10), SourceJson.Config("B").With("licensedUsers", 10)));

        var (_, output, _) = await ValidateAsync(_folder.Path);

        // 100 calls, the collector's share 50, shared by two sources: 25 polls each a day, one every 57m36s.
        Assert.Contains("polls every 57m36s", output, StringComparison.Ordinal);
        Assert.Contains("shared by the 2 sources using the key", output, StringComparison.Ordinal);
    }

    // ---- Sumo's documented examples, unchanged ----

    [Theory]
    [InlineData("v1-knowbe4-training-host.json", "https://api.events.knowbe4.com/")]
    [InlineData("v1-knowbe4-eu-host.json", "https://api-eu.events.knowbe4.com/")]
    public async Task ADocumentedExampleValidatesExceptForSumosMaskedKey(string example, string expectedHost)
    {
        var file = Path.Combine(ExamplesFolder, example);

        var unchanged = _loader.Load(file);

        // Sumo's docs mask the key ("************"): the only thing a user must put back is the real key.
        Assert.DoesNotContain(unchanged.Problems, problem => !problem.IsError && problem.Field != "config.licensedUsers");
        var error = Assert.Single(unchanged.Problems, problem => problem.IsError);
        Assert.Equal("config.apiKey", error.Field);
        Assert.Contains("put the real key back", error.Message, StringComparison.Ordinal);

        var withKey = _folder.Write(example, File.ReadAllText(file).Replace("************", SourceJson.TestKey, StringComparison.Ordinal));
        var (exitCode, output, _) = await ValidateAsync(withKey);
        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains($"baseURL {(example.Contains("-eu-", StringComparison.Ordinal) ? "https://eu.knowbe4.com" : "https://training.knowbe4.com")} -> {expectedHost}", output, StringComparison.Ordinal);
        Assert.Contains("1 file checked: 1 valid source, 0 errors, 1 warning.", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v2-knowbe4-kmsat.json", false)]
    [InlineData("v3-knowbe4-kmsat.json", true)]
    public void TheKmsatSchemaExamplesValidateOnceSumosMaskedKeysArePutBack(string example, bool userEvents)
    {
        var file = Path.Combine(ExamplesFolder, example);
        var unchanged = _loader.Load(file);
        Assert.All(unchanged.Problems.Where(problem => problem.IsError), problem => Assert.Contains("put the real key back", problem.Message, StringComparison.Ordinal));

        var withKey = _folder.Write(example, File.ReadAllText(file).Replace("************", SourceJson.TestKey, StringComparison.Ordinal));
        var result = _loader.Load(withKey);

        Assert.DoesNotContain(result.Problems, problem => problem.IsError);
        var source = Assert.Single(result.Sources);
        Assert.Equal(userEvents, source.CollectUserEvents);
        Assert.Equal([ReportingDataType.PhishingTests], source.Reporting!.DataTypes);
        Assert.Equal(new Uri("https://us.api.knowbe4.com/"), source.Reporting.BaseUrl);
        Assert.Equal(TimeSpan.FromHours(userEvents ? 24 : 1), source.Reporting.PhishingPollInterval);
    }

    private static async Task<(int ExitCode, string Output, string Error)> ValidateAsync(string path)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await CommandLine.InvokeAsync(["validate", path], output, error, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }
}
