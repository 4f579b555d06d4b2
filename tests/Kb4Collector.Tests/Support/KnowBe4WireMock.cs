using Kb4Collector.KnowBe4;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Kb4Collector.Tests.Support;

/// <summary>WireMock helpers for User Event API tests.</summary>
internal static class KnowBe4WireMock
{
    public static IResponseBuilder Json(int statusCode, string body) => Response.Create()
        .WithStatusCode(statusCode)
        .WithHeader("Content-Type", "application/json; charset=utf-8")
        .WithBody(body);

    public static KnowBe4Client Client(WireMockServer server, HttpClient httpClient, TimeProvider? timeProvider = null,
        TimeSpan? timeout = null, int? maxResponseBytes = null, string apiKey = KnowBe4TestData.ApiKey)
    {
        var options = new KnowBe4ClientOptions(new Uri(server.Urls[0]), apiKey)
        {
            Timeout = timeout ?? KnowBe4ClientOptions.DefaultTimeout,
            MaxResponseBytes = maxResponseBytes ?? KnowBe4ClientOptions.DefaultMaxResponseBytes,
        };
        return new KnowBe4Client(httpClient, options, timeProvider);
    }
}
