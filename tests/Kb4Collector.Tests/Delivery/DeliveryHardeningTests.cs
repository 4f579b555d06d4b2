using Kb4Collector.Daemon;
using Kb4Collector.Delivery;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Kb4Collector.Tests.Delivery;

/// <summary>The sink's client never follows a redirect, and a dead letter's key is bounded whatever the id (issue 15, points 8 and 9).</summary>
public sealed class DeliveryHardeningTests : IDisposable
{
    private readonly WireMockServer _sink = WireMockServer.Start();
    private readonly WireMockServer _elsewhere = WireMockServer.Start();
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kb4-delivery-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        _sink.Stop();
        _sink.Dispose();
        _elsewhere.Stop();
        _elsewhere.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SinkTarget Target() => new("kb4", "security/knowbe4", "collector-1", new Dictionary<string, string>(), false);

    [Fact]
    public async Task ASinkRedirectIsAFailureNamingTheLocationAndNothingReachesIt()
    {
        const string Token = "sumo-token-that-must-not-travel";
        _elsewhere.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200));
        _sink.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(307).WithHeader("Location", _elsewhere.Urls[0] + "/catch?k=1"));
        using var database = CollectorDatabase.InMemory();
        var sink = new HttpLogSink(DaemonHost.CreateSinkClient(), new SinkOptions { Url = new Uri(_sink.Urls[0] + "/ingest"), Format = SinkFormat.Sumo, Token = Token },
            TimeProvider.System, database, NullLogger<HttpLogSink>.Instance);

        var failure = await Assert.ThrowsAsync<SinkException>(() => sink.SendAsync("src-1", Target(), DeliveryTestEvents.Events(3), Ct));

        Assert.Empty(_elsewhere.LogEntries);
        Assert.Equal(307, failure.StatusCode);
        Assert.Contains("Location: " + _elsewhere.Urls[0] + "/catch", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("k=1", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, failure.Delivered.Accepted);
        Assert.Equal(Kb4Collector.Lifecycle.ErrorClass.FirstPartyGeneric, Kb4Collector.Lifecycle.FailureClassifier.Classify(failure, everAuthenticated: true).ErrorClass);
    }

    [Fact]
    public void AnEventIdOfAHundredThousandCharactersIsDeadLetteredAndKeptWhole()
    {
        using var database = CollectorDatabase.Open(_folder);
        var store = new DeadLetterStore(database, TimeProvider.System);
        var id = new string('7', 100_000);
        var sinkEvent = new SinkEvent(id, "{\"id\":\"x\"}"u8.ToArray());

        store.Add("src-1", sinkEvent, 400, "400: refused");
        store.Add("src-1", sinkEvent, 400, "400: refused");

        var letter = Assert.Single(store.List("src-1"));
        Assert.Equal(id, letter.EventId);
        Assert.Equal(2, letter.Attempts);
        Assert.True(store.Remove("src-1", id));
        Assert.Equal(0, store.Count("src-1"));
    }
}
