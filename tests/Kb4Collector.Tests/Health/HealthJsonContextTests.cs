using System.Text.Json;
using Kb4Collector.Health;

namespace Kb4Collector.Tests.Health;

public sealed class HealthJsonContextTests
{
    private static readonly HealthEvent Sample = new()
    {
        Status = HealthStatus.Unhealthy,
        Details = new HealthEventDetails(HealthEventNames.ThirdPartyConfigError, "Third-party configuration error", "KnowBe4 GET /events (HTTP 401) refused the API key"),
        SeverityLevel = HealthSeverity.Error,
        EventId = Guid.Parse("39205436-7e16-4e2f-9f95-ef750e055d79"),
        EventName = HealthEventNames.ThirdPartyConfigError,
        EventTime = new DateTimeOffset(2020, 1, 20, 16, 10, 27, 85, TimeSpan.Zero).AddTicks(4321),
        ResourceIdentity = new HealthResourceIdentity("local", "collector-1", "src-1", "KnowBe4 events"),
        LastSeenAt = new DateTimeOffset(2020, 1, 20, 18, 10, 27, 85, TimeSpan.FromHours(2)),
    };

    [Fact]
    public void SerialisesSumosShape()
    {
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(Sample, HealthJsonContext.Default.HealthEvent));
        var root = json.RootElement;

        Assert.Equal(
            ["status", "details", "eventType", "severityLevel", "eventId", "eventName", "eventTime", "eventFormatVersion", "subsystem", "resourceIdentity", "count", "lastSeenAt", "resolved"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("UnHealthy", root.GetProperty("status").GetString());
        Assert.Equal("Health-Change", root.GetProperty("eventType").GetString());
        Assert.Equal("Error", root.GetProperty("severityLevel").GetString());
        Assert.Equal("39205436-7e16-4e2f-9f95-ef750e055d79", root.GetProperty("eventId").GetString());
        Assert.Equal("ThirdPartyConfigError", root.GetProperty("eventName").GetString());
        Assert.Equal("2020-01-20T16:10:27.085Z", root.GetProperty("eventTime").GetString());
        Assert.Equal("2020-01-20T16:10:27.085Z", root.GetProperty("lastSeenAt").GetString());
        Assert.Equal("1.0", root.GetProperty("eventFormatVersion").GetString());
        Assert.Equal("Collection", root.GetProperty("subsystem").GetString());
        Assert.Equal("ThirdPartyConfigError", root.GetProperty("details").GetProperty("trackerId").GetString());
        Assert.Equal("KnowBe4 GET /events (HTTP 401) refused the API key", root.GetProperty("details").GetProperty("description").GetString());
        var identity = root.GetProperty("resourceIdentity");
        Assert.Equal(["collectorId", "collectorName", "id", "name", "type"], identity.EnumerateObject().Select(p => p.Name));
        Assert.Equal("SourceResource", identity.GetProperty("type").GetString());
        Assert.False(root.GetProperty("resolved").GetBoolean());
    }

    [Fact]
    public void AResolvedEventCarriesItsResolutionTime()
    {
        var resolved = Sample with { Status = HealthStatus.Healthy, ResolvedAt = new DateTimeOffset(2020, 1, 21, 0, 0, 0, TimeSpan.Zero) };

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(resolved, HealthJsonContext.Default.HealthEvent));

        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("2020-01-21T00:00:00.000Z", json.RootElement.GetProperty("resolvedAt").GetString());
        Assert.True(json.RootElement.GetProperty("resolved").GetBoolean());
    }

    [Fact]
    public void ReadsBackWhatItWrites()
    {
        var json = JsonSerializer.Serialize<IReadOnlyList<HealthEvent>>([Sample], HealthJsonContext.Default.IReadOnlyListHealthEvent);

        var read = Assert.Single(JsonSerializer.Deserialize(json, HealthJsonContext.Default.IReadOnlyListHealthEvent)!);

        Assert.Equal(Sample.EventId, read.EventId);
        Assert.Equal(Sample.Details, read.Details);
        Assert.Equal(Sample.ResourceIdentity, read.ResourceIdentity);
        Assert.Equal(Sample.Status, read.Status);
        Assert.Equal(new DateTimeOffset(2020, 1, 20, 16, 10, 27, 85, TimeSpan.Zero), read.EventTime);
    }
}
