using System.Net;
using System.Net.Http.Headers;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Emulator;

public sealed class EmulatorLimitsTests
{
    private static EmulatorScenario WithLimits(int perSecond, int perSeat, int seats = 50) => EmulatorTestHelpers.Quiet() with
    {
        Accounts = [new EmulatorAccountSpec { Name = "Acme", AccountId = 52306, Seats = seats, ApiKeys = ["test-key-1", "test-key-2"] }],
        Limits = new EmulatorLimits { RequestsPerSecond = perSecond, CallsPerSeatPerDay = perSeat },
    };

    [Fact]
    public async Task FifthRequestInOneSecondIs429TooManyRequestsAndTheNextSecondIsFine()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithLimits(perSecond: 4, perSeat: 0), clock);
        using var client = EmulatorTestHelpers.Client(emulator, "test-key-1");
        using var otherKey = EmulatorTestHelpers.Client(emulator, "test-key-2");

        for (var i = 0; i < 4; i++)
        {
            var (ok, _) = await client.GetJsonAsync("events");
            Assert.Equal(HttpStatusCode.OK, ok);
        }
        using var fifth = await client.GetAsync("events", TestContext.Current.CancellationToken);
        using var fifthBody = await EmulatorTestHelpers.ReadJsonAsync(fifth);
        var (sameAccountOtherKey, _) = await otherKey.GetJsonAsync("event_types");
        clock.Advance(TimeSpan.FromSeconds(1));
        var (nextSecond, _) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.TooManyRequests, fifth.StatusCode);
        Assert.Equal("Too Many Requests", fifthBody.Message());
        Assert.Null(fifth.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.TooManyRequests, sameAccountOtherKey);
        Assert.Equal(HttpStatusCode.OK, nextSecond);
        Assert.Equal(new TooManyRequestsCounts(Rate: 2, Quota: 0, Fault: 0), emulator.GroundTruth.TooManyRequestsServed);
        var calls = emulator.GroundTruth.CallsByKey["Acme key 1"];
        Assert.Equal(6, calls.Requests);
        Assert.Equal(5, calls.Calls);
        Assert.Equal(1, calls.RateLimited);
    }

    [Fact]
    public async Task QuotaOfTenCallsPerSeatGivesLimitExceededUntilTheNextUtcDay()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 10, 23, 59, 0, TimeSpan.Zero));
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithLimits(perSecond: 0, perSeat: 10, seats: 2), clock);
        using var client = EmulatorTestHelpers.Client(emulator, "test-key-1");
        using var otherKey = EmulatorTestHelpers.Client(emulator, "test-key-2");

        for (var i = 0; i < 20; i++)
        {
            var (ok, _) = await (i % 2 == 0 ? client : otherKey).GetJsonAsync(i % 3 == 0 ? "event_types" : "events");
            Assert.Equal(HttpStatusCode.OK, ok);
        }
        var (spent, spentBody) = await client.GetJsonAsync("events");
        var (spentOtherKey, _) = await otherKey.GetJsonAsync("statuses");
        clock.Advance(TimeSpan.FromSeconds(59));
        var (stillSpent, _) = await client.GetJsonAsync("events");
        clock.Advance(TimeSpan.FromSeconds(1));
        var (nextDay, _) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.TooManyRequests, spent);
        Assert.Equal("Limit Exceeded", spentBody.Message());
        Assert.Equal(HttpStatusCode.TooManyRequests, spentOtherKey);
        Assert.Equal(HttpStatusCode.TooManyRequests, stillSpent);
        Assert.Equal(HttpStatusCode.OK, nextDay);
        Assert.Equal(new TooManyRequestsCounts(Rate: 0, Quota: 3, Fault: 0), emulator.GroundTruth.TooManyRequestsServed);
        Assert.Equal(11, emulator.GroundTruth.CallsByKey["Acme key 1"].Calls);
        Assert.Equal(2, emulator.GroundTruth.CallsByKey["Acme key 1"].QuotaExceeded);
    }

    [Fact]
    public async Task RequestsRefusedByTheRateLimitDoNotSpendTheQuota()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithLimits(perSecond: 4, perSeat: 3, seats: 2), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            statuses.Add((await client.GetJsonAsync("events")).Status);
        }
        clock.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await client.GetJsonAsync("events")).Status);
        }

        Assert.Equal(4, statuses.Take(8).Count(s => s == HttpStatusCode.OK));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses.Skip(8));
        Assert.Equal(new TooManyRequestsCounts(Rate: 4, Quota: 1, Fault: 0), emulator.GroundTruth.TooManyRequestsServed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-key")]
    [InlineData("Basic dGVzdC1rZXktMQ==")]
    [InlineData("Bearer ")]
    public async Task MissingOrUnknownKeyIs401Unauthorized(string? authorization)
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithLimits(perSecond: 4, perSeat: 10), clock);
        using var client = new HttpClient { BaseAddress = emulator.BaseUrl };
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        var (status, body) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Unauthorized", body.Message());
        Assert.Equal(1, emulator.GroundTruth.UnauthorizedServed);
        Assert.All(emulator.GroundTruth.CallsByKey.Values, calls => Assert.Equal(0, calls.Requests));
    }

    [Fact]
    public async Task UnknownKeyCanAnswer500LikeAWrongRegion()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet() with { UnknownKeyStatus = 500 }, clock);
        using var client = EmulatorTestHelpers.Client(emulator, "key-from-another-region");

        var (status, body) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("Internal Server Error", body.Message());
    }

    [Fact]
    public async Task KeysAreCheckedOnEveryEndpointAndHeadersAreCaseInsensitive()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock);
        using var anonymous = new HttpClient { BaseAddress = emulator.BaseUrl };
        using var lowercase = new HttpClient { BaseAddress = emulator.BaseUrl };
        lowercase.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", emulator.ApiKey);
        lowercase.DefaultRequestHeaders.Add("X-KB4-Integration", "Kb4Collector tests");

        foreach (var path in new[] { "events", "events/x", "event_types", "event_types/1", "statuses", "statuses/x" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetJsonAsync(path)).Status);
        }
        using var post = await anonymous.PostAsync("events", new StringContent("{}"), TestContext.Current.CancellationToken);
        using var delete = await anonymous.DeleteAsync("events/x", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await lowercase.GetJsonAsync("events")).Status);
    }
}
