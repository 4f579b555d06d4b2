using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Emulator;

public sealed partial class EmulatorShapeTests
{
    private static readonly string[] MetaFields =
        ["count", "limit_value", "total_pages", "current_page", "next_page", "prev_page", "is_first_page", "is_last_page", "is_out_of_range"];

    private static readonly string[] EventFields =
        ["id", "account_id", "user", "external_id", "source", "description", "occurred_date", "risk", "metadata", "event_type"];

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex Timestamp();

    [Fact]
    public async Task ListEventsHasTheCapturedEnvelopeMetaAndEventShape()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(backlog: 3), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        using var response = await client.GetAsync("events", TestContext.Current.CancellationToken);
        using var body = await EmulatorTestHelpers.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["data", "meta"], body.RootElement.PropertyNames());
        Assert.Equal(MetaFields, body.Meta().PropertyNames());
        var meta = body.Meta();
        Assert.Equal(3, meta.GetProperty("count").GetInt32());
        Assert.Equal(50, meta.GetProperty("limit_value").GetInt32());
        Assert.Equal(1, meta.GetProperty("total_pages").GetInt32());
        Assert.Equal(1, meta.GetProperty("current_page").GetInt32());
        Assert.Equal(JsonValueKind.Null, meta.GetProperty("next_page").ValueKind);
        Assert.Equal(JsonValueKind.Null, meta.GetProperty("prev_page").ValueKind);
        Assert.True(meta.GetProperty("is_first_page").GetBoolean());
        Assert.True(meta.GetProperty("is_last_page").GetBoolean());
        Assert.False(meta.GetProperty("is_out_of_range").GetBoolean());

        foreach (var item in body.Data().EnumerateArray())
        {
            Assert.Equal(EventFields, item.PropertyNames());
            Assert.Equal(["email", "id", "archived"], item.GetProperty("user").PropertyNames());
            Assert.Equal(["level", "decay_mode", "expire_date"], item.GetProperty("risk").PropertyNames());
            Assert.Equal(["id", "name", "description"], item.GetProperty("event_type").PropertyNames());
            Assert.Equal(52306, item.GetProperty("account_id").GetInt64());
            var id = item.GetProperty("id").GetString()!;
            Assert.True(Guid.TryParseExact(id, "D", out _));
            Assert.Equal('4', id[14]);
            Assert.Matches(Timestamp(), item.GetProperty("occurred_date").GetString()!);
            Assert.Contains("@acme.example.com", item.GetProperty("user").GetProperty("email").GetString(), StringComparison.Ordinal);
            Assert.True(item.GetProperty("event_type").GetProperty("id").GetInt64() > 1_000_000_000);
        }
    }

    [Fact]
    public async Task GetEventReturnsTheItemEnvelopeWithTheBytesOfTheList()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(backlog: 2), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (_, list) = await client.GetJsonAsync("events");
        var first = list.Data()[0];
        var (status, item) = await client.GetJsonAsync($"events/{first.GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["data"], item.RootElement.PropertyNames());
        Assert.Equal(first.GetRawText(), item.Data().GetRawText());
        var truth = emulator.GroundTruth.AllEvents().Single(e => e.Id == first.GetProperty("id").GetString());
        Assert.Equal(first.GetRawText(), System.Text.Encoding.UTF8.GetString(truth.Json.Span));
    }

    [Fact]
    public async Task EventTypesListTheConsoleUseCasesWithCountOnlyMeta()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (status, list) = await client.GetJsonAsync("event_types");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["data", "meta"], list.RootElement.PropertyNames());
        Assert.Equal(["count"], list.Meta().PropertyNames());
        Assert.Equal(8, list.Meta().GetProperty("count").GetInt32());
        var names = list.Data().EnumerateArray().Select(type => type.GetProperty("name").GetString()).ToList();
        Assert.Equal(
            ["Unlocked Computer", "Lost or Stolen Equipment", "Out of Office", "Non-Simulated Phishing Incident",
             "Blocked Website Visit", "Password Lockout", "Certification", "External Training"],
            names);
        var first = list.Data()[0];
        Assert.Equal(["id", "account_id", "name", "description"], first.PropertyNames());
        Assert.Equal(52306, first.GetProperty("account_id").GetInt64());

        var (_, filtered) = await client.GetJsonAsync("event_types?name=password%20lockout");
        Assert.Equal("Password Lockout", Assert.Single(filtered.Data().EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(1, filtered.Meta().GetProperty("count").GetInt32());

        var (itemStatus, item) = await client.GetJsonAsync($"event_types/{first.GetProperty("id").GetInt64()}");
        Assert.Equal(HttpStatusCode.OK, itemStatus);
        Assert.Equal(first.GetRawText(), item.Data().GetRawText());
    }

    [Fact]
    public async Task CreateIsAcceptedWith201AndProcessedAsynchronouslyIntoAStatus()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock, statusDelay: TimeSpan.FromSeconds(2));
        using var client = EmulatorTestHelpers.Client(emulator);
        var email = emulator.Accounts[0].UserEmails[3];

        var (status, created) = await client.PostJsonAsync("events", $$$"""
            {"target_user":"{{{email}}}","event_type":"Badge Tailgating","occurred_date":"2025-03-01","risk_level":4,
             "risk_decay_mode":"1","external_id":"DOOR-1","source":"Badge System","description":"Followed into B2","metadata":{"door":"B2"}}
            """);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(["data"], created.RootElement.PropertyNames());
        Assert.Equal(["id"], created.Data().PropertyNames());
        var requestId = created.Data().GetProperty("id").GetString()!;

        var (_, pending) = await client.GetJsonAsync($"statuses/{requestId}");
        Assert.Equal(["id", "details", "processed", "api_key"], pending.Data().PropertyNames());
        Assert.Equal(JsonValueKind.Null, pending.Data().GetProperty("processed").ValueKind);
        Assert.Empty(pending.Data().GetProperty("details").GetProperty("events").EnumerateArray());
        var (_, before) = await client.GetJsonAsync("events");
        Assert.Empty(before.Data().EnumerateArray());

        clock.Advance(TimeSpan.FromSeconds(2));

        var (_, processed) = await client.GetJsonAsync($"statuses/{requestId}");
        var data = processed.Data();
        Assert.Equal("2025-03-10T12:00:02.000Z", data.GetProperty("processed").GetString());
        Assert.Equal("Acme key 1", data.GetProperty("api_key").GetString());
        Assert.Empty(data.GetProperty("details").GetProperty("failures").EnumerateArray());
        var eventId = Assert.Single(data.GetProperty("details").GetProperty("events").EnumerateArray()).GetString()!;
        Assert.NotEqual(requestId, eventId);

        var (eventStatus, item) = await client.GetJsonAsync($"events/{eventId}");
        Assert.Equal(HttpStatusCode.OK, eventStatus);
        var created1 = item.Data();
        Assert.Equal("2025-03-01T00:00:00.000Z", created1.GetProperty("occurred_date").GetString());
        Assert.Equal(email, created1.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(4, created1.GetProperty("risk").GetProperty("level").GetInt32());
        Assert.Equal(1, created1.GetProperty("risk").GetProperty("decay_mode").GetInt32());
        Assert.Equal("2025-04-01", created1.GetProperty("risk").GetProperty("expire_date").GetString());
        Assert.Equal("B2", created1.GetProperty("metadata").GetProperty("door").GetString());
        Assert.Equal("DOOR-1", created1.GetProperty("external_id").GetString());
        Assert.Equal("Badge Tailgating", created1.GetProperty("event_type").GetProperty("name").GetString());

        var (_, types) = await client.GetJsonAsync("event_types?name=Badge%20Tailgating");
        Assert.Equal(created1.GetProperty("event_type").GetProperty("id").GetInt64(), types.Data()[0].GetProperty("id").GetInt64());
        var truth = Assert.Single(emulator.GroundTruth.AllEvents());
        Assert.Equal(EmulatorTestHelpers.Start.AddSeconds(2), truth.CreatedAt);
    }

    [Fact]
    public async Task CreateWithoutOccurredDateDefaultsToTheRequestTime()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start.AddMilliseconds(123.4));
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock, statusDelay: TimeSpan.Zero);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (_, created) = await client.PostJsonAsync("events", $$"""{"target_user":"{{emulator.Accounts[0].UserEmails[0]}}","event_type":"Out of Office"}""");
        var (_, status) = await client.GetJsonAsync($"statuses/{created.Data().GetProperty("id").GetString()}");
        var eventId = status.Data().GetProperty("details").GetProperty("events")[0].GetString();
        var (_, item) = await client.GetJsonAsync($"events/{eventId}");

        Assert.Equal("2025-03-10T12:00:00.123Z", item.Data().GetProperty("occurred_date").GetString());
        Assert.Equal("2025-04-10", item.Data().GetProperty("risk").GetProperty("expire_date").GetString());
        Assert.Equal(JsonValueKind.Null, item.Data().GetProperty("risk").GetProperty("level").ValueKind);
    }

    [Theory]
    [InlineData("""{"event_type":"Out of Office"}""", "target_user is required")]
    [InlineData("""{"target_user":"a@b.c"}""", "event_type is required")]
    [InlineData("""{"target_user":"a@b.c","event_type":"X","risk_level":11}""", "risk_level must be an integer from -10 to 10")]
    [InlineData("""{"target_user":"a@b.c","event_type":"X","occurred_date":"yesterday"}""", "occurred_date must be a date (YYYY-MM-DD)")]
    [InlineData("""[{"target_user":"a@b.c","event_type":"X"}]""", "Request body must be a JSON object")]
    [InlineData("""{"target_user":""", "Request body must be valid JSON")]
    public async Task InvalidCreateIs400WithAMessage(string body, string message)
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (status, error) = await client.PostJsonAsync("events", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(message, error.Message());
    }

    [Fact]
    public async Task UnknownTargetUserIsAFailureInTheStatusNotAnEvent()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (status, created) = await client.PostJsonAsync("events", """{"target_user":"nobody@nowhere.example","event_type":"Out of Office"}""");
        clock.Advance(TimeSpan.FromSeconds(5));
        var (_, record) = await client.GetJsonAsync($"statuses/{created.Data().GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.Created, status);
        var details = record.Data().GetProperty("details");
        Assert.Empty(details.GetProperty("events").EnumerateArray());
        var failure = Assert.Single(details.GetProperty("failures").EnumerateArray());
        Assert.Equal("nobody@nowhere.example", failure.GetProperty("target_user").GetString());
        Assert.Contains("not found", failure.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(JsonValueKind.Null, record.Data().GetProperty("processed").ValueKind);
        Assert.Empty(emulator.GroundTruth.AllEvents());
    }

    [Fact]
    public async Task DeleteAnswers204ThenTheEventIsGoneAnd404()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(backlog: 3), clock);
        using var client = EmulatorTestHelpers.Client(emulator);
        var (_, list) = await client.GetJsonAsync("events");
        var id = list.Ids()[1];
        clock.Advance(TimeSpan.FromMinutes(1));

        using var deleted = await client.DeleteAsync($"events/{id}", TestContext.Current.CancellationToken);
        var deletedBody = await deleted.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var (after, _) = await client.GetJsonAsync($"events/{id}");
        using var again = await client.DeleteAsync($"events/{id}", TestContext.Current.CancellationToken);
        var (_, listAfter) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(deletedBody);
        Assert.Equal(HttpStatusCode.NotFound, after);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.DoesNotContain(id, listAfter.Ids());
        Assert.Equal(2, listAfter.Meta().GetProperty("count").GetInt32());
        Assert.Equal(EmulatorTestHelpers.Start.AddMinutes(1), emulator.GroundTruth.AllEvents().Single(e => e.Id == id).DeletedAt);
    }

    [Theory]
    [InlineData("events/5b1e3c1e-2f6c-4a63-9d0e-2b8f3c1d4e5f")]
    [InlineData("statuses/5b1e3c1e-2f6c-4a63-9d0e-2b8f3c1d4e5f")]
    [InlineData("event_types/123")]
    [InlineData("event_types/not-a-number")]
    [InlineData("no/such/route")]
    public async Task UnknownIdsAndRoutesAre404NotFound(string path)
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(backlog: 1), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (status, body) = await client.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("Not Found", body.Message());
    }

    [Fact]
    public async Task AnotherAccountsEventIsNotFound()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        var scenario = EmulatorTestHelpers.Quiet() with
        {
            Accounts =
            [
                new EmulatorAccountSpec { Name = "Acme", AccountId = 1, ApiKeys = ["acme-key"] },
                new EmulatorAccountSpec { Name = "Globex", AccountId = 2, ApiKeys = ["globex-key"] },
            ],
        };
        await using var emulator = await EmulatorTestHelpers.StartAsync(scenario, clock);
        var globexEvent = emulator.AddEvent("someone@globex.example", "Out of Office", EmulatorTestHelpers.Start, account: "Globex");
        using var acme = EmulatorTestHelpers.Client(emulator, "acme-key");
        using var globex = EmulatorTestHelpers.Client(emulator, "globex-key");

        var (acmeStatus, _) = await acme.GetJsonAsync($"events/{globexEvent}");
        var (globexStatus, item) = await globex.GetJsonAsync($"events/{globexEvent}");
        var (_, acmeList) = await acme.GetJsonAsync("events");
        using var acmeDelete = await acme.DeleteAsync($"events/{globexEvent}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, acmeStatus);
        Assert.Equal(HttpStatusCode.OK, globexStatus);
        Assert.Equal(2, item.Data().GetProperty("account_id").GetInt64());
        Assert.Empty(acmeList.Data().EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, acmeDelete.StatusCode);
    }

    [Fact]
    public async Task StatusesListNewestFirstWithPagingAndProcessedFilter()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock, statusDelay: TimeSpan.FromSeconds(2));
        using var client = EmulatorTestHelpers.Client(emulator);
        var body = $$"""{"target_user":"{{emulator.Accounts[0].UserEmails[0]}}","event_type":"Certification"}""";
        var (_, first) = await client.PostJsonAsync("events", body);
        clock.Advance(TimeSpan.FromSeconds(3));
        var (_, second) = await client.PostJsonAsync("events", body);

        var (status, all) = await client.GetJsonAsync("statuses");
        var (_, done) = await client.GetJsonAsync("statuses?processed=true");
        var (_, pending) = await client.GetJsonAsync("statuses?processed=false");
        var (_, onDay) = await client.GetJsonAsync("statuses?processed=2025-03-10");
        var (_, paged) = await client.GetJsonAsync("statuses?per_page=1&page=2");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([second.Data().GetProperty("id").GetString()!, first.Data().GetProperty("id").GetString()!], all.Ids());
        Assert.Equal(MetaFields, all.Meta().PropertyNames());
        Assert.Equal([first.Data().GetProperty("id").GetString()!], done.Ids());
        Assert.Equal([second.Data().GetProperty("id").GetString()!], pending.Ids());
        Assert.Single(onDay.Ids());
        Assert.Equal([first.Data().GetProperty("id").GetString()!], paged.Ids());
        Assert.Equal(2, paged.Meta().GetProperty("total_pages").GetInt32());
    }
}
