using System.Text;
using System.Text.Json;
using Kb4Collector.KnowBe4;
using Kb4Collector.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Kb4Collector.Tests.Support.KnowBe4WireMock;

namespace Kb4Collector.Tests.KnowBe4;

/// <summary>Every endpoint against WireMock: method, path, query, headers, body, and the typed and raw results.</summary>
public sealed class KnowBe4ClientTests : IDisposable
{
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _httpClient = new();
    private readonly KnowBe4Client _client;

    public KnowBe4ClientTests() => _client = Client(_server, _httpClient);

    public void Dispose()
    {
        _httpClient.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private WireMock.IRequestMessage SingleRequest() => Assert.Single(_server.LogEntries).RequestMessage;

    private static void AssertApiHeaders(WireMock.IRequestMessage request)
    {
        Assert.Equal($"Bearer {KnowBe4TestData.ApiKey}", Assert.Single(request.Headers!["Authorization"]));
        Assert.Contains("application/json", request.Headers!["Accept"].Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListEventsParsesTheSpecPayload()
    {
        var body = KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.SpecEvent);
        _server.Given(Request.Create().WithPath("/events").UsingGet()).RespondWith(Json(200, body));

        var page = await _client.ListEventsAsync(new EventQuery(), Token);

        var userEvent = Assert.Single(page.Events);
        Assert.Equal("786a515c-1cbd-4a8c-a94a-61ad877c893c", userEvent.Id);
        Assert.Equal(52306, userEvent.AccountId);
        Assert.Equal(new EventUser("user@example.com", 38651943, false), userEvent.User);
        Assert.Null(userEvent.ExternalId);
        Assert.Equal("My description", userEvent.Description);
        Assert.Equal(new DateTimeOffset(2022, 8, 9, 10, 5, 13, 890, TimeSpan.Zero), userEvent.OccurredDate);
        Assert.Equal(new EventRisk(5, null, 0, null), userEvent.Risk);
        Assert.Null(userEvent.Metadata);
        Assert.Equal(new EventTypeSummary(420899085, "event_type_55", null), userEvent.EventType);
        Assert.Equal(new PageMeta(3, 50, 1, 1, null, null, true, true, false), page.Meta);
        var request = SingleRequest();
        Assert.Equal("GET", request.Method);
        Assert.Equal("", request.RawQuery ?? "");
        AssertApiHeaders(request);
        Assert.True(_client.HasAuthenticated);
    }

    [Fact]
    public async Task EveryEventFilterReachesTheQueryString()
    {
        _server.Given(Request.Create().WithPath("/events").UsingGet())
            .RespondWith(Json(200, KnowBe4TestData.Page(KnowBe4TestData.Meta(2, 2, 0))));
        var query = new EventQuery
        {
            Page = 2,
            PerPage = 25,
            EventType = "Blocked website visit",
            TargetUser = "jane+x@example.com",
            ExternalId = "INC-1/2",
            Source = "proxy & dns",
            OccurredDate = new DateOnly(2024, 6, 30),
            RiskLevel = -3,
            RiskDecayMode = 0,
            RiskExpireDate = new DateOnly(2024, 7, 31),
            OrderBy = EventOrderBy.EventType,
            OrderDirection = SortDirection.Desc,
        };

        await _client.ListEventsAsync(query, Token);

        var parameters = SingleRequest().Query!;
        Assert.Equal("2", parameters["page"].Single());
        Assert.Equal("25", parameters["per_page"].Single());
        Assert.Equal("Blocked website visit", parameters["event_type"].Single());
        Assert.Equal("jane+x@example.com", parameters["target_user"].Single());
        Assert.Equal("INC-1/2", parameters["external_id"].Single());
        Assert.Equal("proxy & dns", parameters["source"].Single());
        Assert.Equal("2024-06-30", parameters["occurred_date"].Single());
        Assert.Equal("-3", parameters["risk_level"].Single());
        Assert.Equal("0", parameters["risk_decay_mode"].Single());
        Assert.Equal("2024-07-31", parameters["risk_expire_date"].Single());
        Assert.Equal("event_type", parameters["order_by"].Single());
        Assert.Equal("desc", parameters["order_direction"].Single());
        Assert.Equal(12, parameters.Count);
    }

    [Fact]
    public async Task ListEventsRawKeepsEachEventsBytes()
    {
        var first = KnowBe4TestData.Event("e-1", "2024-01-02T00:00:00.001Z", description: "caf\\u00e9 \\\"quoted\\\"");
        var second = KnowBe4TestData.Event("e-2", "2024-01-01T23:59:59.999Z");
        _server.Given(Request.Create().WithPath("/events").WithParam("per_page", "100").UsingGet())
            .RespondWith(Json(200, KnowBe4TestData.Page(KnowBe4TestData.Meta(1, 1, 2), first, second)));

        var page = await _client.ListEventsRawAsync(new EventQuery { PerPage = 100 }, Token);

        Assert.Equal(["e-1", "e-2"], page.Events.Select(e => e.Id));
        Assert.Equal(first, Encoding.UTF8.GetString(page.Events[0].Json.Span));
        Assert.Equal(second, Encoding.UTF8.GetString(page.Events[1].Json.Span));
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 23, 59, 59, 999, TimeSpan.Zero), page.Events[1].OccurredDate);
        Assert.Equal(1, page.Meta.CurrentPage);
    }

    [Fact]
    public async Task ListEventsJsonReturnsTheBodyAsReceived()
    {
        var body = KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.SpecEvent);
        _server.Given(Request.Create().WithPath("/events").WithParam("event_type", "x y").UsingGet()).RespondWith(Json(200, body));

        var json = await _client.ListEventsJsonAsync(new EventQuery { EventType = "x y" }, Token);

        Assert.Equal(body, Encoding.UTF8.GetString(json.Span));
    }

    [Fact]
    public async Task GetEventUsesTheEscapedIdInThePath()
    {
        var body = "{\"data\":" + KnowBe4TestData.SpecEvent + "}";
        _server.Given(Request.Create().WithPath("/events/786a515c-1cbd-4a8c-a94a-61ad877c893c").UsingGet()).RespondWith(Json(200, body));

        var userEvent = await _client.GetEventAsync("786a515c-1cbd-4a8c-a94a-61ad877c893c", Token);
        var json = await _client.GetEventJsonAsync("786a515c-1cbd-4a8c-a94a-61ad877c893c", Token);

        Assert.Equal("event_type_55", userEvent.EventType?.Name);
        Assert.Equal(body, Encoding.UTF8.GetString(json.Span));
        AssertApiHeaders(_server.LogEntries[0].RequestMessage);
    }

    [Fact]
    public async Task IdsWithReservedCharactersCannotEscapeThePath()
    {
        _server.Given(Request.Create().UsingAnyMethod()).RespondWith(Json(404, """{"message":"Not Found"}"""));

        await Assert.ThrowsAsync<KnowBe4ApiException>(() => _client.GetEventAsync("../statuses?x=1#y", Token));

        var request = SingleRequest();
        Assert.Contains("/events/..%2Fstatuses%3Fx", request.AbsoluteUrl, StringComparison.Ordinal);
        Assert.EndsWith("%23y", request.AbsoluteUrl, StringComparison.Ordinal);
        Assert.True(string.IsNullOrEmpty(request.RawQuery));
    }

    [Fact]
    public async Task CreateEventPostsOnlyTheSetFieldsAndReturnsTheRequestId()
    {
        _server.Given(Request.Create().WithPath("/events").UsingPost())
            .RespondWith(Json(201, """{"data":{"id":"5f1c3a1e-0000-4000-8000-000000000001"}}"""));
        using var metadata = JsonDocument.Parse("""{"ticket":"INC-7","tags":["a","b"]}""");
        var request = new CreateEventRequest("jane@example.com", "Lost or stolen equipment")
        {
            ExternalId = "INC-7",
            Source = "ServiceNow",
            Description = "Laptop left on a train",
            OccurredDate = new DateOnly(2024, 4, 1),
            RiskLevel = 7,
            RiskDecayMode = 1,
            RiskExpireDate = new DateOnly(2024, 5, 1),
            Metadata = metadata.RootElement.Clone(),
        };

        var requestId = await _client.CreateEventAsync(request, Token);

        Assert.Equal("5f1c3a1e-0000-4000-8000-000000000001", requestId);
        var sent = SingleRequest();
        Assert.Equal("POST", sent.Method);
        Assert.StartsWith("application/json", sent.Headers!["Content-Type"].Single(), StringComparison.Ordinal);
        AssertApiHeaders(sent);
        using var body = JsonDocument.Parse(sent.Body!);
        var root = body.RootElement;
        Assert.Equal("jane@example.com", root.GetProperty("target_user").GetString());
        Assert.Equal("Lost or stolen equipment", root.GetProperty("event_type").GetString());
        Assert.Equal("INC-7", root.GetProperty("external_id").GetString());
        Assert.Equal("ServiceNow", root.GetProperty("source").GetString());
        Assert.Equal("Laptop left on a train", root.GetProperty("description").GetString());
        Assert.Equal("2024-04-01", root.GetProperty("occurred_date").GetString());
        Assert.Equal(7, root.GetProperty("risk_level").GetInt32());
        Assert.Equal(1, root.GetProperty("risk_decay_mode").GetInt32());
        Assert.Equal("2024-05-01", root.GetProperty("risk_expire_date").GetString());
        Assert.Equal("INC-7", root.GetProperty("metadata").GetProperty("ticket").GetString());
        Assert.Equal(10, root.EnumerateObject().Count());
    }

    [Fact]
    public async Task CreateEventWithOnlyRequiredFieldsSendsTwoFields()
    {
        _server.Given(Request.Create().WithPath("/events").UsingPost()).RespondWith(Json(201, """{"data":{"id":"r-1"}}"""));

        var json = await _client.CreateEventJsonAsync(new CreateEventRequest("a@example.com", "Out of office"), Token);

        Assert.Equal("""{"data":{"id":"r-1"}}""", Encoding.UTF8.GetString(json.Span));
        Assert.Equal("""{"target_user":"a@example.com","event_type":"Out of office"}""", SingleRequest().Body);
    }

    [Fact]
    public async Task CreateEventWithoutRequestIdIsMalformed()
    {
        _server.Given(Request.Create().WithPath("/events").UsingPost()).RespondWith(Json(201, """{"data":{}}"""));

        var exception = await Assert.ThrowsAsync<KnowBe4ApiException>(() => _client.CreateEventAsync(new CreateEventRequest("a@example.com", "x"), Token));

        Assert.Equal(KnowBe4FailureKind.MalformedBody, exception.Kind);
        Assert.Equal(KnowBe4Endpoints.CreateEvent, exception.Endpoint);
    }

    [Fact]
    public async Task DeleteEventSendsDeleteAndAccepts204()
    {
        _server.Given(Request.Create().WithPath("/events/e-9").UsingDelete()).RespondWith(Response.Create().WithStatusCode(204));

        await _client.DeleteEventAsync("e-9", Token);

        var request = SingleRequest();
        Assert.Equal("DELETE", request.Method);
        AssertApiHeaders(request);
    }

    [Fact]
    public async Task ListEventTypesParsesTheSpecPayloadAndFiltersByName()
    {
        _server.Given(Request.Create().WithPath("/event_types").UsingGet()).RespondWith(Json(200, KnowBe4TestData.SpecEventTypes));

        var all = await _client.ListEventTypesAsync(null, Token);
        var filtered = await _client.ListEventTypesJsonAsync("User submitted SPAM", Token);

        Assert.Equal(2, all.Count);
        Assert.Equal(new EventType(2372028386, "User submitted SPAM", 585832, null), all.EventTypes[0]);
        Assert.Equal("PhishRIP Message Found", all.EventTypes[1].Name);
        Assert.Equal(KnowBe4TestData.SpecEventTypes, Encoding.UTF8.GetString(filtered.Span));
        Assert.False(_server.LogEntries[0].RequestMessage.Query?.ContainsKey("name") ?? false);
        Assert.Equal("User submitted SPAM", _server.LogEntries[^1].RequestMessage.Query!["name"].Single());
    }

    [Fact]
    public async Task GetEventTypeUsesTheNumericId()
    {
        _server.Given(Request.Create().WithPath("/event_types/2372028386").UsingGet())
            .RespondWith(Json(200, """{"data":{"id":2372028386,"account_id":585832,"name":"User submitted SPAM","description":"From PAB"}}"""));

        var eventType = await _client.GetEventTypeAsync(2372028386, Token);
        var json = await _client.GetEventTypeJsonAsync(2372028386, Token);

        Assert.Equal(new EventType(2372028386, "User submitted SPAM", 585832, "From PAB"), eventType);
        Assert.Contains("From PAB", Encoding.UTF8.GetString(json.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListStatusesSendsPagingAndProcessedAndToleratesAMissingMeta()
    {
        _server.Given(Request.Create().WithPath("/statuses").UsingGet())
            .RespondWith(Json(200, "{\"data\":[" + KnowBe4TestData.SpecStatus + "]}"));

        var page = await _client.ListStatusesAsync(new StatusQuery { Page = 3, PerPage = 20, Processed = true }, Token);

        var status = Assert.Single(page.Statuses);
        Assert.Equal("abcdefgh-843c-4fc8-bb2f-decf89876f7b", status.Id);
        Assert.Equal(["87654321-a083-42b9-b50a-fb69b8e2b185"], status.EventIds);
        Assert.Empty(status.Failures);
        Assert.Equal(new DateTimeOffset(2023, 4, 1, 14, 39, 40, 132, TimeSpan.Zero), status.Processed);
        Assert.Equal("Test Integration", status.ApiKey);
        Assert.True(status.IsComplete);
        Assert.Null(page.Meta);
        var parameters = SingleRequest().Query!;
        Assert.Equal("3", parameters["page"].Single());
        Assert.Equal("20", parameters["per_page"].Single());
        Assert.Equal("true", parameters["processed"].Single());
    }

    [Fact]
    public async Task ListStatusesReadsMetaWhenPresent()
    {
        _server.Given(Request.Create().WithPath("/statuses").UsingGet())
            .RespondWith(Json(200, "{\"data\":[],\"meta\":" + KnowBe4TestData.Meta(1, 2, 0) + "}"));

        var page = await _client.ListStatusesAsync(new StatusQuery(), Token);
        var json = await _client.ListStatusesJsonAsync(new StatusQuery { Processed = false }, Token);

        Assert.Equal(2, page.Meta?.NextPage);
        Assert.StartsWith("{\"data\":[]", Encoding.UTF8.GetString(json.Span), StringComparison.Ordinal);
        Assert.Equal("false", _server.LogEntries[^1].RequestMessage.Query!["processed"].Single());
    }

    [Fact]
    public async Task GetStatusParsesPendingAndProcessedStatuses()
    {
        _server.Given(Request.Create().WithPath("/statuses/abcdefgh-843c-4fc8-bb2f-decf89876f7b").UsingGet())
            .RespondWith(Json(200, "{\"data\":" + KnowBe4TestData.SpecStatus + "}"));
        _server.Given(Request.Create().WithPath("/statuses/pending").UsingGet())
            .RespondWith(Json(200, """{"data":{"id":"pending","details":{"events":[],"failures":[]},"processed":null,"api_key":"k"}}"""));

        var done = await _client.GetStatusAsync("abcdefgh-843c-4fc8-bb2f-decf89876f7b", Token);
        var pending = await _client.GetStatusAsync("pending", Token);
        var json = await _client.GetStatusJsonAsync("pending", Token);

        Assert.True(done.IsComplete);
        Assert.False(pending.IsComplete);
        Assert.Null(pending.Processed);
        Assert.Contains("\"processed\":null", Encoding.UTF8.GetString(json.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownFieldsAreIgnoredAndNumbersAsStringsAreTolerated()
    {
        const string body = """
            {"data":{"id":"e","occurred_date":"2024-01-01T00:00:00Z","risk":{"level":"4","factor":2.5,"decay_mode":"1","expire_date":"2024-02-01","new":true},
             "user":{"email":"a@b.c","id":"7","archived":false,"department":"IT"},"event_type":{"id":1,"name":"t"},"created_at":"x","labels":["a"]},"extra":1}
            """;
        _server.Given(Request.Create().WithPath("/events/e").UsingGet()).RespondWith(Json(200, body));

        var userEvent = await _client.GetEventAsync("e", Token);

        Assert.Equal(new EventRisk(4, 2.5, 1, "2024-02-01"), userEvent.Risk);
        Assert.Equal(7, userEvent.User?.Id);
    }

    [Fact]
    public async Task BaseUrlPathPrefixIsKept()
    {
        _server.Given(Request.Create().WithPath("/prefix/events/e-1").UsingDelete()).RespondWith(Response.Create().WithStatusCode(204));
        var client = new KnowBe4Client(_httpClient, new KnowBe4ClientOptions(new Uri(_server.Urls[0] + "/prefix/"), KnowBe4TestData.ApiKey));

        await client.DeleteEventAsync("e-1", Token);

        Assert.Equal("/prefix/events/e-1", SingleRequest().Path);
    }

    [Fact]
    public void ConstructorRefusesBadKeysWithoutEchoingThem()
    {
        var exception = Assert.Throws<ArgumentException>(() =>
            new KnowBe4Client(_httpClient, new KnowBe4ClientOptions(new Uri("https://api.events.knowbe4.com"), "line\nbreak-secret")));
        Assert.DoesNotContain("break-secret", exception.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new KnowBe4Client(_httpClient, new KnowBe4ClientOptions(new Uri("https://api.events.knowbe4.com"), "")));
        Assert.Throws<ArgumentException>(() => new KnowBe4Client(_httpClient, new KnowBe4ClientOptions(new Uri("ftp://x/"), "k")));
    }

    [Fact]
    public void OptionsNeverPrintTheKey()
    {
        var options = new KnowBe4ClientOptions(new Uri("https://api.events.knowbe4.com"), "super-secret-key");

        Assert.DoesNotContain("super-secret-key", options.ToString(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Timeout);
        Assert.Equal(16 * 1024 * 1024, options.MaxResponseBytes);
    }
}
