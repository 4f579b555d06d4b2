using System.Text;
using Kb4Collector.Daemon;
using Kb4Collector.KnowBe4;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Kb4Collector.Tests.Support.KnowBe4WireMock;

namespace Kb4Collector.Tests.KnowBe4;

/// <summary>A hostile or broken server cannot loop the client, redirect the key, leak the key back, or forward bad bytes (issue 15).</summary>
public sealed class KnowBe4HardeningTests : IDisposable
{
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly WireMockServer _elsewhere = WireMockServer.Start();
    private readonly HttpClient _httpClient = new(DaemonHost.CreateKnowBe4Handler());

    public void Dispose()
    {
        _httpClient.Dispose();
        _server.Stop();
        _server.Dispose();
        _elsewhere.Stop();
        _elsewhere.Dispose();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string Event(int index) => KnowBe4TestData.Event($"00000000-0000-4000-8000-{index:D12}", "2024-03-01T10:00:00.000Z");

    private void Answer(IResponseBuilder response) =>
        _server.Given(Request.Create().WithPath("/events").UsingGet()).RespondWith(response);

    private Task<RawEventPage> ListAsync(int? page = null) =>
        Client(_server, _httpClient).ListEventsRawAsync(new EventQuery { Page = page }, Token);

    [Theory]
    [InlineData(1, """{"count":1,"limit_value":50,"total_pages":5,"current_page":1,"next_page":1}""", "next_page 1 does not come after current_page 1")]
    [InlineData(2, """{"count":1,"limit_value":50,"total_pages":1000000000,"current_page":2,"next_page":2}""", "next_page 2 does not come after current_page 2")]
    [InlineData(3, """{"count":1,"limit_value":50,"total_pages":3,"current_page":3,"next_page":4}""", "next_page 4 is beyond total_pages 3")]
    [InlineData(7, """{"count":1,"limit_value":50,"total_pages":3,"current_page":7,"next_page":null}""", "page 7 holds events but total_pages is 3")]
    [InlineData(4, """{"count":1,"limit_value":50,"total_pages":9,"current_page":1,"next_page":2}""", "page 4 was asked for but current_page is 1")]
    public async Task PagingThatCannotEndIsAMalformedAnswerClassifiedThirdPartyGeneric(int page, string meta, string reason)
    {
        Answer(Json(200, KnowBe4TestData.Page(meta, Event(1))));

        var failure = await Assert.ThrowsAsync<KnowBe4ApiException>(() => ListAsync(page));

        Assert.Equal(KnowBe4FailureKind.MalformedPaging, failure.Kind);
        Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorClass.ThirdPartyGeneric, FailureClassifier.Classify(failure, everAuthenticated: true).ErrorClass);
    }

    [Fact]
    public async Task OrdinaryPagingAndTheEmptyAccountStillPass()
    {
        Answer(Json(200, KnowBe4TestData.Page(KnowBe4TestData.Meta(2, 3, 1), Event(1))));
        Assert.Single((await ListAsync(2)).Events);

        _server.Reset();
        Answer(Json(200, """{"data":[],"meta":{"count":0}}"""));
        Assert.Empty((await ListAsync()).Events);
    }

    [Fact]
    public async Task ARedirectIsNotFollowedAndIsAConfigurationErrorNamingTheLocation()
    {
        _elsewhere.Given(Request.Create().UsingAnyMethod()).RespondWith(Json(200, KnowBe4TestData.Page(KnowBe4TestData.Meta(1, 1, 1), Event(1))));
        Answer(Response.Create().WithStatusCode(307).WithHeader("Location", _elsewhere.Urls[0] + "/steal?sig=abc"));

        var failure = await Assert.ThrowsAsync<KnowBe4ApiException>(() => ListAsync());

        Assert.Empty(_elsewhere.LogEntries);
        Assert.Equal(KnowBe4FailureKind.Redirected, failure.Kind);
        Assert.Contains("Location: " + _elsewhere.Urls[0] + "/steal", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=abc", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorClass.ThirdPartyConfig, FailureClassifier.Classify(failure, everAuthenticated: true).ErrorClass);
    }

    [Fact]
    public async Task AKeyEchoedInAnotherCaseOrAfterBearerIsMasked()
    {
        var echo = $$"""{"message":"bad key {{KnowBe4TestData.ApiKey.ToUpperInvariant()}}, header was Authorization: Bearer other-secret-77"}""";
        Answer(Json(401, echo));

        var failure = await Assert.ThrowsAsync<KnowBe4ApiException>(() => ListAsync());

        Assert.DoesNotContain(KnowBe4TestData.ApiKey, failure.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("other-secret-77", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Bearer ********", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidUtf8InsideAnEventIsReplacedNotForwardedRaw()
    {
        var page = Encoding.UTF8.GetBytes(KnowBe4TestData.Page(KnowBe4TestData.Meta(1, 1, 1), Event(1).Replace("Desc", "D\u00e9sc", StringComparison.Ordinal)));
        var at = Array.IndexOf(page, (byte)0xC3);
        page[at] = 0xFF;
        page[at + 1] = 0xFE;
        Answer(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(page));

        var json = Assert.Single((await ListAsync()).Events).Json;

        Assert.True(System.Text.Unicode.Utf8.IsValid(json.Span));
        Assert.Contains("D\uFFFD\uFFFDsc", Encoding.UTF8.GetString(json.Span), StringComparison.Ordinal);
    }
}
