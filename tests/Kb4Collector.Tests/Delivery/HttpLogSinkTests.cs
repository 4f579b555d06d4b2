using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using WireMock.Logging;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace Kb4Collector.Tests.Delivery;

public sealed class HttpLogSinkTests : IDisposable
{
    private const string SumoPath = "/receiver/v1/http/ZaVnC4dhaV39Tn37-SECRET-CODE";
    private const string HecToken = "11111111-2222-3333-4444-SECRETTOKEN";

    // Raw bodies in the log (gzip stays gzip), so tests see exactly what went on the wire.
    private readonly WireMockServer _server = WireMockServer.Start(new WireMockServerSettings { DisableRequestBodyDecompressing = true });
    private readonly CollectorDatabase _database = CollectorDatabase.InMemory();
    private readonly FakeLogger<HttpLogSink> _logger = new();
    private readonly HttpClient _httpClient = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _httpClient.Dispose();
        _database.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    [Fact]
    public async Task SumoFormatSendsGzippedNdjsonWithTheSourceMetadataHeaders()
    {
        AnswerEverything(200);
        var events = DeliveryTestEvents.Events(5);
        var target = new SinkTarget("kb4-prod", "security/knowbe4", "collector-1", new Dictionary<string, string> { ["env"] = "prod", ["team"] = "sec" }, false);

        var report = await Sink(SumoOptions()).SendAsync("src-1", target, events, Ct);

        var entry = Assert.Single(_server.LogEntries);
        Assert.Equal("gzip", Header(entry, "Content-Encoding"));
        Assert.Equal("security/knowbe4", Header(entry, "X-Sumo-Category"));
        Assert.Equal("kb4-prod", Header(entry, "X-Sumo-Name"));
        Assert.Equal("collector-1", Header(entry, "X-Sumo-Host"));
        Assert.Equal("env=prod,team=sec", Header(entry, "X-Sumo-Fields"));
        Assert.Equal("kb4collector", Header(entry, "X-Sumo-Client"));
        Assert.Null(Header(entry, "Authorization"));
        var wire = Body(entry);
        AssertLinesEqualEvents(events, DeliveryTestEvents.Lines(DeliveryTestEvents.Gunzip(wire)));
        Assert.Equal(new DeliveryReport(5, 0, 1, wire.Length), report);
    }

    [Fact]
    public async Task SiemForwardAddsTheKnowBe4ParserFieldAndDoesNotSendTheSwitch()
    {
        AnswerEverything(200);
        var target = SinkTarget.FromSourceFields("kb4", "cat", "host", new Dictionary<string, string> { ["_siemForward"] = "true", ["env"] = "prod" });

        await Sink(SumoOptions()).SendAsync("src-1", target, DeliveryTestEvents.Events(1), Ct);

        Assert.True(target.SiemForward);
        Assert.Equal("env=prod,_siemparser=/Parsers/System/KnowBe4/KnowBe4 KMSAT", Header(Assert.Single(_server.LogEntries), "X-Sumo-Fields"));
    }

    [Fact]
    public async Task NdjsonWithoutGzipIsAPlainBodyWithoutSpecialHeaders()
    {
        AnswerEverything(204);
        var events = DeliveryTestEvents.Events(3);

        var report = await Sink(new SinkOptions { Url = Url("/ingest"), Format = SinkFormat.Ndjson, Gzip = false })
            .SendAsync("src-1", Target(), events, Ct);

        var entry = Assert.Single(_server.LogEntries);
        Assert.Null(Header(entry, "Content-Encoding"));
        Assert.Equal("application/x-ndjson", Header(entry, "Content-Type"));
        Assert.DoesNotContain(entry.RequestMessage.Headers!.Keys, name => name.StartsWith("X-Sumo", StringComparison.OrdinalIgnoreCase));
        Assert.Null(Header(entry, "Authorization"));
        AssertLinesEqualEvents(events, DeliveryTestEvents.Lines(Body(entry)));
        Assert.Equal(3, report.Accepted);
    }

    [Fact]
    public async Task SplunkHecWrapsEachEventUnchangedInAnEnvelopeWithTheTokenHeader()
    {
        AnswerEverything(200, """{"text":"Success","code":0}""");
        var events = DeliveryTestEvents.Events(3);
        var target = new SinkTarget("kb4-prod", "security/knowbe4", "collector-1", new Dictionary<string, string> { ["env"] = "prod", ["_siemForward"] = "true" }, true);
        var options = new SinkOptions { Url = Url("/services/collector/event"), Format = SinkFormat.SplunkHec, Token = HecToken };

        var report = await Sink(options).SendAsync("src-1", target, events, Ct);

        var entry = Assert.Single(_server.LogEntries);
        Assert.Equal("Splunk " + HecToken, Header(entry, "Authorization"));
        Assert.Equal("application/json", Header(entry, "Content-Type"));
        var lines = DeliveryTestEvents.Lines(DeliveryTestEvents.Gunzip(Body(entry)));
        Assert.Equal(3, lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            using var envelope = JsonDocument.Parse(lines[i]);
            var root = envelope.RootElement;
            var expectedTime = DeliveryTestEvents.FirstOccurred.AddSeconds(i).ToUnixTimeMilliseconds() / 1000m;
            Assert.Equal(expectedTime, root.GetProperty("time").GetDecimal());
            Assert.Equal("collector-1", root.GetProperty("host").GetString());
            Assert.Equal("kb4-prod", root.GetProperty("source").GetString());
            Assert.Equal("knowbe4:kmsat:event", root.GetProperty("sourcetype").GetString());
            Assert.Equal("prod", root.GetProperty("fields").GetProperty("env").GetString());
            Assert.False(root.GetProperty("fields").TryGetProperty("_siemForward", out _));
            Assert.Equal(Encoding.UTF8.GetString(events[i].Json.Span), root.GetProperty("event").GetRawText());
        }
        Assert.Equal(3, report.Accepted);
    }

    [Fact]
    public async Task SplunkHecLeavesTimeOutWhenTheEventHasNoReadableOccurredDate()
    {
        AnswerEverything(200);
        var sinkEvent = new SinkEvent("e1", """{"id":"e1","metadata":{"occurred_date":"2024-01-01T00:00:00.000Z"}}"""u8.ToArray());
        var options = new SinkOptions { Url = Url("/services/collector/event"), Format = SinkFormat.SplunkHec, Token = HecToken, Gzip = false };

        await Sink(options).SendAsync("src-1", Target(), [sinkEvent], Ct);

        using var envelope = JsonDocument.Parse(DeliveryTestEvents.Lines(Body(Assert.Single(_server.LogEntries)))[0]);
        Assert.False(envelope.RootElement.TryGetProperty("time", out _));
        Assert.Equal("""{"id":"e1","metadata":{"occurred_date":"2024-01-01T00:00:00.000Z"}}""", envelope.RootElement.GetProperty("event").GetRawText());
    }

    [Fact]
    public async Task BatchesNeverExceedMaxBatchBytesUncompressedAndKeepTheOrder()
    {
        AnswerEverything(200);
        var events = DeliveryTestEvents.Events(400, padding: 5_000); // about 2.1 MB

        var report = await Sink(SumoOptions()).SendAsync("src-1", Target(), events, Ct);

        var bodies = _server.LogEntries.Select(entry => DeliveryTestEvents.Gunzip(Body(entry))).ToList();
        Assert.Equal(3, bodies.Count);
        Assert.All(bodies, body => Assert.InRange(body.Length, 1, 1_000_000));
        AssertLinesEqualEvents(events, [.. bodies.SelectMany(DeliveryTestEvents.Lines)]);
        Assert.Equal(new DeliveryReport(400, 0, 3, _server.LogEntries.Sum(entry => (long)Body(entry).Length)), report);
    }

    [Fact]
    public async Task BatchesNeverExceedMaxBatchEvents()
    {
        AnswerEverything(200);
        var events = DeliveryTestEvents.Events(25);

        var report = await Sink(SumoOptions() with { MaxBatchEvents = 10 }).SendAsync("src-1", Target(), events, Ct);

        var counts = _server.LogEntries.Select(entry => DeliveryTestEvents.Lines(DeliveryTestEvents.Gunzip(Body(entry))).Count).ToList();
        Assert.Equal([10, 10, 5], counts);
        Assert.Equal(25, report.Accepted);
        Assert.Equal(3, report.Requests);
    }

    [Fact]
    public async Task LineBreaksInsideAnEventBecomeSpacesSoItStaysOneLine()
    {
        AnswerEverything(200);
        var pretty = new SinkEvent("e1", "{\r\n  \"id\": \"e1\",\n  \"description\": \"a\\nb\"\n}"u8.ToArray());

        await Sink(SumoOptions() with { Gzip = false }).SendAsync("src-1", Target(), [pretty], Ct);

        var line = Assert.Single(DeliveryTestEvents.Lines(Body(Assert.Single(_server.LogEntries))));
        Assert.Equal("{    \"id\": \"e1\",   \"description\": \"a\\nb\" }", Encoding.UTF8.GetString(line));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(429)]
    [InlineData(408)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    public async Task RetryableAnswersThrowSinkExceptionAndDeadLetterNothing(int status)
    {
        AnswerEverything(status, "try later");
        var sink = Sink(SumoOptions());

        var failure = await Assert.ThrowsAsync<SinkException>(() => sink.SendAsync("src-1", Target(), DeliveryTestEvents.Events(10), Ct));

        Assert.Equal(status, failure.StatusCode);
        Assert.Contains("try later", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, failure.Delivered.Settled);
        Assert.Single(_server.LogEntries);
        Assert.Equal(0, sink.DeadLetters.Count());
    }

    [Fact]
    public async Task RetryAfterOfA429IsPassedToTheCaller()
    {
        _server.Given(Request.Create().UsingPost())
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "120").WithBody("You have temporarily exceeded your Sumo Logic quota"));

        var failure = await Assert.ThrowsAsync<SinkException>(() => Sink(SumoOptions()).SendAsync("src-1", Target(), DeliveryTestEvents.Events(1), Ct));

        Assert.Equal(TimeSpan.FromSeconds(120), failure.RetryAfter);
    }

    [Fact]
    public async Task AnUnreachableEndpointThrowsSinkException()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var sink = Sink(SumoOptions() with { Url = new Uri($"http://127.0.0.1:{closedPort}{SumoPath}") });

        var failure = await Assert.ThrowsAsync<SinkException>(() => sink.SendAsync("src-1", Target(), DeliveryTestEvents.Events(2), Ct));

        Assert.Null(failure.StatusCode);
        Assert.Contains("could not be reached", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-CODE", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, sink.DeadLetters.Count());
    }

    [Fact]
    public async Task NoAnswerWithinTheTimeoutThrowsSinkException()
    {
        var time = new FakeTimeProvider(DeliveryTestEvents.FirstOccurred);
        var hanging = new HangingHandler();
        using var client = new HttpClient(hanging);
        var sink = new HttpLogSink(client, SumoOptions(), time, _database, _logger);

        var send = sink.SendAsync("src-1", Target(), DeliveryTestEvents.Events(2), Ct);
        await hanging.Started.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        time.Advance(TimeSpan.FromSeconds(31));
        var failure = await Assert.ThrowsAsync<SinkException>(() => send);

        Assert.Null(failure.StatusCode);
        Assert.Contains("30 s", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, sink.DeadLetters.Count());
    }

    [Fact]
    public async Task ARefusedBatchIsSplitUntilThePoisonEventIsAloneAndDeadLettered()
    {
        using var server = WireMockServer.Start(); // decompressing, so the body matcher sees the lines
        var poison = DeliveryTestEvents.Id(7);
        server.Given(Request.Create().UsingPost().WithBody(new WildcardMatcher("*" + poison + "*"))).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(413).WithBody("Payload too large"));
        server.Given(Request.Create().UsingPost()).AtPriority(2).RespondWith(Response.Create().WithStatusCode(200));
        var events = DeliveryTestEvents.Events(20);
        var sink = Sink(SumoOptions() with { Url = new Uri(server.Urls[0] + SumoPath) });

        var report = await sink.SendAsync("src-1", Target(), events, Ct);

        Assert.Equal(19, report.Accepted);
        Assert.Equal(1, report.DeadLettered);
        var accepted = server.LogEntries.Where(entry => entry.ResponseMessage.StatusCode is 200)
            .SelectMany(entry => DeliveryTestEvents.Lines(entry.RequestMessage.BodyAsBytes!)).Select(line => Encoding.UTF8.GetString(line)).ToList();
        Assert.Equal(events.Where(e => e.Id != poison).Select(e => Encoding.UTF8.GetString(e.Json.Span)), accepted);
        var deadLetter = Assert.Single(sink.DeadLetters.List("src-1"));
        Assert.Equal(poison, deadLetter.EventId);
        Assert.Equal(413, deadLetter.StatusCode);
        Assert.Contains("Payload too large", deadLetter.Reason, StringComparison.Ordinal);
        Assert.Equal(events[7].Json.ToArray(), deadLetter.Json.ToArray());
        Assert.Equal(1, deadLetter.Attempts);
        Assert.Contains(_logger.Collector.GetSnapshot(), record => record.Level == LogLevel.Warning && record.Message.Contains(poison, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFailureAfterAcceptedBatchesReportsTheSettledPrefix()
    {
        _server.Given(Request.Create().UsingPost()).InScenario("flaky").WillSetStateTo("down")
            .RespondWith(Response.Create().WithStatusCode(200));
        _server.Given(Request.Create().UsingPost()).InScenario("flaky").WhenStateIs("down")
            .RespondWith(Response.Create().WithStatusCode(503));

        var failure = await Assert.ThrowsAsync<SinkException>(
            () => Sink(SumoOptions() with { MaxBatchEvents = 10 }).SendAsync("src-1", Target(), DeliveryTestEvents.Events(30), Ct));

        Assert.Equal(503, failure.StatusCode);
        Assert.Equal(10, failure.Delivered.Accepted);
        Assert.Equal(10, failure.Delivered.Settled);
        Assert.Equal(2, failure.Delivered.Requests);
    }

    [Fact]
    public async Task ARedeliveredPoisonEventUpdatesItsDeadLetterInsteadOfAddingOne()
    {
        AnswerEverything(400, "malformed");
        var sink = Sink(SumoOptions());

        await sink.SendAsync("src-1", Target(), [DeliveryTestEvents.Event(1)], Ct);
        await sink.SendAsync("src-1", Target(), [DeliveryTestEvents.Event(1)], Ct);
        await sink.SendAsync("src-2", Target(), [DeliveryTestEvents.Event(1)], Ct);

        Assert.Equal(2, sink.DeadLetters.Count());
        Assert.Equal(1, sink.DeadLetters.Count("src-1"));
        Assert.Equal(2, Assert.Single(sink.DeadLetters.List("src-1")).Attempts);
    }

    [Fact]
    public async Task ReplaySendsDeadLettersAgainAndRemovesThoseAccepted()
    {
        AnswerEverything(422, "unprocessable");
        var sink = Sink(SumoOptions());
        await sink.SendAsync("src-1", Target(), [DeliveryTestEvents.Event(1), DeliveryTestEvents.Event(2)], Ct);
        await sink.SendAsync("src-2", Target(), [DeliveryTestEvents.Event(3)], Ct);
        Assert.Equal(2, sink.DeadLetters.Count("src-1"));

        var stillRefused = await sink.DeadLetters.ReplayAsync("src-1", sink, Target(), Ct);
        Assert.Equal(new DeliveryReport(0, 2, 3, stillRefused.BytesSent), stillRefused);
        Assert.All(sink.DeadLetters.List("src-1"), deadLetter => Assert.Equal(2, deadLetter.Attempts));

        _server.Reset();
        AnswerEverything(200);
        var replayed = await sink.DeadLetters.ReplayAsync("src-1", sink, Target(), Ct);

        Assert.Equal(2, replayed.Accepted);
        Assert.Equal(0, sink.DeadLetters.Count("src-1"));
        Assert.Equal(1, sink.DeadLetters.Count("src-2"));
        AssertLinesEqualEvents([DeliveryTestEvents.Event(1), DeliveryTestEvents.Event(2)], DeliveryTestEvents.Lines(DeliveryTestEvents.Gunzip(Body(Assert.Single(_server.LogEntries)))));
    }

    [Fact]
    public async Task DeadLettersSurviveReopeningTheDatabase()
    {
        using var folder = new DeliveryTestFolder();
        AnswerEverything(400);
        using (var database = folder.OpenDatabase())
        {
            var sink = new HttpLogSink(_httpClient, SumoOptions(), TimeProvider.System, database, _logger);
            await sink.SendAsync("src-1", Target(), [DeliveryTestEvents.Event(1)], Ct);
        }

        using var reopened = folder.OpenDatabase();
        var deadLetter = Assert.Single(new DeadLetterStore(reopened, TimeProvider.System).List());
        Assert.Equal(DeliveryTestEvents.Id(1), deadLetter.EventId);
        Assert.Equal(TimeSpan.Zero, deadLetter.FirstSeen.Offset);
    }

    [Fact]
    public async Task TheTokenAndTheSumoCodeNeverAppearInExceptionsOrLogs()
    {
        _server.Given(Request.Create().UsingPost())
            .RespondWith(Response.Create().WithStatusCode(403).WithBody("Invalid token " + HecToken + " for " + SumoPath));
        var options = new SinkOptions { Url = Url(SumoPath), Format = SinkFormat.SplunkHec, Token = HecToken };

        var failure = await Assert.ThrowsAsync<SinkException>(() => Sink(options).SendAsync("src-1", Target(), DeliveryTestEvents.Events(1), Ct));

        Assert.DoesNotContain(HecToken, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-CODE", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-CODE", failure.Endpoint, StringComparison.Ordinal);
        Assert.Contains("********", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(HecToken, options.ToString(), StringComparison.Ordinal);
        Assert.All(_logger.Collector.GetSnapshot(), record =>
        {
            Assert.DoesNotContain(HecToken, record.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("SECRET-CODE", record.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task ATargetSumoCannotCarryIsAConfigurationErrorBeforeAnyRequest()
    {
        var fields = Enumerable.Range(0, 31).ToDictionary(i => $"f{i}", i => "v");
        var target = new SinkTarget("kb4", "cat", "host", fields, false);

        var failure = await Assert.ThrowsAsync<SourceConfigurationException>(() => Sink(SumoOptions()).SendAsync("src-1", target, DeliveryTestEvents.Events(1), Ct));

        Assert.Equal("fields", failure.Field);
        Assert.Contains("31", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_server.LogEntries);
    }

    [Fact]
    public async Task NothingToSendMakesNoRequest()
    {
        var report = await Sink(SumoOptions()).SendAsync("src-1", Target(), [], Ct);

        Assert.Equal(default, report);
        Assert.Empty(_server.LogEntries);
    }

    private HttpLogSink Sink(SinkOptions options) => new(_httpClient, options, TimeProvider.System, _database, _logger);

    private SinkOptions SumoOptions() => new() { Url = Url(SumoPath) };

    private Uri Url(string path) => new(_server.Urls[0] + path);

    private static SinkTarget Target() => new("kb4", "security/knowbe4", "collector-1", new Dictionary<string, string>(), false);

    private void AnswerEverything(int status, string body = "")
        => _server.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(status).WithBody(body));

    private static string? Header(ILogEntry entry, string name)
    {
        var headers = entry.RequestMessage.Headers!;
        var match = headers.FirstOrDefault(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase));
        return match.Value is null ? null : string.Join(",", match.Value);
    }

    private static byte[] Body(ILogEntry entry) => entry.RequestMessage.BodyAsBytes ?? Encoding.UTF8.GetBytes(entry.RequestMessage.Body ?? "");

    private static void AssertLinesEqualEvents(List<SinkEvent> events, List<byte[]> lines)
    {
        Assert.Equal(events.Count, lines.Count);
        for (var i = 0; i < events.Count; i++)
        {
            Assert.True(events[i].Json.Span.SequenceEqual(lines[i]), $"line {i} differs from the event's bytes");
        }
    }

    private sealed class HangingHandler : HttpMessageHandler
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
