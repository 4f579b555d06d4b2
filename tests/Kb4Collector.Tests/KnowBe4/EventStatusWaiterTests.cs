using Kb4Collector.KnowBe4;
using Kb4Collector.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.Server;
using static Kb4Collector.Tests.Support.KnowBe4WireMock;

namespace Kb4Collector.Tests.KnowBe4;

public sealed class EventStatusWaiterTests : IDisposable
{
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _httpClient = new();
    // Only the waiter runs on the fake clock; the client's own deadlines stay on real time.
    private readonly TimerSignallingTimeProvider _time = new(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        _httpClient.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private int StatusCalls => _server.LogEntries.Count(entry => entry.RequestMessage.Path == "/statuses/r-1");

    [Fact]
    public async Task PollsUntilTheStatusListsTheCreatedEvents()
    {
        _server.Given(Request.Create().WithPath("/statuses/r-1").UsingGet()).InScenario("s").WillSetStateTo("queued")
            .RespondWith(Json(404, """{"message":"Not Found"}"""));
        _server.Given(Request.Create().WithPath("/statuses/r-1").UsingGet()).InScenario("s").WhenStateIs("queued").WillSetStateTo("done")
            .RespondWith(Json(200, KnowBe4TestData.Status("r-1", null, [])));
        _server.Given(Request.Create().WithPath("/statuses/r-1").UsingGet()).InScenario("s").WhenStateIs("done")
            .RespondWith(Json(200, KnowBe4TestData.Status("r-1", "2024-05-01T12:00:02.000Z", ["e-1", "e-2"])));
        var waiter = new EventStatusWaiter(Client(_server, _httpClient), _time);
        var started = _time.GetUtcNow();

        var result = await _time.DriveAsync(waiter.WaitAsync("r-1", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));

        Assert.NotNull(result);
        Assert.Equal(["e-1", "e-2"], result.Status.EventIds);
        Assert.Contains("\"e-2\"", System.Text.Encoding.UTF8.GetString(result.Json.Span), StringComparison.Ordinal);
        Assert.Equal(3, StatusCalls);
        // Two waits of one poll interval between three calls.
        Assert.Equal(TimeSpan.FromSeconds(2), _time.GetUtcNow() - started);
    }

    [Fact]
    public async Task FailuresCompleteTheWaitToo()
    {
        _server.Given(Request.Create().WithPath("/statuses/r-1").UsingGet())
            .RespondWith(Json(200, KnowBe4TestData.Status("r-1", null, [], failures: """[{"error":"unknown user"}]""")));
        var waiter = new EventStatusWaiter(Client(_server, _httpClient), _time);

        var result = await _time.DriveAsync(waiter.WaitAsync("r-1", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));

        Assert.NotNull(result);
        Assert.Empty(result.Status.EventIds);
        Assert.Equal("unknown user", Assert.Single(result.Status.Failures).GetProperty("error").GetString());
        Assert.Equal(1, StatusCalls);
    }

    [Fact]
    public async Task GivesUpAtTheDeadline()
    {
        _server.Given(Request.Create().WithPath("/statuses/r-1").UsingGet()).RespondWith(Json(200, KnowBe4TestData.Status("r-1", null, [])));
        var waiter = new EventStatusWaiter(Client(_server, _httpClient), _time);
        var started = _time.GetUtcNow();

        var result = await _time.DriveAsync(waiter.WaitAsync("r-1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));

        Assert.Null(result);
        // Calls at 0, 1, 2, 3, 4 and 5 seconds, the last one at the deadline.
        Assert.Equal(6, StatusCalls);
        Assert.Equal(TimeSpan.FromSeconds(5), _time.GetUtcNow() - started);
    }

    [Fact]
    public async Task OtherFailuresEndTheWait()
    {
        _server.Given(Request.Create().WithPath("/statuses/r-1").UsingGet()).RespondWith(Json(429, """{"message":"Limit Exceeded"}"""));
        var waiter = new EventStatusWaiter(Client(_server, _httpClient), _time);

        var exception = await Assert.ThrowsAsync<KnowBe4ApiException>(() =>
            waiter.WaitAsync("r-1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));

        Assert.Equal(KnowBe4FailureKind.QuotaExhausted, exception.Kind);
    }
}
