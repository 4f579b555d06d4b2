using System.Net;
using System.Net.Sockets;
using Kb4Collector.KnowBe4;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Kb4Collector.Tests.Support.KnowBe4WireMock;

namespace Kb4Collector.Tests.KnowBe4;

/// <summary>Each failure the collector must tell apart, as a distinct <see cref="KnowBe4FailureKind"/>.</summary>
public sealed class KnowBe4ClientFailureTests : IDisposable
{
    private static readonly DateTimeOffset s_now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _httpClient = new();
    private readonly FakeTimeProvider _time = new(s_now);

    public void Dispose()
    {
        _httpClient.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string Page => KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.SpecEvent);

    private KnowBe4Client NewClient(TimeSpan? timeout = null, int? maxResponseBytes = null) =>
        Client(_server, _httpClient, _time, timeout, maxResponseBytes);

    private void Answer(IResponseBuilder response) =>
        _server.Given(Request.Create().WithPath("/events").UsingGet()).RespondWith(response);

    private async Task<KnowBe4ApiException> ListFailsAsync(KnowBe4Client? client = null) =>
        await Assert.ThrowsAsync<KnowBe4ApiException>(() => (client ?? NewClient()).ListEventsRawAsync(new EventQuery(), Token));

    [Theory]
    [InlineData(401, """{"message":"Unauthorized"}""")]
    [InlineData(403, """{"message":"Forbidden"}""")]
    [InlineData(401, "")]
    public async Task RefusedKeyIsUnauthorized(int statusCode, string body)
    {
        Answer(Response.Create().WithStatusCode(statusCode).WithHeader("Content-Type", "text/html").WithBody(body));

        var exception = await ListFailsAsync();

        Assert.Equal(KnowBe4FailureKind.Unauthorized, exception.Kind);
        Assert.Equal(statusCode, exception.StatusCode);
        Assert.Equal("GET /events", exception.Endpoint);
        Assert.Contains("check the API key and the region", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InternalServerErrorBeforeAnySuccessMeansABadKeyOrRegion()
    {
        Answer(Json(500, """{"message":"Internal Server Error"}"""));
        var client = NewClient();

        var exception = await ListFailsAsync(client);

        Assert.False(client.HasAuthenticated);
        Assert.Equal(KnowBe4FailureKind.Unauthorized, exception.Kind);
        Assert.Equal(500, exception.StatusCode);
        Assert.Contains("check the API key and the region", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InternalServerErrorAfterASuccessIsAServerError()
    {
        _server.Given(Request.Create().WithPath("/events").UsingGet()).InScenario("flaky").WillSetStateTo("broken").RespondWith(Json(200, Page));
        _server.Given(Request.Create().WithPath("/events").UsingGet()).InScenario("flaky").WhenStateIs("broken")
            .RespondWith(Json(500, """{"message":"Internal Server Error"}"""));
        var client = NewClient();
        await client.ListEventsRawAsync(new EventQuery(), Token);
        Assert.True(client.HasAuthenticated);

        var exception = await ListFailsAsync(client);

        Assert.Equal(KnowBe4FailureKind.ServerError, exception.Kind);
        Assert.Equal(500, exception.StatusCode);
    }

    [Fact]
    public async Task LimitExceededIsTheDailyQuota()
    {
        Answer(Json(429, """{"message":"Limit Exceeded"}"""));

        var exception = await ListFailsAsync();

        Assert.Equal(KnowBe4FailureKind.QuotaExhausted, exception.Kind);
        Assert.Equal(429, exception.StatusCode);
        Assert.Contains("daily API call quota", exception.Message, StringComparison.Ordinal);
        Assert.Null(exception.RetryAfter);
    }

    [Fact]
    public async Task TooManyRequestsIsRateLimitedWithRetryAfterSeconds()
    {
        Answer(Json(429, """{"message":"Too Many Requests"}""").WithHeader("Retry-After", "3"));

        var exception = await ListFailsAsync();

        Assert.Equal(KnowBe4FailureKind.RateLimited, exception.Kind);
        Assert.Equal(TimeSpan.FromSeconds(3), exception.RetryAfter);
        Assert.Contains("retry after 3 s", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetryAfterAsAnHttpDateIsMeasuredOnTheInjectedClock()
    {
        Answer(Json(429, """{"message":"Too Many Requests"}""").WithHeader("Retry-After", s_now.AddSeconds(42).ToString("r")));

        var exception = await ListFailsAsync();

        Assert.Equal(KnowBe4FailureKind.RateLimited, exception.Kind);
        Assert.Equal(TimeSpan.FromSeconds(42), exception.RetryAfter);
    }

    [Fact]
    public async Task RateLimitWithoutRetryAfterHasNoDelay()
    {
        Answer(Response.Create().WithStatusCode(429));

        var exception = await ListFailsAsync();

        Assert.Equal(KnowBe4FailureKind.RateLimited, exception.Kind);
        Assert.Null(exception.RetryAfter);
    }

    [Fact]
    public async Task UnknownIdIsNotFound()
    {
        _server.Given(Request.Create().WithPath("/events/nope").UsingGet()).RespondWith(Json(404, """{"message":"Not Found"}"""));

        var exception = await Assert.ThrowsAsync<KnowBe4ApiException>(() => NewClient().GetEventAsync("nope", Token));

        Assert.Equal(KnowBe4FailureKind.NotFound, exception.Kind);
        Assert.Equal(KnowBe4Endpoints.GetEvent, exception.Endpoint);
        Assert.StartsWith("GET /events/nope: HTTP 404: not found", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(422)]
    public async Task RefusedRequestIsBadRequest(int statusCode)
    {
        _server.Given(Request.Create().WithPath("/events").UsingPost()).RespondWith(Json(statusCode, """{"message":"target_user is required"}"""));

        var exception = await Assert.ThrowsAsync<KnowBe4ApiException>(() => NewClient().CreateEventAsync(new CreateEventRequest("x", "y"), Token));

        Assert.Equal(KnowBe4FailureKind.BadRequest, exception.Kind);
        Assert.Contains("target_user is required", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task GatewayAndTimeoutStatusesAreServerErrors(int statusCode)
    {
        Answer(Response.Create().WithStatusCode(statusCode).WithBody("<html><body>upstream trouble</body></html>"));

        var exception = await ListFailsAsync();

        Assert.Equal(KnowBe4FailureKind.ServerError, exception.Kind);
        Assert.Equal(statusCode, exception.StatusCode);
    }

    [Fact]
    public async Task SlowAnswerIsATimeoutOnTheInjectedClock()
    {
        Answer(Json(200, Page).WithDelay(TimeSpan.FromSeconds(2)));
        var client = NewClient(timeout: TimeSpan.FromSeconds(10));

        var call = client.ListEventsRawAsync(new EventQuery(), Token);
        _time.Advance(TimeSpan.FromSeconds(11));
        var exception = await Assert.ThrowsAsync<KnowBe4ApiException>(() => call);

        Assert.Equal(KnowBe4FailureKind.Timeout, exception.Kind);
        Assert.Null(exception.StatusCode);
        Assert.Equal("GET /events: no complete answer within 10 s", exception.Message);
    }

    [Fact]
    public async Task CallerCancellationPropagatesAsCancellation()
    {
        Answer(Json(200, Page).WithDelay(TimeSpan.FromSeconds(2)));
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var call = NewClient().ListEventsRawAsync(new EventQuery(), cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task RefusedConnectionIsANetworkFailure()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var client = new KnowBe4Client(_httpClient, new KnowBe4ClientOptions(new Uri($"http://127.0.0.1:{port}"), KnowBe4TestData.ApiKey));

        var exception = await Assert.ThrowsAsync<KnowBe4ApiException>(() => client.ListEventsRawAsync(new EventQuery(), Token));

        Assert.Equal(KnowBe4FailureKind.Network, exception.Kind);
        Assert.Null(exception.StatusCode);
        Assert.StartsWith("GET /events: network error:", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionResetInsideTheBodyIsANetworkFailure()
    {
        const string partialAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"data\":[{\"id\":\"cut";
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var connection = await listener.AcceptTcpClientAsync(Token);
            var stream = connection.GetStream();
            var request = new byte[8192];
            var read = 0;
            while (!System.Text.Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                read += await stream.ReadAsync(request.AsMemory(read), Token);
            }
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(partialAnswer), Token);
            // Linger 0: the close is a reset, as when a proxy or the network drops the connection.
            connection.LingerState = new LingerOption(true, 0);
        }, Token);
        var client = new KnowBe4Client(_httpClient, new KnowBe4ClientOptions(new Uri($"http://127.0.0.1:{port}"), KnowBe4TestData.ApiKey));

        var exception = await Assert.ThrowsAsync<KnowBe4ApiException>(() => client.ListEventsRawAsync(new EventQuery(), Token));
        await server.WaitAsync(TimeSpan.FromSeconds(5), Token);

        Assert.Equal(KnowBe4FailureKind.Network, exception.Kind);
        Assert.StartsWith("GET /events: network error:", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedChunkFromTheServerIsNotMistakenForAPage()
    {
        Answer(Json(200, Page).WithFault(FaultType.MALFORMED_RESPONSE_CHUNK));

        var exception = await ListFailsAsync();

        Assert.True(exception.Kind is KnowBe4FailureKind.MalformedBody or KnowBe4FailureKind.Network, exception.Kind.ToString());
    }

    [Theory]
    [InlineData("{\"data\":[{\"id\":\"786a515c\",\"occurred_date\":\"2022-08-09T10:05:13.890Z\"")]
    [InlineData("not json at all")]
    [InlineData("")]
    public async Task TruncatedOrInvalidBodyIsMalformed(string body)
    {
        Answer(Json(200, body));
        var client = NewClient();

        var exception = await ListFailsAsync(client);

        Assert.Equal(KnowBe4FailureKind.MalformedBody, exception.Kind);
        Assert.Equal(200, exception.StatusCode);
        Assert.StartsWith("GET /events: HTTP 200 with a malformed body:", exception.Message, StringComparison.Ordinal);
        // A 2xx still proves the key works.
        Assert.True(client.HasAuthenticated);
    }

    [Fact]
    public async Task TypedAndJsonCallsRejectMalformedBodiesToo()
    {
        Answer(Json(200, "{\"data\":[{\"id\":"));
        _server.Given(Request.Create().WithPath("/statuses/s").UsingGet()).RespondWith(Json(200, """{"data":{"details":{}}}"""));
        var client = NewClient();

        Assert.Equal(KnowBe4FailureKind.MalformedBody, (await Assert.ThrowsAsync<KnowBe4ApiException>(() => client.ListEventsAsync(new EventQuery(), Token))).Kind);
        Assert.Equal(KnowBe4FailureKind.MalformedBody, (await Assert.ThrowsAsync<KnowBe4ApiException>(() => client.ListEventsJsonAsync(new EventQuery(), Token))).Kind);
        Assert.Equal(KnowBe4FailureKind.MalformedBody, (await Assert.ThrowsAsync<KnowBe4ApiException>(() => client.GetStatusAsync("s", Token))).Kind);
    }

    [Fact]
    public async Task EventWithoutOccurredDateIsMalformedNamingTheIndex()
    {
        Answer(Json(200, KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.SpecEvent, """{"id":"x"}""")));

        var exception = await ListFailsAsync();

        Assert.Equal(KnowBe4FailureKind.MalformedBody, exception.Kind);
        Assert.Contains("index 1", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BodyOverTheCapIsMalformed()
    {
        Answer(Json(200, Page));

        var exception = await ListFailsAsync(NewClient(maxResponseBytes: 100));

        Assert.Equal(KnowBe4FailureKind.MalformedBody, exception.Kind);
        Assert.Contains("larger than the 100-byte cap", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChunkedBodyOverTheCapIsMalformedWithoutReadingItAll()
    {
        var handler = new StubHandler(() => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(new EndlessStream()),
        });
        using var httpClient = new HttpClient(handler);
        var client = new KnowBe4Client(httpClient, new KnowBe4ClientOptions(new Uri("http://127.0.0.1/"), KnowBe4TestData.ApiKey) { MaxResponseBytes = 64 * 1024 });

        var exception = await Assert.ThrowsAsync<KnowBe4ApiException>(() => client.ListEventsRawAsync(new EventQuery(), Token));

        Assert.Equal(KnowBe4FailureKind.MalformedBody, exception.Kind);
    }

    [Fact]
    public async Task KeyNeverAppearsInMessagesEvenWhenTheServerEchoesIt()
    {
        const string key = KnowBe4TestData.ApiKey;
        Answer(Json(401, $$"""{"message":"Invalid key {{key}} for account"}"""));
        _server.Given(Request.Create().WithPath("/statuses").UsingGet()).RespondWith(Response.Create().WithStatusCode(503).WithBody($"upstream said Bearer {key}\n"));
        _server.Given(Request.Create().WithPath("/event_types").UsingGet()).RespondWith(Json(200, $$"""{"data":[{"id":"{{key}}"}]}"""));
        var client = NewClient();

        var failures = new[]
        {
            await ListFailsAsync(client),
            await Assert.ThrowsAsync<KnowBe4ApiException>(() => client.ListStatusesAsync(new StatusQuery(), Token)),
            await Assert.ThrowsAsync<KnowBe4ApiException>(() => client.ListEventTypesAsync(null, Token)),
            await Assert.ThrowsAsync<KnowBe4ApiException>(() => client.GetEventAsync(key, Token)),
        };

        foreach (var failure in failures)
        {
            Assert.DoesNotContain(key, failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(key[..12], failure.Message, StringComparison.Ordinal);
        }
        Assert.Contains("Invalid key ******** for account", failures[0].Message, StringComparison.Ordinal);
        Assert.Contains("Bearer ********", failures[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LongErrorBodiesAreQuotedAsAShortSingleLine()
    {
        Answer(Response.Create().WithStatusCode(503).WithBody("<html>\n<body>\n" + new string('z', 100_000) + "</body></html>"));

        var exception = await ListFailsAsync();

        Assert.DoesNotContain('\n', exception.Message);
        Assert.True(exception.Message.Length < 400, $"message length {exception.Message.Length}");
    }

    private sealed class StubHandler(Func<HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(respond());
    }

    /// <summary>A body without Content-Length that never ends: only the cap can stop the read.</summary>
    private sealed class EndlessStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)' ', offset, count);
            return count;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
