using System.Text.Json;
using Kb4Collector.Cli;
using Kb4Collector.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Kb4Collector.Tests.Support.KnowBe4WireMock;

namespace Kb4Collector.Tests.Cli;

/// <summary>Each command against WireMock: what it sends, what it prints, and its exit code.</summary>
public sealed class ApiCommandsTests : IDisposable
{
    private readonly WireMockServer _server = WireMockServer.Start();

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }

    private Task<CliResult> RunAsync(params string[] args) =>
        CliRunner.RunAsync([.. args, "--base-url", _server.Urls[0], "--api-key", KnowBe4TestData.ApiKey]);

    private WireMock.IRequestMessage SingleRequest() => Assert.Single(_server.LogEntries).RequestMessage;

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task EventsListPrintsATable()
    {
        _server.Given(Request.Create().WithPath("/events").UsingGet()).RespondWith(Json(200, KnowBe4TestData.Page(KnowBe4TestData.Meta(1, 4, 2),
            KnowBe4TestData.Event("e-1", "2024-03-01T10:00:00.123Z", description: "Left PC unlocked", eventType: "Unlocked computer"),
            KnowBe4TestData.Event("e-2", "2024-02-29T09:00:00.000Z", description: "line\\nbreak"))));

        var result = await RunAsync("events", "list");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Empty(result.Error);
        var lines = Lines(result.Output);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("ID   OCCURRED (UTC)            EVENT TYPE         USER", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("e-1  2024-03-01T10:00:00.123Z  Unlocked computer  jane@example.com  3", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("Left PC unlocked", lines[1], StringComparison.Ordinal);
        // A newline inside a value cannot break the table.
        Assert.EndsWith("line break", lines[2], StringComparison.Ordinal);
        Assert.Equal("Page 1 of 4; next: --page 2", lines[3]);
    }

    [Fact]
    public async Task EventsListPassesEveryFilterOption()
    {
        _server.Given(Request.Create().WithPath("/events").UsingGet()).RespondWith(Json(200, KnowBe4TestData.Page(KnowBe4TestData.Meta(3, 3, 0))));

        var result = await RunAsync("events", "list",
            "--event-type", "Non-simulated phishing incident", "--target-user", "jane+1@example.com", "--external-id", "INC 9",
            "--source", "SOC/EDR", "--occurred-date", "2024-02-29", "--risk-level", "-7", "--risk-decay-mode", "1",
            "--risk-expire-date", "2024-03-31", "--order-by", "occurred_date", "--order-direction", "ASC", "--page", "3", "--per-page", "100");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("No events.", result.Output, StringComparison.Ordinal);
        var query = SingleRequest().Query!;
        Assert.Equal("Non-simulated phishing incident", query["event_type"].Single());
        Assert.Equal("jane+1@example.com", query["target_user"].Single());
        Assert.Equal("INC 9", query["external_id"].Single());
        Assert.Equal("SOC/EDR", query["source"].Single());
        Assert.Equal("2024-02-29", query["occurred_date"].Single());
        Assert.Equal("-7", query["risk_level"].Single());
        Assert.Equal("1", query["risk_decay_mode"].Single());
        Assert.Equal("2024-03-31", query["risk_expire_date"].Single());
        Assert.Equal("occurred_date", query["order_by"].Single());
        Assert.Equal("asc", query["order_direction"].Single());
        Assert.Equal("3", query["page"].Single());
        Assert.Equal("100", query["per_page"].Single());
        Assert.Equal(12, query.Count);
    }

    [Fact]
    public async Task JsonPrintsTheApiBodyAsReceived()
    {
        var body = KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.SpecEvent);
        _server.Given(Request.Create().WithPath("/events").UsingGet()).RespondWith(Json(200, body));

        var result = await RunAsync("events", "list", "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(body, result.Output);
    }

    [Fact]
    public async Task EventsGetPrintsTheEventsFields()
    {
        _server.Given(Request.Create().WithPath("/events/786a515c-1cbd-4a8c-a94a-61ad877c893c").UsingGet())
            .RespondWith(Json(200, "{\"data\":" + KnowBe4TestData.SpecEvent + "}"));

        var result = await RunAsync("events", "get", "786a515c-1cbd-4a8c-a94a-61ad877c893c");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("ID               786a515c-1cbd-4a8c-a94a-61ad877c893c", result.Output, StringComparison.Ordinal);
        Assert.Contains("Occurred (UTC)   2022-08-09T10:05:13.890Z", result.Output, StringComparison.Ordinal);
        Assert.Contains("Event type       event_type_55 (420899085)", result.Output, StringComparison.Ordinal);
        Assert.Contains("User             user@example.com (38651943)", result.Output, StringComparison.Ordinal);
        Assert.Contains("Risk level       5", result.Output, StringComparison.Ordinal);
        Assert.Contains("Description      My description", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotFoundIsAOneLineRuntimeError()
    {
        _server.Given(Request.Create().WithPath("/events/nope").UsingGet()).RespondWith(Json(404, """{"message":"Not Found"}"""));

        var result = await RunAsync("events", "get", "nope");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Empty(result.Output);
        Assert.Equal("error: GET /events/nope: HTTP 404: not found (server said: Not Found)", result.Error.TrimEnd('\n'));
    }

    [Theory]
    [InlineData(401, """{"message":"Unauthorized"}""", "check the API key and the region")]
    [InlineData(500, """{"message":"Internal Server Error"}""", "check the API key and the region")]
    [InlineData(429, """{"message":"Limit Exceeded"}""", "daily API call quota is exhausted")]
    [InlineData(429, """{"message":"Too Many Requests"}""", "rate limited")]
    [InlineData(503, "Service Unavailable", "server error")]
    [InlineData(200, "{\"data\":[{\"id\":", "malformed body")]
    public async Task RuntimeFailuresExitOneWithTheReason(int statusCode, string body, string reason)
    {
        _server.Given(Request.Create().WithPath("/events").UsingGet()).RespondWith(Json(statusCode, body));

        var result = await RunAsync("events", "list");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        var line = Assert.Single(Lines(result.Error));
        Assert.StartsWith("error: GET /events: HTTP " + statusCode, line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListAllJsonPrintsNothingWhenTheFirstPageFails()
    {
        _server.Given(Request.Create().WithPath("/events").UsingGet()).RespondWith(Json(401, """{"message":"Unauthorized"}"""));

        var result = await RunAsync("events", "list", "--all", "--json");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Empty(result.Output);
        Assert.StartsWith("error: GET /events: HTTP 401", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyNeverReachesTheOutputEvenWhenTheServerEchoesIt()
    {
        _server.Given(Request.Create().WithPath("/events").UsingGet())
            .RespondWith(Json(403, $$"""{"message":"key {{KnowBe4TestData.ApiKey}} is not allowed"}"""));

        var result = await RunAsync("events", "list");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.DoesNotContain(KnowBe4TestData.ApiKey, result.Output + result.Error, StringComparison.Ordinal);
        Assert.Contains("key ******** is not allowed", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableServerIsARuntimeError()
    {
        var url = _server.Urls[0];
        _server.Stop();

        var result = await CliRunner.RunAsync("events", "list", "--base-url", url, "--api-key", KnowBe4TestData.ApiKey);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.StartsWith("error: GET /events: network error:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventsCreateSendsEveryOptionAndPrintsTheRequestId()
    {
        _server.Given(Request.Create().WithPath("/events").UsingPost()).RespondWith(Json(201, """{"data":{"id":"req-42"}}"""));

        var result = await RunAsync("events", "create", "--target-user", "jane@example.com", "--event-type", "Certification",
            "--external-id", "CERT-1", "--source", "LMS", "--description", "Passed CISSP", "--occurred-date", "2024-01-15",
            "--risk-level", "-5", "--risk-decay-mode", "0", "--risk-expire-date", "2024-07-15", "--metadata", """{"score":91}""");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("Request ID       req-42\n", result.Output.ReplaceLineEndings("\n"));
        using var sent = JsonDocument.Parse(SingleRequest().Body!);
        var root = sent.RootElement;
        Assert.Equal("jane@example.com", root.GetProperty("target_user").GetString());
        Assert.Equal("Certification", root.GetProperty("event_type").GetString());
        Assert.Equal("CERT-1", root.GetProperty("external_id").GetString());
        Assert.Equal("LMS", root.GetProperty("source").GetString());
        Assert.Equal("Passed CISSP", root.GetProperty("description").GetString());
        Assert.Equal("2024-01-15", root.GetProperty("occurred_date").GetString());
        Assert.Equal(-5, root.GetProperty("risk_level").GetInt32());
        Assert.Equal(0, root.GetProperty("risk_decay_mode").GetInt32());
        Assert.Equal("2024-07-15", root.GetProperty("risk_expire_date").GetString());
        Assert.Equal(91, root.GetProperty("metadata").GetProperty("score").GetInt32());
    }

    [Fact]
    public async Task EventsCreateJsonPrintsTheApiAnswer()
    {
        _server.Given(Request.Create().WithPath("/events").UsingPost()).RespondWith(Json(201, """{"data":{"id":"req-42"}}"""));

        var result = await RunAsync("events", "create", "--target-user", "a@b.c", "--event-type", "T", "--json");

        Assert.Equal("""{"data":{"id":"req-42"}}""" + Environment.NewLine, result.Output);
    }

    [Fact]
    public async Task EventsCreateWaitReportsFailuresWithExitOne()
    {
        _server.Given(Request.Create().WithPath("/events").UsingPost()).RespondWith(Json(201, """{"data":{"id":"req-7"}}"""));
        _server.Given(Request.Create().WithPath("/statuses/req-7").UsingGet())
            .RespondWith(Json(200, KnowBe4TestData.Status("req-7", "2024-01-01T00:00:00.000Z", [], failures: """[{"target_user":"unknown user"}]""")));

        var result = await RunAsync("events", "create", "--target-user", "ghost@example.com", "--event-type", "T", "--wait");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("Request ID", result.Output, StringComparison.Ordinal);
        Assert.Contains("Failure", result.Output, StringComparison.Ordinal);
        Assert.Equal("error: request req-7 created no event: {\"target_user\":\"unknown user\"}", result.Error.TrimEnd('\n'));
    }

    [Fact]
    public async Task EventsDeleteConfirms()
    {
        _server.Given(Request.Create().WithPath("/events/e-5").UsingDelete()).RespondWith(Response.Create().WithStatusCode(204));

        var result = await RunAsync("events", "delete", "e-5");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("Deleted event e-5", result.Output.TrimEnd('\n'));
        Assert.Equal("DELETE", SingleRequest().Method);
    }

    [Fact]
    public async Task EventTypesListFiltersByNameAndPrintsATable()
    {
        _server.Given(Request.Create().WithPath("/event_types").UsingGet()).RespondWith(Json(200, KnowBe4TestData.SpecEventTypes));

        var result = await RunAsync("event-types", "list", "--name", "User submitted SPAM");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(
            ["ID          NAME                    DESCRIPTION", "2372028386  User submitted SPAM     -", "2372028387  PhishRIP Message Found  -", "2 event types"],
            Lines(result.Output));
        Assert.Equal("User submitted SPAM", SingleRequest().Query!["name"].Single());
    }

    [Fact]
    public async Task EventTypesGetTakesTheNumericId()
    {
        _server.Given(Request.Create().WithPath("/event_types/2372028386").UsingGet())
            .RespondWith(Json(200, """{"data":{"id":2372028386,"account_id":585832,"name":"User submitted SPAM","description":null}}"""));

        var table = await RunAsync("event-types", "get", "2372028386");
        var json = await RunAsync("event-types", "get", "2372028386", "--json");

        Assert.Contains("Name         User submitted SPAM", table.Output, StringComparison.Ordinal);
        Assert.Contains("Account      585832", table.Output, StringComparison.Ordinal);
        Assert.StartsWith("{\"data\":{\"id\":2372028386", json.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusesListPassesPagingAndProcessed()
    {
        _server.Given(Request.Create().WithPath("/statuses").UsingGet())
            .RespondWith(Json(200, "{\"data\":[" + KnowBe4TestData.SpecStatus + "],\"meta\":" + KnowBe4TestData.Meta(2, 2, 1) + "}"));

        var result = await RunAsync("statuses", "list", "--processed", "false", "--page", "2", "--per-page", "5");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var lines = Lines(result.Output);
        Assert.StartsWith("ID                                    PROCESSED (UTC)           EVENTS  FAILURES  API KEY NAME", lines[0], StringComparison.Ordinal);
        Assert.Equal("abcdefgh-843c-4fc8-bb2f-decf89876f7b  2023-04-01T14:39:40.132Z  1       0         Test Integration", lines[1]);
        Assert.Equal("Page 2 of 2", lines[2]);
        var query = SingleRequest().Query!;
        Assert.Equal("false", query["processed"].Single());
        Assert.Equal("2", query["page"].Single());
        Assert.Equal("5", query["per_page"].Single());
    }

    [Fact]
    public async Task StatusesGetListsTheCreatedEvents()
    {
        _server.Given(Request.Create().WithPath("/statuses/abcdefgh-843c-4fc8-bb2f-decf89876f7b").UsingGet())
            .RespondWith(Json(200, "{\"data\":" + KnowBe4TestData.SpecStatus + "}"));

        var result = await RunAsync("statuses", "get", "abcdefgh-843c-4fc8-bb2f-decf89876f7b");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(
            ["Request ID       abcdefgh-843c-4fc8-bb2f-decf89876f7b", "Processed (UTC)  2023-04-01T14:39:40.132Z",
             "API key name     Test Integration", "Event ID         87654321-a083-42b9-b50a-fb69b8e2b185"],
            Lines(result.Output));
    }
}
