using System.Text.Json.Nodes;
using Kb4Collector.Configuration;
using Kb4Collector.Tests.Support;
using static Kb4Collector.Tests.Support.ConfigurationTestHelpers;

namespace Kb4Collector.Tests.Configuration;

/// <summary>One rule per test: each asserts the problem names the file, the source, the field and the reason.</summary>
public sealed class SourceValidationTests : IDisposable
{
    private const string Name = "KnowBe4 US";
    private readonly TempSourceFolder _folder = new();
    private readonly SourceConfigLoader _loader = new(Options());

    public void Dispose() => _folder.Dispose();

    private SourceLoadResult LoadSingle(JsonObject config, SourceConfigLoader? loader = null)
    {
        var file = _folder.Write("source.json", SourceJson.Single(config));
        return (loader ?? _loader).Load(file);
    }

    private string File => _folder.PathOf("source.json");

    [Fact]
    public void AValidSourceLoadsWithDefaults()
    {
        var result = LoadSingle(SourceJson.Config());

        Assert.Empty(result.Problems);
        var source = Assert.Single(result.Sources);
        Assert.Equal(Name, source.Name);
        Assert.Equal(new Uri("https://api.events.knowbe4.com/"), source.BaseUrl);
        Assert.Equal(SourceJson.TestKey, source.ApiKey);
        Assert.Equal("literal", source.ApiKeyReference);
        Assert.Equal(100, source.LicensedUsers);
        Assert.Null(source.DailyCallBudget);
        Assert.Equal(TimeSpan.FromSeconds(300), source.PollingInterval);
        Assert.Equal(TimeSpan.FromHours(24), source.InitialLookback);
        Assert.Equal(TimeSpan.FromDays(7), source.BackdateHorizon);
        Assert.Empty(source.Fields);
        Assert.False(source.SiemForward);
        Assert.Equal(File, source.SourceFile);
    }

    [Fact]
    public void EveryOptionalSettingIsRead()
    {
        var config = SourceJson.Config()
            .With("description", "Test Source")
            .With("category", "security/knowbe4")
            .With("fields", new JsonObject { ["_siemForward"] = true, ["tenant"] = "acme", ["billable"] = false })
            .With("dailyCallBudget", 1234)
            .With("pollingInterval", 600)
            .With("initialLookback", "2d")
            .With("backdateHorizon", "1d12h");

        var source = Assert.Single(LoadSingle(config).Sources);

        Assert.Equal("Test Source", source.Description);
        Assert.Equal("security/knowbe4", source.Category);
        Assert.True(source.SiemForward);
        Assert.Equal(new Dictionary<string, string> { ["tenant"] = "acme", ["billable"] = "false" }, source.Fields);
        Assert.Equal(1234, source.DailyCallBudget);
        Assert.Equal(TimeSpan.FromMinutes(10), source.PollingInterval);
        Assert.Equal(TimeSpan.FromDays(2), source.InitialLookback);
        Assert.Equal(TimeSpan.FromHours(36), source.BackdateHorizon);
    }

    // ---- envelope ----

    [Fact]
    public void MalformedJsonIsReportedWithLineAndColumn()
    {
        var file = _folder.Write("source.json", "{\n  \"api.version\": \"v1\",\n  \"source\": {\n    \"config\" {}\n  }\n}");

        var result = _loader.Load(file);

        var problem = SingleError(result, file, null, "$", "expected ':' after the key, not '{'");
        Assert.Equal($"{file}:4:14: {problem.Message}", problem.ToString());
        Assert.DoesNotContain("LineNumber", problem.Message, StringComparison.Ordinal);
        Assert.Empty(result.Sources);
        Assert.Equal([file], result.BrokenFiles);
    }

    [Fact]
    public void CommentsAreNotJson()
    {
        var file = _folder.Write("source.json", "// KnowBe4\n" + SourceJson.Single(SourceJson.Config()));

        var problem = SingleError(_loader.Load(file), file, null, "$", "comments are not allowed in JSON");

        Assert.Equal($"{file}:1:1: comments are not allowed in JSON: remove them", problem.ToString());
        Assert.DoesNotContain("reader options", problem.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AnUtf8ByteOrderMarkIsAccepted()
    {
        var file = _folder.PathOf("source.json");
        System.IO.File.WriteAllText(file, SourceJson.Single(SourceJson.Config()), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        Assert.Single(_loader.Load(file).Sources);
    }

    [Fact]
    public void TheRootMustBeAnObject()
    {
        var file = _folder.Write("source.json", "[]");

        SingleError(_loader.Load(file), file, null, "$", "must hold a JSON object");
    }

    [Fact]
    public void ApiVersionIsRequired()
    {
        var file = _folder.Write("source.json", new JsonObject { ["source"] = SourceJson.Source(SourceJson.Config()) }.ToJsonString());

        var result = _loader.Load(file);

        SingleError(result, file, null, "api.version", "missing");
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void ApiVersionMustBeV1()
    {
        var file = _folder.Write("source.json", SourceJson.Single(SourceJson.Config()).Replace("\"v1\"", "\"v2\"", StringComparison.Ordinal));

        SingleError(_loader.Load(file), file, null, "api.version", "must be \"v1\", not \"v2\"");
    }

    [Fact]
    public void SourceAndSourcesTogetherAreRefused()
    {
        var envelope = new JsonObject
        {
            ["api.version"] = "v1",
            ["source"] = SourceJson.Source(SourceJson.Config("A")),
            ["sources"] = new JsonArray(SourceJson.Source(SourceJson.Config("B"))),
        };
        var file = _folder.Write("source.json", envelope.ToJsonString());

        var result = _loader.Load(file);

        SingleError(result, file, null, "sources", "not both");
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void AFileWithoutSourceOrSourcesIsRefused()
    {
        var file = _folder.Write("source.json", "{\"api.version\":\"v1\"}");

        SingleError(_loader.Load(file), file, null, "source", "missing");
    }

    [Fact]
    public void SourcesMustBeAnArray()
    {
        var file = _folder.Write("source.json", "{\"api.version\":\"v1\",\"sources\":{}}");

        SingleError(_loader.Load(file), file, null, "sources", "must be an array");
    }

    [Fact]
    public void AnEmptySourcesArrayIsAWarning()
    {
        var file = _folder.Write("source.json", "{\"api.version\":\"v1\",\"sources\":[]}");

        var result = _loader.Load(file);

        AssertProblem(Assert.Single(result.Problems), file, null, "sources", "empty", ConfigSeverity.Warning);
        Assert.False(result.HasErrors);
    }

    [Fact]
    public void AnUnknownEnvelopeKeyIsAWarning()
    {
        var file = _folder.Write("source.json", SourceJson.Single(SourceJson.Config()).Replace("{\"api.version\"", "{\"comment\":\"x\",\"api.version\"", StringComparison.Ordinal));

        var result = _loader.Load(file);

        AssertProblem(Assert.Single(result.Problems), file, null, "comment", "unknown key", ConfigSeverity.Warning);
        Assert.Single(result.Sources);
    }

    // ---- source object ----

    [Theory]
    [InlineData("Okta", "unsupported integration \"Okta\"")]
    [InlineData("knowbe4", "values are case-sensitive: write \"KnowBe4\", not \"knowbe4\"")]
    [InlineData("knowbe4 kmsat", "values are case-sensitive: write \"KnowBe4 KMSAT\"")]
    public void SchemaRefTypeMustBeKnowBe4(string type, string reason)
    {
        var source = SourceJson.Source(SourceJson.Config());
        source["schemaRef"] = new JsonObject { ["type"] = type };
        var file = _folder.Write("source.json", SourceJson.Envelope(source, many: false));

        var result = _loader.Load(file);

        SingleError(result, file, Name, "schemaRef.type", reason);
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void SchemaRefIsRequired()
    {
        var source = SourceJson.Source(SourceJson.Config());
        source.Remove("schemaRef");
        var file = _folder.Write("source.json", SourceJson.Envelope(source, many: false));

        SingleError(_loader.Load(file), file, Name, "schemaRef", "missing");
    }

    [Theory]
    [InlineData("Localfile", "invalid source type \"Localfile\"")]
    [InlineData("universal", "values are case-sensitive: write \"Universal\", not \"universal\"")]
    public void SourceTypeMustBeUniversal(string sourceType, string reason)
    {
        var source = SourceJson.Source(SourceJson.Config());
        source["sourceType"] = sourceType;
        var file = _folder.Write("source.json", SourceJson.Envelope(source, many: false));

        SingleError(_loader.Load(file), file, Name, "sourceType", reason);
    }

    [Fact]
    public void AWrongCasedKeyIsAnErrorNamingTheExpectedCasing()
    {
        var source = SourceJson.Source(SourceJson.Config());
        source.Remove("sourceType");
        source["sourcetype"] = "Universal";
        var file = _folder.Write("source.json", SourceJson.Envelope(source, many: false));

        var result = _loader.Load(file);

        // Only the casing error: the correctly spelled key is not reported missing as well.
        SingleError(result, file, Name, "sourcetype", "keys are case-sensitive: write \"sourceType\", not \"sourcetype\"");
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void AWrongCasedConfigKeyIsAnError()
    {
        var config = SourceJson.Config().Without("baseURL").With("baseUrl", "https://api.events.knowbe4.com");

        SingleError(LoadSingle(config), File, Name, "config.baseUrl", "write \"baseURL\", not \"baseUrl\"");
    }

    [Fact]
    public void ConfigIsRequired()
    {
        var source = SourceJson.Source(SourceJson.Config());
        source.Remove("config");
        var file = _folder.Write("source.json", SourceJson.Envelope(source, many: false));

        var result = _loader.Load(file);

        // Without config there is no name: the problem points into the file instead.
        var problem = Assert.Single(result.Problems, problem => problem.Field == "source.config");
        AssertProblem(problem, file, null, "source.config", "missing", ConfigSeverity.Error);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("alive")]
    [InlineData("status")]
    public void ServiceAssignedKeysOfASumoExportAreAcceptedSilently(string key)
    {
        var source = SourceJson.Source(SourceJson.Config());
        source[key] = key == "alive" ? true : "123";
        var file = _folder.Write("source.json", SourceJson.Envelope(source, many: false));

        var result = _loader.Load(file);

        Assert.Empty(result.Problems);
        Assert.Single(result.Sources);
    }

    [Fact]
    public void ServiceAssignedKeysInsideConfigAreAcceptedSilentlyToo()
    {
        var result = LoadSingle(SourceJson.Config().With("id", "0000000012345678"));

        Assert.Empty(result.Problems);
        Assert.Single(result.Sources);
    }

    [Fact]
    public void AnUnknownConfigKeyIsAWarningNotAnError()
    {
        var result = LoadSingle(SourceJson.Config().With("zzzTopic", new JsonArray("phishingTests")));

        AssertProblem(Assert.Single(result.Problems), File, Name, "config.zzzTopic", "unknown key", ConfigSeverity.Warning);
        Assert.Single(result.Sources);
    }

    [Fact]
    public void AKeyWrittenTwiceIsAnError()
    {
        var json = SourceJson.Single(SourceJson.Config()).Replace("\"licensedUsers\":100", "\"licensedUsers\":100,\"licensedUsers\":200", StringComparison.Ordinal);
        var file = _folder.Write("source.json", json);

        SingleError(_loader.Load(file), file, Name, "config.licensedUsers", "appears more than once");
    }

    // ---- name ----

    [Fact]
    public void NameIsRequired()
    {
        var result = LoadSingle(SourceJson.Config().Without("name"));

        SingleError(result, File, null, "source.config.name", "missing");
        var rejected = Assert.Single(result.RejectedSources);
        Assert.Null(rejected.Name);
    }

    [Fact]
    public void AMissingNameInASourcesArrayPointsAtTheEntry()
    {
        var file = _folder.Write("source.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config().Without("name")));

        var result = _loader.Load(file);

        SingleError(result, file, null, "sources[1].config.name", "missing");
        Assert.Equal("A", Assert.Single(result.Sources).Name);
    }

    [Theory]
    [InlineData("\"\"", "must not be empty")]
    [InlineData("42", "must be a string, not a number")]
    [InlineData("\" padded \"", "must not start or end with spaces")]
    public void NameMustBeAUsableString(string json, string reason)
    {
        SingleError(LoadSingle(SourceJson.Config().With("name", JsonNode.Parse(json))), File, null, "source.config.name", reason);
    }

    [Fact]
    public void NameIsAtMost128Characters()
    {
        SingleError(LoadSingle(SourceJson.Config(new string('n', 129))), File, null, "source.config.name", "at most 128");
    }

    [Fact]
    public void ADuplicateNameInTheSameFileIsRefusedAndTheFirstWins()
    {
        var first = SourceJson.Config("Same").With("licensedUsers", 1);
        var second = SourceJson.Config("SAME").With("licensedUsers", 2);
        var file = _folder.Write("source.json", SourceJson.Many(first, second));

        var result = _loader.Load(file);

        SingleError(result, file, "SAME", "config.name", "duplicate name: already used earlier in this file");
        Assert.Equal(1, Assert.Single(result.Sources).LicensedUsers);
    }

    // ---- base URL and region ----

    [Theory]
    [InlineData("US", "https://api.events.knowbe4.com/")]
    [InlineData("eu", "https://api-eu.events.knowbe4.com/")]
    [InlineData("Ca", "https://api-ca.events.knowbe4.com/")]
    [InlineData("UK", "https://api-uk.events.knowbe4.com/")]
    [InlineData("de", "https://api-de.events.knowbe4.com/")]
    public void RegionSelectsTheRegionalHostIgnoringCase(string region, string expected)
    {
        var source = Assert.Single(LoadSingle(SourceJson.Config().Without("baseURL").With("region", region)).Sources);

        Assert.Equal(new Uri(expected), source.BaseUrl);
    }

    [Fact]
    public void AnUnknownRegionIsRefused()
    {
        SingleError(
            LoadSingle(SourceJson.Config().Without("baseURL").With("region", "AU")),
            File, Name, "config.region", "unknown region \"AU\"; expected one of US, EU, CA, UK, DE");
    }

    [Fact]
    public void BaseUrlOrRegionIsRequired()
    {
        SingleError(LoadSingle(SourceJson.Config().Without("baseURL")), File, Name, "config.baseURL", "missing: give \"baseURL\"");
    }

    [Fact]
    public void BaseUrlAndRegionThatAgreeAreFine()
    {
        var result = LoadSingle(SourceJson.Config().With("baseURL", "https://api-eu.events.knowbe4.com").With("region", "EU"));

        Assert.Empty(result.Problems);
        Assert.Equal(new Uri("https://api-eu.events.knowbe4.com/"), Assert.Single(result.Sources).BaseUrl);
    }

    [Fact]
    public void BaseUrlAndRegionThatDisagreeAreRefused()
    {
        SingleError(
            LoadSingle(SourceJson.Config().With("region", "EU")),
            File, Name, "config.region", "region \"EU\" means https://api-eu.events.knowbe4.com, but baseURL is https://api.events.knowbe4.com");
    }

    [Fact]
    public void ABaseUrlOutsideTheKnowBe4HostsIsRefused()
    {
        SingleError(
            LoadSingle(SourceJson.Config().With("baseURL", "https://evil.example.com")),
            File, Name, "config.baseURL", "not a KnowBe4 host (https://evil.example.com)");
    }

    [Fact]
    public void ABaseUrlOutsideTheKnowBe4HostsIsAcceptedWhenAllowed()
    {
        var loader = new SourceConfigLoader(Options(allowAnyBaseUrl: true));

        var result = LoadSingle(SourceJson.Config().With("baseURL", "https://kb4-proxy.example.com/events-api"), loader);

        Assert.Empty(result.Problems);
        Assert.Equal(new Uri("https://kb4-proxy.example.com/events-api/"), Assert.Single(result.Sources).BaseUrl);
    }

    [Fact]
    public void APlainHttpBaseUrlIsWarnedAboutWhenAllowed()
    {
        var loader = new SourceConfigLoader(Options(allowAnyBaseUrl: true));

        var result = LoadSingle(SourceJson.Config().With("baseURL", "http://kb4-proxy.example.com"), loader);

        AssertProblem(Assert.Single(result.Problems), File, Name, "config.baseURL", "plain http", ConfigSeverity.Warning);
        Assert.Single(result.Sources);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", "http://127.0.0.1:5080/")]
    [InlineData("https://localhost:5443/kb4", "https://localhost:5443/kb4/")]
    [InlineData("http://[::1]:5080/", "http://[::1]:5080/")]
    public void ALoopbackBaseUrlIsAcceptedForTheEmulator(string baseUrl, string expected)
    {
        var result = LoadSingle(SourceJson.Config().With("baseURL", baseUrl));

        Assert.Empty(result.Problems);
        Assert.Equal(new Uri(expected), Assert.Single(result.Sources).BaseUrl);
    }

    [Theory]
    [InlineData("http://api.events.knowbe4.com", "https on the default port")]
    [InlineData("https://api.events.knowbe4.com:8443", "https on the default port")]
    [InlineData("api.events.knowbe4.com", "not an absolute http(s) URL")]
    [InlineData("https://user:secret@api.events.knowbe4.com", "must not contain a user name or password")]
    [InlineData("https://api.events.knowbe4.com/?token=x", "must not have a query")]
    public void AMalformedBaseUrlIsRefused(string baseUrl, string reason)
    {
        var problem = SingleError(LoadSingle(SourceJson.Config().With("baseURL", baseUrl)), File, Name, "config.baseURL", reason);

        Assert.DoesNotContain("secret", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AKnowBe4BaseUrlIsNormalisedToTheRegionalHost()
    {
        var source = Assert.Single(LoadSingle(SourceJson.Config().With("baseURL", "https://API-EU.events.knowbe4.com/")).Sources);

        Assert.Equal("https://api-eu.events.knowbe4.com/", source.BaseUrl.AbsoluteUri);
    }

    // ---- key ----

    [Fact]
    public void ApiKeyIsRequired()
    {
        SingleError(LoadSingle(SourceJson.Config().Without("apiKey")), File, Name, "config.apiKey", "missing");
    }

    [Fact]
    public void TheMaskedPlaceholderIsNotAKey()
    {
        SingleError(LoadSingle(SourceJson.Config().With("apiKey", "************")), File, Name, "config.apiKey", "placeholder");
    }

    [Fact]
    public void AKeyWithSpacesIsRefusedWithoutShowingIt()
    {
        var problem = SingleError(LoadSingle(SourceJson.Config().With("apiKey", "abc def-secret")), File, Name, "config.apiKey", "contains spaces");

        Assert.DoesNotContain("def-secret", problem.ToString(), StringComparison.Ordinal);
    }

    // ---- budget ----

    [Fact]
    public void WithoutLicensedUsersTheSourceRunsOnTheDefaultBudgetAndSaysWhichLineToAdd()
    {
        var result = LoadSingle(SourceJson.Config().Without("licensedUsers"));

        AssertProblem(Assert.Single(result.Problems), File, Name, "config.licensedUsers", "add \"licensedUsers\": <seats of the KnowBe4 account>", ConfigSeverity.Warning);
        var source = Assert.Single(result.Sources);
        Assert.Null(source.LicensedUsers);
        Assert.Equal(Kb4Collector.Quota.DailyBudget.DefaultDailyCallBudget, Kb4Collector.Quota.DailyBudget.Create(source.LicensedUsers, source.DailyCallBudget).Total);
    }

    [Fact]
    public void DailyCallBudgetAloneIsEnough()
    {
        var source = Assert.Single(LoadSingle(SourceJson.Config().Without("licensedUsers").With("dailyCallBudget", 900)).Sources);

        Assert.Null(source.LicensedUsers);
        Assert.Equal(900, source.DailyCallBudget);
    }

    [Theory]
    [InlineData("licensedUsers", "0", "must be greater than 0, not 0")]
    [InlineData("licensedUsers", "-5", "must be greater than 0, not -5")]
    [InlineData("licensedUsers", "10.5", "must be a whole number")]
    [InlineData("licensedUsers", "\"100\"", "must be a whole number, not a string")]
    [InlineData("licensedUsers", "3000000000", "must be a whole number between 1 and")]
    [InlineData("dailyCallBudget", "0", "must be greater than 0")]
    [InlineData("dailyCallBudget", "true", "must be a whole number, not a boolean")]
    public void BudgetNumbersMustBePositiveWholeNumbers(string key, string json, string reason)
    {
        SingleError(LoadSingle(SourceJson.Config().With(key, JsonNode.Parse(json))), File, Name, "config." + key, reason);
    }

    // ---- polling interval and durations ----

    [Theory]
    [InlineData("0", "must be at least 1 second, not 0")]
    [InlineData("-1", "must be at least 1 second")]
    [InlineData("86401", "at most 86400 seconds")]
    [InlineData("\"5m\"", "must be a number of seconds (e.g. 300), not a string")]
    [InlineData("1.5", "must be a whole number")]
    public void PollingIntervalBelowOneSecondOrMalformedIsRefused(string json, string reason)
    {
        SingleError(LoadSingle(SourceJson.Config().With("pollingInterval", JsonNode.Parse(json))), File, Name, "config.pollingInterval", reason);
    }

    [Fact]
    public void APollingIntervalUnderAMinuteIsAcceptedWithAWarning()
    {
        var result = LoadSingle(SourceJson.Config().With("pollingInterval", 5));

        AssertProblem(Assert.Single(result.Problems), File, Name, "config.pollingInterval", "below 60", ConfigSeverity.Warning);
        Assert.Equal(TimeSpan.FromSeconds(5), Assert.Single(result.Sources).PollingInterval);
    }

    [Theory]
    [InlineData("initialLookback", "\"1w\"", "\"1w\" is not a duration like")]
    [InlineData("initialLookback", "\"3651d\"", "must be at most 3650d")]
    [InlineData("rescanInterval", "\"8d\"", "must be at most 7d")]
    [InlineData("initialLookback", "86400", "must be a duration like")]
    [InlineData("backdateHorizon", "\"7 days\"", "is not a duration like")]
    [InlineData("backdateHorizon", "\"0s\"", "must be at least 1s")]
    [InlineData("backdateHorizon", "\"744h1s\"", "must be at most 31d")]
    public void DurationsMustParseAndStayInRange(string key, string json, string reason)
    {
        SingleError(LoadSingle(SourceJson.Config().With(key, JsonNode.Parse(json))), File, Name, "config." + key, reason);
    }

    [Fact]
    public void AZeroInitialLookbackMeansStartFromNow()
    {
        Assert.Equal(TimeSpan.Zero, Assert.Single(LoadSingle(SourceJson.Config().With("initialLookback", "0s")).Sources).InitialLookback);
    }

    // ---- fields ----

    [Fact]
    public void AtMostThirtyFields()
    {
        var fields = new JsonObject();
        for (var index = 0; index < 31; index++)
        {
            fields["f" + index] = "v";
        }

        SingleError(LoadSingle(SourceJson.Config().With("fields", fields)), File, Name, "config.fields", "31 fields would be sent; Sumo accepts at most 30");
    }

    [Theory]
    [InlineData("{\"_siemForward\":\"yes\"}", "config.fields._siemForward", "must be true or false, not a string")]
    [InlineData("{\"_siemforward\":true}", "config.fields._siemforward", "write \"_siemForward\"")]
    [InlineData("{\"tenant\":42}", "config.fields.tenant", "must be a string or a boolean, not a number")]
    [InlineData("{\"tenant\":\"a,b\"}", "config.fields.tenant", "must not contain ',' or '='")]
    [InlineData("{\"bad key\":\"x\"}", "config.fields.bad key", "a field name starts with")]
    [InlineData("[]", "config.fields", "must be an object")]
    public void FieldsMustBeNamesToStringsOrBooleans(string json, string field, string reason)
    {
        SingleError(LoadSingle(SourceJson.Config().With("fields", JsonNode.Parse(json))), File, Name, field, reason);
    }

    [Theory]
    [InlineData("description", "7", "must be a string, not a number")]
    [InlineData("category", "{}", "must be a string, not an object")]
    [InlineData("category", "\"a\\nb\"", "printable ASCII")]
    public void TextSettingsMustBeStrings(string key, string json, string reason)
    {
        SingleError(LoadSingle(SourceJson.Config().With(key, JsonNode.Parse(json))), File, Name, "config." + key, reason);
    }

    [Fact]
    public void NullMeansNotGiven()
    {
        var source = Assert.Single(LoadSingle(SourceJson.Config().With("description", null).With("pollingInterval", null)).Sources);

        Assert.Null(source.Description);
        Assert.Equal(SourceDefinition.DefaultPollingInterval, source.PollingInterval);
    }

    // ---- many per file ----

    [Fact]
    public void ManySourcesInOneFileLoadInOrder()
    {
        var file = _folder.Write("source.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B").Without("baseURL").With("region", "UK")));

        var result = _loader.Load(file);

        Assert.Empty(result.Problems);
        Assert.Equal(["A", "B"], result.Sources.Select(source => source.Name));
        Assert.All(result.Sources, source => Assert.Equal(file, source.SourceFile));
    }

    [Fact]
    public void AnInvalidSourceDoesNotStopTheOthersInItsFile()
    {
        var file = _folder.Write("source.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B").With("region", "Mars"), SourceJson.Config("C")));

        var result = _loader.Load(file);

        SingleError(result, file, "B", "config.region", "unknown region \"Mars\"");
        Assert.Equal(["A", "C"], result.Sources.Select(source => source.Name));
        Assert.Equal(new RejectedSource(file, "B", "sources[1]"), Assert.Single(result.RejectedSources));
    }

    [Fact]
    public void ANonObjectEntryIsRefused()
    {
        var file = _folder.Write("source.json", "{\"api.version\":\"v1\",\"sources\":[\"KnowBe4\"]}");

        SingleError(_loader.Load(file), file, null, "sources[0]", "a source must be an object, not a string");
    }
}
