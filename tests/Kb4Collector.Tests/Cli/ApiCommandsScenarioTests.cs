using System.Text.Json;
using Kb4Collector.Cli;
using Kb4Collector.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Kb4Collector.Tests.Support.KnowBe4WireMock;

namespace Kb4Collector.Tests.Cli;

/// <summary>
/// The real command line (<see cref="CommandLine.InvokeAsync"/>) against a server that behaves like the spec:
/// paging with <c>meta.next_page</c>, and create → status → get → delete in sequence.
/// </summary>
public sealed class ApiCommandsScenarioTests : IDisposable
{
    private readonly WireMockServer _server = WireMockServer.Start();

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }

    private Task<CliResult> RunAsync(params string[] args) =>
        CliRunner.RunAsync([.. args, "--base-url", _server.Urls[0], "--api-key", KnowBe4TestData.ApiKey]);

    /// <summary>Three pages of events; returns every event's JSON in order.</summary>
    private List<string> ServeThreePages()
    {
        var events = new List<string>();
        for (var page = 1; page <= 3; page++)
        {
            var pageEvents = Enumerable.Range(1, page == 3 ? 1 : 2)
                .Select(i => KnowBe4TestData.Event($"p{page}-e{i}", $"2024-01-0{4 - page}T00:00:0{i}.000Z", description: $"page {page} \\\"{i}\\\""))
                .ToArray();
            events.AddRange(pageEvents);
            var request = Request.Create().WithPath("/events").UsingGet();
            request = page == 1 ? request.WithParam(query => !query.ContainsKey("page")) : request.WithParam("page", $"{page}");
            _server.Given(request).RespondWith(Json(200, KnowBe4TestData.Page(KnowBe4TestData.Meta(page, 3, pageEvents.Length, limit: 2), pageEvents)));
        }
        return events;
    }

    [Fact]
    public async Task ListAllJsonPrintsEveryEventOfEveryPageAsReceived()
    {
        var expected = ServeThreePages();

        var result = await RunAsync("events", "list", "--json", "--all");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Empty(result.Error);
        using var document = JsonDocument.Parse(result.Output);
        var printed = document.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetRawText()).ToList();
        Assert.Equal(expected, printed);
        Assert.Equal(3, _server.LogEntries.Count);
    }

    [Fact]
    public async Task ListAllTablePrintsEveryEvent()
    {
        ServeThreePages();

        var result = await RunAsync("events", "list", "--all");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        foreach (var id in new[] { "p1-e1", "p1-e2", "p2-e1", "p2-e2", "p3-e1" })
        {
            Assert.Contains(id, result.Output, StringComparison.Ordinal);
        }
        Assert.EndsWith("5 events on 3 pages", result.Output.TrimEnd('\n'), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxPagesStopsTheWalkWithAWarning()
    {
        ServeThreePages();

        var result = await RunAsync("events", "list", "--json", "--all", "--max-pages", "2");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var document = JsonDocument.Parse(result.Output);
        Assert.Equal(4, document.RootElement.GetProperty("data").GetArrayLength());
        Assert.Equal(2, _server.LogEntries.Count);
        Assert.Contains("stopped after 2 pages", result.Error, StringComparison.Ordinal);
        Assert.Contains("--page 3", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NextPageThatDoesNotAdvanceStopsWithAnError()
    {
        const string stuckMeta = """{"count":1,"limit_value":1,"total_pages":9,"current_page":1,"next_page":1,"prev_page":null,"is_first_page":true,"is_last_page":false,"is_out_of_range":false}""";
        _server.Given(Request.Create().WithPath("/events").UsingGet())
            .RespondWith(Json(200, KnowBe4TestData.Page(stuckMeta, KnowBe4TestData.Event("a", "2024-01-01T00:00:00.000Z"))));

        var result = await RunAsync("events", "list", "--json", "--all");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Single(_server.LogEntries);
        Assert.Contains("next_page 1 does not come after current_page 1", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateWaitThenGetThenDeleteWorkInSequence()
    {
        const string eventId = "0b9c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3";
        var storedEvent = KnowBe4TestData.Event(eventId, "2024-05-01T08:30:00.000Z", description: "Left badge at home", eventType: "Lost or stolen equipment");
        _server.Given(Request.Create().WithPath("/events").UsingPost()).RespondWith(Json(201, """{"data":{"id":"req-1"}}"""));
        _server.Given(Request.Create().WithPath("/statuses/req-1").UsingGet())
            .RespondWith(Json(200, KnowBe4TestData.Status("req-1", "2024-05-01T08:30:01.000Z", [eventId])));
        _server.Given(Request.Create().WithPath($"/events/{eventId}").UsingGet()).AtPriority(10)
            .RespondWith(Json(200, "{\"data\":" + storedEvent + "}"));
        // Once deleted, the event is gone.
        _server.Given(Request.Create().WithPath($"/events/{eventId}").UsingDelete()).InScenario("event").WillSetStateTo("deleted")
            .RespondWith(Response.Create().WithStatusCode(204));
        _server.Given(Request.Create().WithPath($"/events/{eventId}").UsingGet()).InScenario("event").WhenStateIs("deleted").AtPriority(1)
            .RespondWith(Json(404, """{"message":"Not Found"}"""));

        var created = await RunAsync("events", "create", "--target-user", "jane@example.com", "--event-type", "Lost or stolen equipment",
            "--description", "Left badge at home", "--wait", "--json");
        Assert.Equal(ExitCodes.Success, created.ExitCode);
        using var status = JsonDocument.Parse(created.Output);
        var createdId = Assert.Single(status.RootElement.GetProperty("data").GetProperty("details").GetProperty("events").EnumerateArray()).GetString()!;
        Assert.Equal(eventId, createdId);

        var fetched = await RunAsync("events", "get", createdId, "--json");
        Assert.Equal(ExitCodes.Success, fetched.ExitCode);
        using (var fetchedEvent = JsonDocument.Parse(fetched.Output))
        {
            Assert.Equal("Left badge at home", fetchedEvent.RootElement.GetProperty("data").GetProperty("description").GetString());
        }

        var deleted = await RunAsync("events", "delete", createdId);
        Assert.Equal(ExitCodes.Success, deleted.ExitCode);

        var gone = await RunAsync("events", "get", createdId);
        Assert.Equal(ExitCodes.Failure, gone.ExitCode);
        Assert.Contains("HTTP 404: not found", gone.Error, StringComparison.Ordinal);

        Assert.Equal(
            ["POST /events", "GET /statuses/req-1", $"GET /events/{eventId}", $"DELETE /events/{eventId}", $"GET /events/{eventId}"],
            _server.LogEntries.Select(entry => $"{entry.RequestMessage.Method} {entry.RequestMessage.Path}"));
    }

    [Fact]
    public async Task CreateWaitInTableModePrintsTheRequestAndEventIds()
    {
        _server.Given(Request.Create().WithPath("/events").UsingPost()).RespondWith(Json(201, """{"data":{"id":"req-9"}}"""));
        _server.Given(Request.Create().WithPath("/statuses/req-9").UsingGet())
            .RespondWith(Json(200, KnowBe4TestData.Status("req-9", "2024-05-01T08:30:01.000Z", ["ev-a", "ev-b"])));

        var result = await RunAsync("events", "create", "--target-user", "jane@example.com", "--event-type", "Out of office", "--wait");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(
            ["Request ID       req-9", "Processed (UTC)  2024-05-01T08:30:01.000Z", "API key name     Test Integration", "Event ID         ev-a", "Event ID         ev-b"],
            result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(result.Error);
    }
}
