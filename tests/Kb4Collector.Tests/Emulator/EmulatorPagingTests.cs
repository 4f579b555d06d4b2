using System.Net;
using System.Text.Json;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Emulator;

public sealed class EmulatorPagingTests
{
    private static async Task<KnowBe4Emulator> StartWithEventsAsync(int count)
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock);
        for (var i = 0; i < count; i++)
        {
            emulator.AddEvent($"user{i % 7}@acme.example.com", "Password Lockout", EmulatorTestHelpers.Start.AddMinutes(-i));
        }
        return emulator;
    }

    private static void AssertMeta(JsonElement meta, int count, int limit, int totalPages, int current, int? next, int? prev, bool first, bool last, bool outOfRange)
    {
        Assert.Equal(count, meta.GetProperty("count").GetInt32());
        Assert.Equal(limit, meta.GetProperty("limit_value").GetInt32());
        Assert.Equal(totalPages, meta.GetProperty("total_pages").GetInt32());
        Assert.Equal(current, meta.GetProperty("current_page").GetInt32());
        Assert.Equal(next, meta.GetProperty("next_page").ValueKind == JsonValueKind.Null ? null : meta.GetProperty("next_page").GetInt32());
        Assert.Equal(prev, meta.GetProperty("prev_page").ValueKind == JsonValueKind.Null ? null : meta.GetProperty("prev_page").GetInt32());
        Assert.Equal(first, meta.GetProperty("is_first_page").GetBoolean());
        Assert.Equal(last, meta.GetProperty("is_last_page").GetBoolean());
        Assert.Equal(outOfRange, meta.GetProperty("is_out_of_range").GetBoolean());
    }

    [Fact]
    public async Task EmptyAccountIsPageOneOfZeroOutOfRangeLikeKaminari()
    {
        await using var emulator = await StartWithEventsAsync(0);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (status, body) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(body.Data().EnumerateArray());
        AssertMeta(body.Meta(), count: 0, limit: 50, totalPages: 0, current: 1, next: null, prev: null, first: true, last: false, outOfRange: true);
    }

    [Fact]
    public async Task ExactlyOneHundredEventsFitOnePageOfOneHundred()
    {
        await using var emulator = await StartWithEventsAsync(100);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (_, body) = await client.GetJsonAsync("events?per_page=100");

        Assert.Equal(100, body.Ids().Distinct().Count());
        AssertMeta(body.Meta(), count: 100, limit: 100, totalPages: 1, current: 1, next: null, prev: null, first: true, last: true, outOfRange: false);
    }

    [Fact]
    public async Task OneHundredAndOneEventsMakeTwoPagesThenOutOfRange()
    {
        await using var emulator = await StartWithEventsAsync(101);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (_, page1) = await client.GetJsonAsync("events?per_page=100&page=1");
        var (_, page2) = await client.GetJsonAsync("events?per_page=100&page=2");
        var (status3, page3) = await client.GetJsonAsync("events?per_page=100&page=3");

        AssertMeta(page1.Meta(), count: 100, limit: 100, totalPages: 2, current: 1, next: 2, prev: null, first: true, last: false, outOfRange: false);
        AssertMeta(page2.Meta(), count: 1, limit: 100, totalPages: 2, current: 2, next: null, prev: 1, first: false, last: true, outOfRange: false);
        Assert.Equal(HttpStatusCode.OK, status3);
        Assert.Empty(page3.Data().EnumerateArray());
        AssertMeta(page3.Meta(), count: 0, limit: 100, totalPages: 2, current: 3, next: null, prev: null, first: false, last: false, outOfRange: true);
        var walked = page1.Ids().Concat(page2.Ids()).ToList();
        Assert.Equal(101, walked.Distinct().Count());
        Assert.Equal(emulator.GroundTruth.AllEvents().Select(e => e.Id).Order(), walked.Order());
    }

    [Theory]
    [InlineData("events", 50, 1)]
    [InlineData("events?per_page=1000", 100, 1)]
    [InlineData("events?per_page=0", 50, 1)]
    [InlineData("events?per_page=abc&page=abc", 50, 1)]
    [InlineData("events?page=0&per_page=7", 7, 1)]
    [InlineData("events?page=-4&per_page=7", 7, 1)]
    [InlineData("events?page=3&per_page=7", 7, 3)]
    public async Task PerPageDefaultsTo50AndIsCappedAt100(string path, int limit, int page)
    {
        await using var emulator = await StartWithEventsAsync(120);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (_, body) = await client.GetJsonAsync(path);

        Assert.Equal(limit, body.Meta().GetProperty("limit_value").GetInt32());
        Assert.Equal(limit, body.Data().GetArrayLength());
        Assert.Equal(page, body.Meta().GetProperty("current_page").GetInt32());
        Assert.Equal((120 + limit - 1) / limit, body.Meta().GetProperty("total_pages").GetInt32());
    }

    [Fact]
    public async Task WalkingEveryPageReturnsEachEventOnceInDefaultOrder()
    {
        await using var emulator = await StartWithEventsAsync(0);
        for (var i = 0; i < 230; i++)
        {
            // Many share a millisecond so the id tie-break matters.
            emulator.AddEvent("someone@acme.example.com", "Unlocked Computer", EmulatorTestHelpers.Start.AddSeconds(-(i / 4)));
        }
        using var client = EmulatorTestHelpers.Client(emulator);

        var walked = new List<string>();
        int? next = 1;
        for (var guard = 0; next is { } page && guard < 10; guard++)
        {
            var (_, body) = await client.GetJsonAsync($"events?per_page=100&page={page}");
            walked.AddRange(body.Ids());
            next = body.Meta().GetProperty("next_page").ValueKind == JsonValueKind.Null ? null : body.Meta().GetProperty("next_page").GetInt32();
        }

        var expected = emulator.GroundTruth.AllEvents()
            .OrderByDescending(e => e.OccurredDate).ThenByDescending(e => e.Id, StringComparer.Ordinal)
            .Select(e => e.Id);
        Assert.Equal(expected, walked);
    }
}
