using Kb4Collector.Cli;
using Kb4Collector.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.Server;

namespace Kb4Collector.Tests.Cli;

/// <summary>Bad values are usage errors: exit 2, a message naming the option, and no API call.</summary>
public sealed class ApiCommandsParsingTests : IDisposable
{
    private readonly WireMockServer _server = WireMockServer.Start();

    public ApiCommandsParsingTests() =>
        _server.Given(Request.Create().UsingAnyMethod()).RespondWith(KnowBe4WireMock.Json(200, "{}"));

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }

    private Task<CliResult> RunAsync(params string[] args) =>
        CliRunner.RunAsync([.. args, "--base-url", _server.Urls[0], "--api-key", KnowBe4TestData.ApiKey]);

    [Theory]
    [InlineData("--per-page 101", "--per-page", "between 1 and 100")]
    [InlineData("--per-page 0", "--per-page", "between 1 and 100")]
    [InlineData("--per-page ten", "--per-page", "whole number")]
    [InlineData("--page 0", "--page", "1 or more")]
    [InlineData("--risk-level 11", "--risk-level", "between -10 and 10")]
    [InlineData("--risk-level -11", "--risk-level", "between -10 and 10")]
    [InlineData("--risk-decay-mode 2", "--risk-decay-mode", "between 0 and 1")]
    [InlineData("--occurred-date 2024-13-01", "--occurred-date", "YYYY-MM-DD")]
    [InlineData("--occurred-date 01/02/2024", "--occurred-date", "YYYY-MM-DD")]
    [InlineData("--risk-expire-date tomorrow", "--risk-expire-date", "YYYY-MM-DD")]
    [InlineData("--order-by name", "--order-by", "id|event_type|occurred_date")]
    [InlineData("--order-direction up", "--order-direction", "asc|desc")]
    [InlineData("--all --max-pages 0", "--max-pages", "1 or more")]
    public async Task BadEventsListValuesAreUsageErrors(string options, string option, string expected)
    {
        var result = await RunAsync(["events", "list", .. options.Split(' ')]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(option, result.Error, StringComparison.Ordinal);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
        Assert.Empty(_server.LogEntries);
    }

    [Theory]
    [InlineData("events create --event-type T", "--target-user")]
    [InlineData("events create --target-user a@b.c", "--event-type")]
    [InlineData("events create --target-user  --event-type T", "--target-user")]
    [InlineData("events create --target-user a@b.c --event-type T --metadata nope", "--metadata")]
    [InlineData("events create --target-user a@b.c --event-type T --metadata [1]", "--metadata")]
    [InlineData("events create --target-user a@b.c --event-type T --risk-level 12", "--risk-level")]
    [InlineData("events create --target-user a@b.c --event-type T --occurred-date 2024-02-30", "--occurred-date")]
    [InlineData("events create --target-user a@b.c --event-type T --wait --wait-timeout soon", "--wait-timeout")]
    [InlineData("events get", "Required argument missing")]
    [InlineData("events delete", "Required argument missing")]
    [InlineData("event-types get abc", "abc")]
    [InlineData("statuses list --processed maybe", "--processed")]
    [InlineData("statuses list --per-page 500", "--per-page")]
    [InlineData("statuses get", "Required argument missing")]
    [InlineData("events list --region mars", "--region")]
    public async Task BadValuesOfOtherCommandsAreUsageErrors(string command, string mentioned)
    {
        var result = await RunAsync(command.Split(' '));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(mentioned, result.Error, StringComparison.Ordinal);
        Assert.Empty(_server.LogEntries);
    }

    [Theory]
    [InlineData("events", "get")]
    [InlineData("events", "delete")]
    [InlineData("statuses", "get")]
    public async Task BlankIdIsAUsageError(string resource, string verb)
    {
        var result = await RunAsync(resource, verb, "  ");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("must not be blank", result.Error, StringComparison.Ordinal);
        Assert.Empty(_server.LogEntries);
    }

    [Fact]
    public async Task RegionAndBaseUrlTogetherAreAUsageError()
    {
        var result = await RunAsync("events", "list", "--region", "eu");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("either --region or --base-url", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://example.com/")]
    [InlineData("not-a-url")]
    [InlineData("http://127.0.0.1:1/?x=1")]
    public async Task BadBaseUrlIsAUsageError(string url)
    {
        var result = await CliRunner.RunAsync("events", "list", "--base-url", url, "--api-key", "k");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--base-url", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpListsTheEightActions()
    {
        var events = await CliRunner.RunAsync("events", "--help");
        var eventTypes = await CliRunner.RunAsync("event-types", "--help");
        var statuses = await CliRunner.RunAsync("statuses", "--help");

        Assert.Equal(0, events.ExitCode);
        foreach (var verb in new[] { "list", "get", "create", "delete" })
        {
            Assert.Contains(verb, events.Output, StringComparison.Ordinal);
        }
        Assert.Contains("list", eventTypes.Output, StringComparison.Ordinal);
        Assert.Contains("get", statuses.Output, StringComparison.Ordinal);
    }
}
