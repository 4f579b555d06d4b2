using System.Net;
using System.Text;
using System.Text.Json;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Emulator;

public sealed class EmulatorFaultTests
{
    private static EmulatorScenario WithFaults(params EmulatorFault[] faults) => EmulatorTestHelpers.Quiet(backlog: 5) with { Faults = faults };

    [Fact]
    public async Task ServerErrorBurstHitsOnlyInsideItsWindow()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithFaults(new EmulatorFault
        {
            Kind = EmulatorFaultKind.ServerError,
            From = TimeSpan.FromMinutes(1),
            To = TimeSpan.FromMinutes(2),
            Status = 503,
        }), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (before, _) = await client.GetJsonAsync("events");
        clock.Advance(TimeSpan.FromMinutes(1));
        var (during, body) = await client.GetJsonAsync("events");
        var (duringOther, _) = await client.GetJsonAsync("statuses");
        clock.Advance(TimeSpan.FromMinutes(1));
        var (after, _) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.OK, before);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during);
        Assert.Equal("Service Unavailable", body.Message());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, duringOther);
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.Equal(2, emulator.GroundTruth.FaultsServed[EmulatorFaultKind.ServerError]);
        Assert.Equal(2, emulator.GroundTruth.CallsByKey["Acme key 1"].FaultResponses);
    }

    [Fact]
    public async Task RateLimitedFaultsAnswer429WithAndWithoutRetryAfter()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithFaults(
            new EmulatorFault { Kind = EmulatorFaultKind.RateLimited, To = TimeSpan.FromMinutes(1) },
            new EmulatorFault { Kind = EmulatorFaultKind.RateLimitedWithRetryAfter, From = TimeSpan.FromMinutes(1), RetryAfterSeconds = 7 }), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        using var plain = await client.GetAsync("events", TestContext.Current.CancellationToken);
        using var plainBody = await EmulatorTestHelpers.ReadJsonAsync(plain);
        clock.Advance(TimeSpan.FromMinutes(1));
        using var withRetryAfter = await client.GetAsync("events", TestContext.Current.CancellationToken);
        using var withRetryAfterBody = await EmulatorTestHelpers.ReadJsonAsync(withRetryAfter);

        Assert.Equal(HttpStatusCode.TooManyRequests, plain.StatusCode);
        Assert.Null(plain.Headers.RetryAfter);
        Assert.Equal("Too Many Requests", plainBody.Message());
        Assert.Equal(HttpStatusCode.TooManyRequests, withRetryAfter.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), withRetryAfter.Headers.RetryAfter?.Delta);
        Assert.Equal("Too Many Requests", withRetryAfterBody.Message());
        Assert.Equal(new TooManyRequestsCounts(Rate: 0, Quota: 0, Fault: 2), emulator.GroundTruth.TooManyRequestsServed);
    }

    [Fact]
    public async Task SlowFaultDelaysTheResponseOnTheEmulatorClock()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithFaults(
            new EmulatorFault { Kind = EmulatorFaultKind.Slow, Delay = TimeSpan.FromSeconds(5), Paths = ["/events"] }), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (fast, _) = await client.GetJsonAsync("event_types");
        var slow = client.GetAsync("events", TestContext.Current.CancellationToken);
        var advanced = TimeSpan.Zero;
        for (var step = 0; step < 400 && !slow.IsCompleted; step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(250));
            advanced += TimeSpan.FromMilliseconds(250);
            await Task.WhenAny(slow, Task.Delay(5, TestContext.Current.CancellationToken));
        }
        using var response = await slow;

        Assert.Equal(HttpStatusCode.OK, fast);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange(advanced, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        Assert.Equal(1, emulator.GroundTruth.FaultsServed[EmulatorFaultKind.Slow]);
    }

    [Fact]
    public async Task TruncatedFaultDropsTheConnectionMidBody()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithFaults(
            new EmulatorFault { Kind = EmulatorFaultKind.Truncated, EveryNth = 2 }), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var (first, complete) = await client.GetJsonAsync("events");
        var fullLength = Encoding.UTF8.GetByteCount(complete.RootElement.GetRawText());
        var exception = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("events", TestContext.Current.CancellationToken));
        var (third, _) = await client.GetJsonAsync("events");
        using var headersOnly = await client.GetAsync("events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        var readBody = headersOnly.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Contains("ended prematurely", exception.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, third);
        Assert.Equal(HttpStatusCode.OK, headersOnly.StatusCode);
        Assert.Equal(fullLength, headersOnly.Content.Headers.ContentLength);
        var bodyError = await Assert.ThrowsAsync<HttpRequestException>(() => readBody);
        Assert.IsAssignableFrom<IOException>(bodyError.InnerException);
        Assert.Equal(2, emulator.GroundTruth.FaultsServed[EmulatorFaultKind.Truncated]);
    }

    [Fact]
    public async Task MalformedFaultSends200WithInvalidJson()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithFaults(
            new EmulatorFault { Kind = EmulatorFaultKind.Malformed }), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        using var response = await client.GetAsync("events", TestContext.Current.CancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        Assert.StartsWith("{\"data\":[", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(bytes));
    }

    [Fact]
    public async Task KeyRevokedForAWhileAnswers401ForThatKeyOnly()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithFaults(new EmulatorFault
        {
            Kind = EmulatorFaultKind.KeyRevoked,
            From = TimeSpan.FromMinutes(5),
            To = EmulatorTestHelpers.Start.AddMinutes(15),
            ApiKey = "test-key-2",
        }), clock);
        using var key1 = EmulatorTestHelpers.Client(emulator, "test-key-1");
        using var key2 = EmulatorTestHelpers.Client(emulator, "test-key-2");

        var (beforeWindow, _) = await key2.GetJsonAsync("events");
        clock.Advance(TimeSpan.FromMinutes(5));
        var (revoked, body) = await key2.GetJsonAsync("events");
        var (otherKey, _) = await key1.GetJsonAsync("events");
        clock.Advance(TimeSpan.FromMinutes(10));
        var (restored, _) = await key2.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.OK, beforeWindow);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked);
        Assert.Equal("Unauthorized", body.Message());
        Assert.Equal(HttpStatusCode.OK, otherKey);
        Assert.Equal(HttpStatusCode.OK, restored);
        var calls = emulator.GroundTruth.CallsByKey["Acme key 2"];
        Assert.Equal(3, calls.Requests);
        Assert.Equal(2, calls.Calls);
        Assert.Equal(1, calls.Revoked);
    }

    [Fact]
    public async Task EveryNthHitsEveryNthMatchingRequest()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithFaults(
            new EmulatorFault { Kind = EmulatorFaultKind.ServerError, EveryNth = 3, Paths = ["/events"] }), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var statuses = new List<int>();
        for (var i = 0; i < 7; i++)
        {
            statuses.Add((int)(await client.GetJsonAsync("events")).Status);
            Assert.Equal(HttpStatusCode.OK, (await client.GetJsonAsync("event_types")).Status);
        }

        Assert.Equal([200, 200, 500, 200, 200, 500, 200], statuses);
    }

    [Fact]
    public async Task ProbabilityIsSeededSoTwoRunsHitTheSameRequests()
    {
        async Task<List<int>> RunAsync()
        {
            var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
            await using var emulator = await EmulatorTestHelpers.StartAsync(WithFaults(
                new EmulatorFault { Kind = EmulatorFaultKind.ServerError, Probability = 0.5, Status = 502 }), clock);
            using var client = EmulatorTestHelpers.Client(emulator);
            var statuses = new List<int>();
            for (var i = 0; i < 24; i++)
            {
                statuses.Add((int)(await client.GetJsonAsync("events")).Status);
            }
            return statuses;
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains(200, first);
        Assert.Contains(502, first);
    }

    [Fact]
    public async Task FaultsSwitchOnAndOffLiveOverHttp()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(backlog: 1), clock);
        using var client = EmulatorTestHelpers.Client(emulator);
        using var control = new HttpClient { BaseAddress = emulator.BaseUrl };

        var (added, addedBody) = await control.PostJsonAsync("__emulator/faults", """{"kind":"ServerError","status":502,"paths":["/events"]}""");
        var faultId = addedBody.RootElement.GetProperty("id").GetString();
        var (broken, _) = await client.GetJsonAsync("events");
        var (listed, list) = await control.GetJsonAsync("__emulator/faults");
        using var removed = await control.DeleteAsync($"__emulator/faults/{faultId}", TestContext.Current.CancellationToken);
        var (healed, _) = await client.GetJsonAsync("events");
        var (rejected, error) = await control.PostJsonAsync("__emulator/faults", """{"kind":"Meteor"}""");
        var (_, second) = await control.PostJsonAsync("__emulator/faults", """{"kind":"RateLimited"}""");
        using var cleared = await control.DeleteAsync("__emulator/faults", TestContext.Current.CancellationToken);
        var (afterClear, _) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.Created, added);
        Assert.Equal(HttpStatusCode.BadGateway, broken);
        Assert.Equal(HttpStatusCode.OK, listed);
        var entry = Assert.Single(list.RootElement.GetProperty("faults").EnumerateArray());
        Assert.Equal(faultId, entry.GetProperty("id").GetString());
        Assert.Equal("ServerError", entry.GetProperty("fault").GetProperty("kind").GetString());
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, healed);
        Assert.Equal(HttpStatusCode.BadRequest, rejected);
        Assert.Contains("kind", error.Message(), StringComparison.Ordinal);
        Assert.True(second.RootElement.TryGetProperty("id", out _));
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterClear);
    }

    [Fact]
    public async Task FaultsSwitchOnAndOffLiveInCode()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(WithFaults(
            new EmulatorFault { Kind = EmulatorFaultKind.ServerError, From = TimeSpan.FromHours(1) }), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var id = emulator.AddFault(new EmulatorFault { Kind = EmulatorFaultKind.ServerError, Status = 504 });
        var (timedOut, body) = await client.GetJsonAsync("events");
        Assert.True(emulator.RemoveFault(id));
        var (ok, _) = await client.GetJsonAsync("events");
        emulator.ClearFaults();
        clock.Advance(TimeSpan.FromHours(2));
        var (scenarioFaultCleared, _) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.GatewayTimeout, timedOut);
        Assert.Equal("Endpoint request timed out", body.Message());
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(HttpStatusCode.OK, scenarioFaultCleared);
        Assert.Empty(emulator.Faults);
        Assert.Throws<EmulatorScenarioException>(() => emulator.AddFault(new EmulatorFault { Kind = EmulatorFaultKind.ServerError, Probability = 2 }));
    }
}
