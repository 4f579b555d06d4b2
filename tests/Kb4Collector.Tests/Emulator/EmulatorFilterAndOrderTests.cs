using System.Net;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Emulator;

public sealed class EmulatorFilterAndOrderTests
{
    private static readonly DateTimeOffset Day = new(2025, 3, 10, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Five events around the 2025-03-10 UTC day, each with distinct filterable fields.</summary>
    private static async Task<(KnowBe4Emulator Emulator, Dictionary<string, string> Ids)> StartAsync()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock);
        var ids = new Dictionary<string, string>
        {
            ["before"] = emulator.AddEvent(new EmulatorEventDraft("ann@acme.example.com", "Password Lockout", Day.AddMilliseconds(-1))
            { RiskLevel = 2, RiskDecayMode = 0, Source = "Okta", ExternalId = "AUTH-1", RiskExpireDate = new DateOnly(2025, 4, 9) }),
            ["midnight"] = emulator.AddEvent(new EmulatorEventDraft("bob@acme.example.com", "Certification", Day)
            { RiskLevel = -3, RiskDecayMode = 1, Source = "Credly", ExternalId = "CERT-1", RiskExpireDate = new DateOnly(2025, 4, 10) }),
            ["noon"] = emulator.AddEvent(new EmulatorEventDraft("ann@acme.example.com", "Blocked Website Visit", Day.AddHours(12))
            { RiskLevel = 4, RiskDecayMode = 0, Source = "Zscaler", ExternalId = "WEB-1", RiskExpireDate = new DateOnly(2025, 4, 10) }),
            ["last"] = emulator.AddEvent(new EmulatorEventDraft("carl@acme.example.com", "Password Lockout", Day.AddDays(1).AddMilliseconds(-1))
            { RiskLevel = 2, RiskDecayMode = 1, Source = "Okta", ExternalId = "AUTH-2" }),
            ["after"] = emulator.AddEvent(new EmulatorEventDraft("bob@acme.example.com", "Unlocked Computer", Day.AddDays(1))
            { RiskLevel = 3, RiskDecayMode = 0, Source = "Clean Desk Audit", ExternalId = "WALK-1" }),
        };
        return (emulator, ids);
    }

    [Theory]
    [InlineData("events?occurred_date=2025-03-10", "last,noon,midnight")]
    [InlineData("events?occurred_date=2025-03-10&order_direction=asc", "midnight,noon,last")]
    [InlineData("events?occurred_date=2025-03-10&per_page=1&page=2", "noon")]
    [InlineData("events?occurred_date=2025-03-09", "before")]
    [InlineData("events?occurred_date=2025-03-12", "")]
    [InlineData("events?event_type=password%20lockout", "last,before")]
    [InlineData("events?target_user=ANN@acme.example.com", "noon,before")]
    [InlineData("events?external_id=WEB-1", "noon")]
    [InlineData("events?source=Okta", "last,before")]
    [InlineData("events?risk_level=-3", "midnight")]
    [InlineData("events?risk_level=2", "last,before")]
    [InlineData("events?risk_decay_mode=1", "last,midnight")]
    [InlineData("events?risk_expire_date=2025-04-10", "noon,midnight")]
    [InlineData("events?occurred_date=2025-03-10&source=Okta", "last")]
    [InlineData("events?order_direction=asc", "before,midnight,noon,last,after")]
    [InlineData("events?order_by=occurred_date&order_direction=desc", "after,last,noon,midnight,before")]
    [InlineData("events?limit=1&unknown=yes", "after,last,noon,midnight,before")]
    [InlineData("events?source=", "after,last,noon,midnight,before")]
    public async Task FiltersAreEqualityAndDatesAreUtcDays(string path, string expected)
    {
        var (emulator, ids) = await StartAsync();
        await using var _ = emulator;
        using var client = EmulatorTestHelpers.Client(emulator);

        var (status, body) = await client.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.OK, status);
        var names = expected.Length == 0 ? [] : expected.Split(',');
        Assert.Equal(names.Select(name => ids[name]), body.Ids());
    }

    [Fact]
    public async Task OrderByIdAndByEventTypeSortAcrossTheWholeAccount()
    {
        var (emulator, _) = await StartAsync();
        await using var _1 = emulator;
        using var client = EmulatorTestHelpers.Client(emulator);

        var (_, byIdAsc) = await client.GetJsonAsync("events?order_by=id&order_direction=asc");
        var (_, byIdDesc) = await client.GetJsonAsync("events?order_by=id");
        var (_, byType) = await client.GetJsonAsync("events?order_by=event_type&order_direction=asc&per_page=100");

        Assert.Equal(byIdAsc.Ids().Order(StringComparer.Ordinal), byIdAsc.Ids());
        Assert.Equal(byIdAsc.Ids().Reverse(), byIdDesc.Ids());
        var typeNames = byType.Data().EnumerateArray().Select(e => e.GetProperty("event_type").GetProperty("name").GetString()!).ToList();
        Assert.Equal(["Blocked Website Visit", "Certification", "Password Lockout", "Password Lockout", "Unlocked Computer"], typeNames);
    }

    [Theory]
    [InlineData("events?occurred_date=2025-13-01", "occurred_date must be a date (YYYY-MM-DD)")]
    [InlineData("events?occurred_date=2025-03-10T00:00:00Z", "occurred_date must be a date (YYYY-MM-DD)")]
    [InlineData("events?risk_expire_date=tomorrow", "risk_expire_date must be a date (YYYY-MM-DD)")]
    [InlineData("events?risk_level=11", "risk_level must be an integer from -10 to 10")]
    [InlineData("events?risk_decay_mode=2", "risk_decay_mode must be an integer from 0 to 1")]
    [InlineData("events?order_by=created_at", "order_by must be one of id, event_type, occurred_date")]
    [InlineData("events?order_direction=up", "order_direction must be asc or desc")]
    public async Task InvalidFilterValuesAre400(string path, string message)
    {
        var (emulator, _) = await StartAsync();
        await using var _1 = emulator;
        using var client = EmulatorTestHelpers.Client(emulator);

        var (status, body) = await client.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(message, body.Message());
    }
}
