using System.Net;
using System.Text.Json;
using Kb4Collector.Health;

namespace Kb4Collector.Tests.Admin;

[Collection(AdminDaemonGroup.Name)]
public sealed class HealthEndpointsTests(AdminDaemonFixture daemon)
{
    private const string Path = "/api/v1/healthEvents";
    private const string RetiredSource = "retired-source-0000000000";

    [Fact]
    public async Task The_list_is_Sumo_data_with_a_null_token_unresolved_first()
    {
        await daemon.WaitForSteadyStateAsync();
        AddResolvedEvent();

        var root = await daemon.GetJsonAsync(Path);

        Assert.Equal(["data", "token"], root.EnumerateObject().Select(property => property.Name));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("token").ValueKind);
        var events = root.GetProperty("data").EnumerateArray().ToList();
        var resolved = events.Select(healthEvent => healthEvent.GetProperty("resolved").GetBoolean()).ToList();
        Assert.Contains(true, resolved);
        Assert.Contains(false, resolved);
        Assert.Equal(resolved.OrderBy(flag => flag), resolved);

        var open = events.First(healthEvent => healthEvent.GetProperty("resourceIdentity").GetProperty("id").GetString() == daemon.BadId);
        Assert.Equal("UnHealthy", open.GetProperty("status").GetString());
        Assert.Equal("Health-Change", open.GetProperty("eventType").GetString());
        Assert.Equal("Error", open.GetProperty("severityLevel").GetString());
        Assert.Equal("ThirdPartyConfigError", open.GetProperty("eventName").GetString());
        Assert.Equal("ThirdPartyConfigError", open.GetProperty("details").GetProperty("trackerId").GetString());
        Assert.Equal("Collection", open.GetProperty("subsystem").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", open.GetProperty("eventTime").GetString());
        var resource = open.GetProperty("resourceIdentity");
        Assert.Equal("local", resource.GetProperty("collectorId").GetString());
        Assert.Equal("admin-test-collector", resource.GetProperty("collectorName").GetString());
        Assert.Equal(AdminDaemonFixture.BadName, resource.GetProperty("name").GetString());
        Assert.Equal("SourceResource", resource.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Unresolved_true_leaves_out_the_resolved_events()
    {
        AddResolvedEvent();

        var events = (await daemon.GetJsonAsync(Path + "?unresolved=true")).GetProperty("data").EnumerateArray().ToList();

        Assert.NotEmpty(events);
        Assert.All(events, healthEvent => Assert.False(healthEvent.GetProperty("resolved").GetBoolean()));
        Assert.DoesNotContain(events, healthEvent => healthEvent.GetProperty("resourceIdentity").GetProperty("id").GetString() == RetiredSource);
    }

    [Fact]
    public async Task SourceId_and_limit_narrow_the_list()
    {
        AddResolvedEvent();

        var retired = (await daemon.GetJsonAsync($"{Path}?sourceId={RetiredSource}")).GetProperty("data").EnumerateArray().ToList();
        Assert.NotEmpty(retired);
        Assert.All(retired, healthEvent => Assert.Equal(RetiredSource, healthEvent.GetProperty("resourceIdentity").GetProperty("id").GetString()));

        var healthy = (await daemon.GetJsonAsync($"{Path}?sourceId={daemon.GoodId}&unresolved=true")).GetProperty("data");
        Assert.Equal(0, healthy.GetArrayLength());

        var one = (await daemon.GetJsonAsync($"{Path}?limit=1")).GetProperty("data");
        Assert.Equal(1, one.GetArrayLength());
        Assert.False(one[0].GetProperty("resolved").GetBoolean());
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=-3")]
    [InlineData("?unresolved=yes")]
    public async Task A_bad_query_value_is_400(string query)
    {
        var (status, body, response) = await daemon.SendAsync(HttpMethod.Get, Path + query);
        response.Dispose();

        Assert.Equal(HttpStatusCode.BadRequest, status);
        using var error = JsonDocument.Parse(body);
        Assert.Equal(400, error.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("invalid.parameter", error.RootElement.GetProperty("code").GetString());
    }

    // A source that failed, recovered and was removed since: its events stay, resolved.
    private void AddResolvedEvent()
    {
        var resource = new HealthResourceIdentity("local", "admin-test-collector", RetiredSource, "Retired");
        var at = TimeProvider.System.GetUtcNow();
        var store = daemon.Runtime.Health;
        store.ReportUnhealthy(resource, new HealthProblem(HealthEventNames.ThirdPartyGenericError, HealthSeverity.Error, "Third-party API error", "HTTP 503"), at);
        store.Recover(resource, "collecting again", at);
    }
}
