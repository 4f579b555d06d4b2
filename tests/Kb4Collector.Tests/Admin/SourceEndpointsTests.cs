using Kb4Collector.Lifecycle;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Kb4Collector.Configuration;
using Kb4Collector.Delivery;

namespace Kb4Collector.Tests.Admin;

[Collection(AdminDaemonGroup.Name)]
public sealed class SourceEndpointsTests(AdminDaemonFixture daemon)
{
    private const string Sources = "/api/v1/collectors/local/sources";

    [Fact]
    public async Task The_collector_summary_counts_sources_states_and_problems()
    {
        await daemon.WaitForSteadyStateAsync();
        var collector = (await daemon.GetJsonAsync("/api/v1/collectors/local")).GetProperty("collector");

        Assert.Equal("local", collector.GetProperty("id").GetString());
        Assert.Equal("admin-test-collector", collector.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(collector.GetProperty("collectorVersion").GetString()));
        Assert.True(collector.GetProperty("ready").GetBoolean());
        Assert.True(collector.GetProperty("uptimeSeconds").GetInt64() >= 0);
        Assert.EndsWith("Z", collector.GetProperty("startedAt").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, collector.GetProperty("sourceCount").GetInt32());
        var states = collector.GetProperty("states");
        Assert.Equal(["Pending", "Started", "Initialized", "Authenticated", "Collecting", "Error", "Stopping"], states.EnumerateObject().Select(state => state.Name));
        Assert.Equal(2, states.EnumerateObject().Sum(state => state.Value.GetInt32()));
        Assert.Equal(1, states.GetProperty("Error").GetInt32());
        Assert.True(collector.GetProperty("unresolvedHealthEvents").GetInt32() >= 1);

        // Both sources poll every second, which the loader accepts with a warning each.
        var problems = collector.GetProperty("configProblems").EnumerateArray().ToList();
        Assert.Equal(2, problems.Count);
        Assert.All(problems, problem =>
        {
            Assert.Equal("config.pollingInterval", problem.GetProperty("field").GetString());
            Assert.Equal("Warning", problem.GetProperty("severity").GetString());
            Assert.Equal(daemon.SourcesFile, problem.GetProperty("file").GetString());
        });
    }

    [Fact]
    public async Task The_source_list_holds_every_source_in_Sumo_shape()
    {
        var root = await daemon.GetJsonAsync(Sources);

        Assert.Equal(["sources"], root.EnumerateObject().Select(property => property.Name));
        var sources = root.GetProperty("sources").EnumerateArray().ToList();
        Assert.Equal([AdminDaemonFixture.GoodName, AdminDaemonFixture.BadName], sources.Select(source => source.GetProperty("name").GetString()));
        Assert.Equal([daemon.GoodId, daemon.BadId], sources.Select(source => source.GetProperty("id").GetString()));
        Assert.All(sources, source => Assert.Equal("********", source.GetProperty("config").GetProperty("apiKey").GetString()));
    }

    [Fact]
    public async Task A_collecting_source_shows_its_config_masked_its_state_checkpoint_and_quota()
    {
        await daemon.WaitForSteadyStateAsync();
        var root = await daemon.GetJsonAsync($"{Sources}/{daemon.GoodId}");
        Assert.Equal(["source"], root.EnumerateObject().Select(property => property.Name));
        var source = root.GetProperty("source");

        Assert.Equal(
            ["id", "name", "sourceType", "schemaRef", "config", "state", "health", "eventsDelivered", "checkpoint", "quota", "deadLetters", "sourceFile", "eventsDeliveredToday", "nextPollReason", "checkpointPosition", "backdatedFoundLate", "plan"],
            source.EnumerateObject().Select(property => property.Name));
        Assert.Equal("polling schedule", source.GetProperty("nextPollReason").GetString());
        Assert.Equal(daemon.GoodId, source.GetProperty("id").GetString());
        Assert.Equal("Universal", source.GetProperty("sourceType").GetString());
        Assert.Equal("KnowBe4", source.GetProperty("schemaRef").GetProperty("type").GetString());

        var config = source.GetProperty("config");
        Assert.Equal(
            ["name", "description", "category", "fields", "baseURL", "apiKey", "licensedUsers", "pollingInterval", "initialLookback", "backdateHorizon"],
            config.EnumerateObject().Select(property => property.Name));
        Assert.Equal(AdminDaemonFixture.GoodName, config.GetProperty("name").GetString());
        Assert.Equal("US account", config.GetProperty("description").GetString());
        Assert.Equal("security/knowbe4", config.GetProperty("category").GetString());
        Assert.Equal("secops", config.GetProperty("fields").GetProperty("team").GetString());
        Assert.True(config.GetProperty("fields").GetProperty("_siemForward").GetBoolean());
        Assert.Equal(daemon.EmulatorBaseUrl.AbsoluteUri, config.GetProperty("baseURL").GetString());
        Assert.Equal("********", config.GetProperty("apiKey").GetString());
        Assert.Equal(50, config.GetProperty("licensedUsers").GetInt32());
        Assert.Equal(1, config.GetProperty("pollingInterval").GetInt32());
        Assert.Equal("2d", config.GetProperty("initialLookback").GetString());
        Assert.Equal("3d", config.GetProperty("backdateHorizon").GetString());

        var state = source.GetProperty("state");
        Assert.Equal("Collecting", state.GetProperty("state").GetString());
        Assert.False(state.TryGetProperty("errorClass", out _));
        Assert.True(state.GetProperty("everAuthenticated").GetBoolean());
        Assert.True(state.TryGetProperty("lastSuccessAt", out _));
        Assert.True(state.TryGetProperty("lastPollAt", out _));
        Assert.True(state.TryGetProperty("nextAttemptAt", out _));
        Assert.Contains(state.GetProperty("transitions").EnumerateArray(), transition =>
            transition.GetProperty("from").GetString() == "Authenticated" && transition.GetProperty("to").GetString() == "Collecting");

        Assert.Equal("Healthy", source.GetProperty("health").GetString());
        Assert.True(source.GetProperty("eventsDelivered").GetInt64() > 0);
        var days = source.GetProperty("checkpoint").GetProperty("days").EnumerateArray().ToList();
        Assert.NotEmpty(days);
        Assert.Contains(days, day => day.TryGetProperty("verifiedTotal", out var total) && total.GetInt64() >= 0);
        Assert.All(days, day => DateOnly.ParseExact(day.GetProperty("day").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture));

        var quota = source.GetProperty("quota");
        Assert.Equal(500, quota.GetProperty("budget").GetInt32());
        Assert.True(quota.GetProperty("used").GetInt32() > 0);
        // The collector spends at most its share (maxQuotaShare 0.5) and never the manual reserve.
        var budget = quota.GetProperty("budget").GetInt32();
        var scheduled = Math.Min(budget - quota.GetProperty("manualReserve").GetInt32(), budget / 2);
        Assert.Equal(scheduled - quota.GetProperty("used").GetInt32(), quota.GetProperty("remainingScheduled").GetInt32());
        Assert.Equal(16, quota.GetProperty("keyFingerprint").GetString()!.Length);
        Assert.Equal(0, source.GetProperty("deadLetters").GetInt32());
        Assert.Equal(daemon.SourcesFile, source.GetProperty("sourceFile").GetString());
    }

    [Fact]
    public async Task A_source_with_a_refused_key_shows_its_error_class_reason_and_health()
    {
        await daemon.WaitForSteadyStateAsync();
        var source = (await daemon.GetJsonAsync($"{Sources}/{daemon.BadId}")).GetProperty("source");
        var state = source.GetProperty("state");

        Assert.Equal("Error", state.GetProperty("state").GetString());
        Assert.Equal("ThirdPartyConfig", state.GetProperty("errorClass").GetString());
        Assert.Contains("401", state.GetProperty("lastReason").GetString(), StringComparison.Ordinal);
        Assert.True(state.TryGetProperty("firstFailureAt", out _));
        Assert.True(state.GetProperty("retriesStopped").GetBoolean());
        Assert.False(state.TryGetProperty("nextAttemptAt", out _));
        Assert.Equal("waiting for a restart or a config update", source.GetProperty("nextPollReason").GetString());
        Assert.False(state.GetProperty("everAuthenticated").GetBoolean());
        Assert.Equal("Error", source.GetProperty("health").GetString());
        Assert.Equal(0, source.GetProperty("eventsDelivered").GetInt64());
        Assert.Equal(200, source.GetProperty("quota").GetProperty("budget").GetInt32());
        Assert.Equal(200, source.GetProperty("config").GetProperty("dailyCallBudget").GetInt32());
        Assert.False(source.GetProperty("config").TryGetProperty("licensedUsers", out _));
        Assert.False(source.GetProperty("config").GetProperty("fields").GetProperty("_siemForward").GetBoolean());
    }

    [Fact]
    public async Task The_download_form_is_a_source_file_without_id_or_state_that_loads_back_once_the_key_is_put_back()
    {
        var (status, body, response) = await daemon.SendAsync(HttpMethod.Get, $"{Sources}/{daemon.GoodId}?download=true");
        response.Dispose();
        Assert.Equal(HttpStatusCode.OK, status);

        using var document = JsonDocument.Parse(body);
        Assert.Equal(["api.version", "source"], document.RootElement.EnumerateObject().Select(property => property.Name));
        Assert.Equal("v1", document.RootElement.GetProperty("api.version").GetString());
        var source = document.RootElement.GetProperty("source");
        Assert.Equal(["schemaRef", "sourceType", "config"], source.EnumerateObject().Select(property => property.Name));
        Assert.Equal("********", source.GetProperty("config").GetProperty("apiKey").GetString());

        var folder = Path.Combine(Path.GetTempPath(), "kb4collector-admin-download-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var file = Path.Combine(folder, "downloaded.json");
            await File.WriteAllTextAsync(file, body.Replace("********", AdminDaemonFixture.GoodKey, StringComparison.Ordinal), TestContext.Current.CancellationToken);
            var loaded = new SourceConfigLoader().Load(file);

            Assert.False(loaded.HasErrors, string.Join("\n", loaded.Problems));
            var running = daemon.Runtime.Find(daemon.GoodId)!.Definition;
            Assert.Equal(running with { SourceFile = file }, Assert.Single(loaded.Sources));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Restart_answers_202_and_the_source_walks_back_up_to_Collecting()
    {
        await daemon.WaitForSteadyStateAsync();
        var requestedAt = TimeProvider.System.GetUtcNow().AddMilliseconds(-5);

        var (status, body, response) = await daemon.SendAsync(HttpMethod.Post, $"{Sources}/{daemon.GoodId}/action/restart");
        response.Dispose();

        Assert.Equal(HttpStatusCode.Accepted, status);
        using (var accepted = JsonDocument.Parse(body))
        {
            Assert.Equal(daemon.GoodId, accepted.RootElement.GetProperty("id").GetString());
            Assert.Equal(AdminDaemonFixture.GoodName, accepted.RootElement.GetProperty("name").GetString());
            Assert.Equal("restart source initiated", accepted.RootElement.GetProperty("message").GetString());
        }

        JsonElement state = default;
        await AdminDaemonFixture.WaitUntilAsync(async () =>
        {
            state = (await daemon.GetJsonAsync($"{Sources}/{daemon.GoodId}")).GetProperty("source").GetProperty("state");
            var transitions = state.GetProperty("transitions").EnumerateArray().ToList();
            var restartedAt = transitions.FindLastIndex(transition => transition.GetProperty("to").GetString() == "Pending" && At(transition) >= requestedAt);
            return restartedAt >= 0
                && state.GetProperty("state").GetString() == "Collecting"
                && transitions.Skip(restartedAt).Any(transition => transition.GetProperty("to").GetString() == "Authenticated");
        });
        Assert.Equal("Collecting", state.GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("GET", "?download=true")]
    [InlineData("POST", "/action/restart")]
    [InlineData("GET", "/calls")]
    [InlineData("GET", "/usage")]
    [InlineData("GET", "/deadLetters")]
    [InlineData("POST", "/deadLetters/action/replay")]
    public async Task An_unknown_source_is_404_notfound(string method, string suffix)
    {
        var (status, body, response) = await daemon.SendAsync(new HttpMethod(method), $"{Sources}/no-such-source-0000000000{suffix}");
        response.Dispose();

        Assert.Equal(HttpStatusCode.NotFound, status);
        using var error = JsonDocument.Parse(body);
        Assert.Equal(404, error.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("notfound", error.RootElement.GetProperty("code").GetString());
        Assert.Contains("no-such-source-0000000000", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/calls?limit=0")]
    [InlineData("/calls?limit=1001")]
    [InlineData("/calls?limit=ten")]
    [InlineData("/deadLetters?offset=-1")]
    [InlineData("?download=maybe")]
    public async Task A_bad_query_value_is_400_invalid_parameter(string suffix)
    {
        var (status, body, response) = await daemon.SendAsync(HttpMethod.Get, $"{Sources}/{daemon.GoodId}{suffix}");
        response.Dispose();

        Assert.Equal(HttpStatusCode.BadRequest, status);
        using var error = JsonDocument.Parse(body);
        Assert.Equal("invalid.parameter", error.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_call_history_lists_the_newest_KnowBe4_calls_first()
    {
        var calls = (await daemon.GetJsonAsync($"{Sources}/{daemon.GoodId}/calls")).GetProperty("data").EnumerateArray().ToList();
        Assert.True(calls.Count >= 2);
        Assert.All(calls, call =>
        {
            Assert.Equal("GET /events", call.GetProperty("endpoint").GetString());
            Assert.Equal(200, call.GetProperty("status").GetInt32());
            Assert.True(call.GetProperty("events").GetInt32() >= 0);
            Assert.True(call.GetProperty("durationMs").GetDouble() >= 0);
        });
        var times = calls.Select(At).ToList();
        Assert.Equal(times.OrderByDescending(time => time), times);

        var one = (await daemon.GetJsonAsync($"{Sources}/{daemon.GoodId}/calls?limit=1")).GetProperty("data");
        Assert.Equal(1, one.GetArrayLength());

        var bad = (await daemon.GetJsonAsync($"{Sources}/{daemon.BadId}/calls")).GetProperty("data").EnumerateArray().ToList();
        Assert.Contains(bad, call => call.GetProperty("status").GetInt32() == 401);
    }

    [Fact]
    public async Task Usage_shows_today_the_last_30_days_and_the_months_of_this_year()
    {
        var usage = await daemon.GetJsonAsync($"{Sources}/{daemon.GoodId}/usage");
        var today = usage.GetProperty("today");
        var day = DateOnly.ParseExact(today.GetProperty("day").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var used = today.GetProperty("used").GetInt32();
        Assert.True(used > 0);

        var days = usage.GetProperty("days").EnumerateArray().ToList();
        Assert.Equal(30, days.Count);
        Assert.Equal(day.AddDays(-29).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), days[0].GetProperty("day").GetString());
        Assert.Equal(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), days[^1].GetProperty("day").GetString());
        Assert.True(days[^1].GetProperty("calls").GetInt32() >= used);

        var months = usage.GetProperty("months").EnumerateArray().ToList();
        Assert.Equal(day.Month, months.Count);
        Assert.All(months, month => Assert.Equal(day.Year, month.GetProperty("year").GetInt32()));
        Assert.True(months[^1].GetProperty("calls").GetInt32() >= used);
    }

    [Fact]
    public async Task Dead_letters_are_listed_with_their_event_and_a_replay_delivers_and_removes_them()
    {
        var store = daemon.Runtime.Services.Sink.DeadLetters;
        var ids = new[] { "00000000-0000-4000-8000-00000000d001", "00000000-0000-4000-8000-00000000d002" };
        foreach (var id in ids)
        {
            store.Add(daemon.GoodId, Event(id, "refused once"), 400, "HTTP 400: refused on its own");
        }

        var page = await daemon.GetJsonAsync($"{Sources}/{daemon.GoodId}/deadLetters");
        Assert.Equal(2, page.GetProperty("total").GetInt32());
        var letters = page.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(ids, letters.Select(letter => letter.GetProperty("eventId").GetString()));
        Assert.All(letters, letter =>
        {
            Assert.Equal(400, letter.GetProperty("statusCode").GetInt32());
            Assert.Equal(1, letter.GetProperty("attempts").GetInt32());
            Assert.Equal(letter.GetProperty("eventId").GetString(), letter.GetProperty("event").GetProperty("id").GetString());
        });
        var first = await daemon.GetJsonAsync($"{Sources}/{daemon.GoodId}/deadLetters?limit=1&offset=1");
        Assert.Equal(ids[1], Assert.Single(first.GetProperty("data").EnumerateArray()).GetProperty("eventId").GetString());
        Assert.Equal(2, (await daemon.GetJsonAsync($"{Sources}/{daemon.GoodId}")).GetProperty("source").GetProperty("deadLetters").GetInt32());

        var (status, body, response) = await daemon.SendAsync(HttpMethod.Post, $"{Sources}/{daemon.GoodId}/deadLetters/action/replay");
        response.Dispose();

        Assert.Equal(HttpStatusCode.OK, status);
        using var replay = JsonDocument.Parse(body);
        Assert.Equal(2, replay.RootElement.GetProperty("accepted").GetInt32());
        Assert.Equal(0, replay.RootElement.GetProperty("stillRefused").GetInt32());
        Assert.Equal(0, replay.RootElement.GetProperty("remaining").GetInt32());
        Assert.Equal(0, store.Count(daemon.GoodId));
        var delivered = daemon.Sink.LogEntries.Select(entry => entry.RequestMessage.Body ?? "").ToList();
        Assert.All(ids, id => Assert.Contains(delivered, sent => sent.Contains(id, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_replay_the_log_endpoint_fails_is_502_and_keeps_the_dead_letter()
    {
        var store = daemon.Runtime.Services.Sink.DeadLetters;
        const string Id = "00000000-0000-4000-8000-00000000e001";
        store.Add(daemon.BadId, Event(Id, AdminDaemonFixture.PoisonMarker), 400, "HTTP 400: refused on its own");
        try
        {
            var (status, body, response) = await daemon.SendAsync(HttpMethod.Post, $"{Sources}/{daemon.BadId}/deadLetters/action/replay");
            response.Dispose();

            Assert.Equal(HttpStatusCode.BadGateway, status);
            using var error = JsonDocument.Parse(body);
            Assert.Equal(502, error.RootElement.GetProperty("status").GetInt32());
            Assert.Equal("sink.failed", error.RootElement.GetProperty("code").GetString());
            Assert.Equal(1, store.Count(daemon.BadId));
        }
        finally
        {
            store.Remove(daemon.BadId, Id);
        }
    }

    [Fact]
    public async Task No_response_and_no_log_line_contains_an_API_key_or_the_admin_token()
    {
        var routes = new List<(HttpMethod Method, string Path)>
        {
            (HttpMethod.Get, "/"),
            (HttpMethod.Get, "/metrics"),
            (HttpMethod.Get, "/api/v1/collectors/local"),
            (HttpMethod.Get, Sources),
            (HttpMethod.Get, "/api/v1/healthEvents"),
            (HttpMethod.Get, "/api/v1/no-such-route"),
        };
        foreach (var id in new[] { daemon.GoodId, daemon.BadId })
        {
            routes.Add((HttpMethod.Get, $"{Sources}/{id}"));
            routes.Add((HttpMethod.Get, $"{Sources}/{id}?download=true"));
            routes.Add((HttpMethod.Get, $"{Sources}/{id}/calls"));
            routes.Add((HttpMethod.Get, $"{Sources}/{id}/usage"));
            routes.Add((HttpMethod.Get, $"{Sources}/{id}/deadLetters"));
        }
        routes.Add((HttpMethod.Post, $"{Sources}/{daemon.BadId}/action/restart"));
        var restartedAt = DateTimeOffset.UtcNow;

        foreach (var (method, path) in routes)
        {
            var (_, body, response) = await daemon.SendAsync(method, path);
            response.Dispose();
            Assert.DoesNotContain(AdminDaemonFixture.GoodKey, body, StringComparison.Ordinal);
            Assert.DoesNotContain(AdminDaemonFixture.BadKey, body, StringComparison.Ordinal);
            Assert.DoesNotContain(daemon.Token, body, StringComparison.Ordinal);
        }

        // The restart is applied on the source's own loop a moment later: let it land before the next test looks.
        await AdminDaemonFixture.WaitUntilAsync(() => daemon.Runtime.Find(daemon.BadId) is { Status: { State: SourceState.Error } status }
            && status.RecentTransitions.Any(transition => transition.To == SourceState.Pending && transition.At >= restartedAt.AddSeconds(-1)));

        var log = daemon.LogText;
        Assert.Contains(AdminDaemonFixture.GoodName, log, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminDaemonFixture.GoodKey, log, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminDaemonFixture.BadKey, log, StringComparison.Ordinal);
        Assert.DoesNotContain(daemon.Token, log, StringComparison.Ordinal);
    }

    private static DateTimeOffset At(JsonElement element) =>
        DateTimeOffset.Parse((element.TryGetProperty("at", out var at) ? at : element.GetProperty("time")).GetString()!, CultureInfo.InvariantCulture);

    private static SinkEvent Event(string id, string description) =>
        new(id, Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","account_id":52306,"description":"{{description}}","occurred_date":"2025-03-10T12:00:00.000Z"}"""));
}
