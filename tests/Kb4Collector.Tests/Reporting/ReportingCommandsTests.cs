using System.Net.Http.Headers;
using System.Text.Json;
using Kb4Collector.Cli;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Reporting;

/// <summary>The Reporting verbs against the emulator, and the emulator's Reporting API as a client meets it.</summary>
public sealed class ReportingCommandsTests : IAsyncLifetime
{
    private KnowBe4Emulator _emulator = null!;

    public async ValueTask InitializeAsync() => _emulator = await KnowBe4Emulator.StartAsync(new EmulatorOptions
    {
        Scenario = new EmulatorScenario
        {
            Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 30, ApiKeys = ["cli-ue-key"] }],
            Reporting = new EmulatorReporting { TrainingCampaignEvery = TimeSpan.FromDays(1), History = TimeSpan.FromDays(14), RequestsPerMinute = 0 },
            Limits = EmulatorLimits.Off,
        },
    }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _emulator.DisposeAsync();

    private Task<CliResult> RunAsync(params string[] args) =>
        CliRunner.RunAsync([.. args, "--base-url", _emulator.BaseUrl.ToString(), "--api-key", _emulator.ReportingApiKey]);

    [Fact]
    public async Task EachVerbReadsItsEndpointAsATableOrAsJson()
    {
        var account = await RunAsync("account", "get");
        Assert.Equal(ExitCodes.Success, account.ExitCode);
        Assert.Contains("number_of_seats", account.Output, StringComparison.Ordinal);

        var tests = await RunAsync("phishing", "tests", "list", "--json");
        Assert.Equal(ExitCodes.Success, tests.ExitCode);
        var pstId = JsonDocument.Parse(tests.Output).RootElement[0].GetProperty("pst_id").GetRawText();

        var test = await RunAsync("phishing", "tests", "get", pstId);
        Assert.Contains(pstId, test.Output, StringComparison.Ordinal);
        var recipients = await RunAsync("phishing", "recipients", "list", pstId);
        Assert.Equal(ExitCodes.Success, recipients.ExitCode);
        Assert.Contains("RECIPIENT_ID", recipients.Output, StringComparison.Ordinal);
        Assert.Contains("@", recipients.Output, StringComparison.Ordinal);

        var enrollments = await RunAsync("training", "enrollments", "list", "--all");
        Assert.True(enrollments.Output.Contains("ENROLLMENT_ID", StringComparison.Ordinal), enrollments.Error);
        var users = await RunAsync("users", "list");
        Assert.Contains("RISK_SCORE", users.Output, StringComparison.Ordinal);
        Assert.Contains("30 shown", users.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CampaignsListEveryCampaignDespiteTheTenPerPageTrap()
    {
        // Without exclude_percentages KnowBe4 answers 10 campaigns a page whatever per_page says.
        using var http = new HttpClient { BaseAddress = _emulator.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _emulator.ReportingApiKey);
        var capped = JsonDocument.Parse(await http.GetStringAsync("v1/training/campaigns?per_page=500", TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(10, capped.GetArrayLength());

        var all = await RunAsync("training", "campaigns", "list", "--all", "--json");
        Assert.Equal(ExitCodes.Success, all.ExitCode);
        Assert.Equal(15, JsonDocument.Parse(all.Output).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task AUserEventKeyIsRefusedByTheReportingApiAndNoKeyIsAUsageError()
    {
        var wrong = await CliRunner.RunAsync("users", "list", "--base-url", _emulator.BaseUrl.ToString(), "--api-key", "cli-ue-key");
        Assert.Equal(ExitCodes.Failure, wrong.ExitCode);
        Assert.Contains("HTTP 401", wrong.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("cli-ue-key", wrong.Error, StringComparison.Ordinal);

        var none = await CliRunner.RunAsync("users", "list", "--base-url", _emulator.BaseUrl.ToString());
        Assert.Equal(ExitCodes.Usage, none.ExitCode);
        Assert.Contains(ReportingCommands.ApiKeyVariable, none.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestMakesOneAuthenticatedCallPerDataTypeAndValidateAcceptsTheSource()
    {
        using var folder = new LifecycleTempFolder();
        var json = "{\"api.version\":\"v1\",\"source\":{\"schemaRef\":{\"type\":\"KnowBe4 KMSAT\"},\"sourceType\":\"Universal\",\"config\":{"
            + $"\"name\":\"Acme KMSAT\",\"baseURL\":\"{_emulator.BaseUrl}\",\"apiKeyPhishing\":\"{_emulator.ReportingApiKey}\",\"apiKeyEvent\":\"cli-ue-key\","
            + "\"collectExternalEvents\":true,\"collectTrainingEnrollments\":true,\"collectUserRiskScores\":true,\"licensedUsers\":30,\"phishingPollInterval\":\"10s\"}}}";
        File.WriteAllText(Path.Combine(folder.Path, "kmsat.json"), json);

        var validate = await CliRunner.RunAsync("validate", folder.Path);
        Assert.Equal(ExitCodes.Success, validate.ExitCode);
        Assert.Contains("below Sumo's one hour", validate.Output + validate.Error, StringComparison.Ordinal);

        var test = await CliRunner.RunAsync("test", folder.Path);
        Assert.Equal(ExitCodes.Success, test.ExitCode);
        Assert.Contains("\"Acme KMSAT\": authenticated to", test.Output, StringComparison.Ordinal);
        foreach (var dataType in new[] { "phishingTests", "trainingEnrollments", "userRiskScores" })
        {
            Assert.Contains($"ok: source \"Acme KMSAT\" {dataType}: authenticated to the Reporting API", test.Output, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(_emulator.ReportingApiKey, test.Output + validate.Output, StringComparison.Ordinal);
    }
}
