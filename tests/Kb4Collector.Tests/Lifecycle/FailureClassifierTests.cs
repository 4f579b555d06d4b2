using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;
using Kb4Collector.Lifecycle;
using LiteDB;

namespace Kb4Collector.Tests.Lifecycle;

public sealed class FailureClassifierTests
{
    public static TheoryData<string, bool, ErrorClass?> Cases() => new()
    {
        { "config", false, ErrorClass.ThirdPartyConfig },
        { "config", true, ErrorClass.ThirdPartyConfig },
        { "401", false, ErrorClass.ThirdPartyConfig },
        { "401", true, ErrorClass.ThirdPartyConfig },
        { "403", true, ErrorClass.ThirdPartyConfig },
        { "500-unauthenticated", false, ErrorClass.ThirdPartyConfig },
        { "500-unauthenticated", true, ErrorClass.ThirdPartyGeneric },
        { "500", false, ErrorClass.ThirdPartyGeneric },
        { "500", true, ErrorClass.ThirdPartyGeneric },
        { "502", false, ErrorClass.ThirdPartyGeneric },
        { "503", true, ErrorClass.ThirdPartyGeneric },
        { "408", true, ErrorClass.ThirdPartyGeneric },
        { "429-rate", true, ErrorClass.ThirdPartyGeneric },
        { "timeout", false, ErrorClass.ThirdPartyGeneric },
        { "reset", true, ErrorClass.ThirdPartyGeneric },
        { "malformed", true, ErrorClass.ThirdPartyGeneric },
        { "404", true, ErrorClass.ThirdPartyGeneric },
        { "400", true, ErrorClass.ThirdPartyGeneric },
        { "quota", true, null },
        { "quota", false, null },
        { "sink", true, ErrorClass.FirstPartyGeneric },
        { "litedb", true, ErrorClass.FirstPartyGeneric },
        { "io", true, ErrorClass.FirstPartyGeneric },
        { "unexpected", true, ErrorClass.FirstPartyGeneric },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryFailureMapsToItsClass(string failure, bool everAuthenticated, ErrorClass? expected)
    {
        var classification = FailureClassifier.Classify(Failure(failure), everAuthenticated);

        Assert.Equal(expected, classification.ErrorClass);
        Assert.Equal(expected is null, classification.IsQuotaExhausted);
        Assert.False(string.IsNullOrWhiteSpace(classification.Reason));
    }

    [Fact]
    public void TheReasonNamesTheEndpointAndTheStatus()
    {
        var classification = FailureClassifier.Classify(
            new KnowBe4ApiException(KnowBe4FailureKind.Unauthorized, "GET /events", 401, "Authorization: Bearer ******** was refused"),
            everAuthenticated: false);

        Assert.Contains("GET /events", classification.Reason, StringComparison.Ordinal);
        Assert.Contains("HTTP 401", classification.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailureWithoutAnHttpAnswerSaysSo()
    {
        var classification = FailureClassifier.Classify(ScriptedApi(KnowBe4FailureKind.Network, null), everAuthenticated: true);

        Assert.Contains("no HTTP answer", classification.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheUnauthenticated500ReasonPointsAtTheKeyOrRegion()
    {
        var classification = FailureClassifier.Classify(ScriptedApi(KnowBe4FailureKind.Unauthorized, 500), everAuthenticated: false);

        Assert.Contains("wrong API key or region", classification.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("429-rate")]
    [InlineData("quota")]
    [InlineData("sink")]
    public void RetryAfterIsCarried(string failure)
    {
        var classification = FailureClassifier.Classify(Failure(failure), everAuthenticated: true);

        Assert.Equal(TimeSpan.FromSeconds(42), classification.RetryAfter);
    }

    private static KnowBe4ApiException ScriptedApi(KnowBe4FailureKind kind, int? status, TimeSpan? retryAfter = null) =>
        new(kind, "GET /events", status, $"GET /events answered {status}", retryAfter);

    private static Exception Failure(string name) => name switch
    {
        "config" => new SourceConfigurationException("events.json: source 'kb4': apiKey is missing", "apiKey"),
        "401" => ScriptedApi(KnowBe4FailureKind.Unauthorized, 401),
        "403" => ScriptedApi(KnowBe4FailureKind.Unauthorized, 403),
        // What the client throws for a 500 before any of its calls succeeded, and after.
        "500-unauthenticated" => ScriptedApi(KnowBe4FailureKind.Unauthorized, 500),
        "500" => ScriptedApi(KnowBe4FailureKind.ServerError, 500),
        "502" => ScriptedApi(KnowBe4FailureKind.ServerError, 502),
        "503" => ScriptedApi(KnowBe4FailureKind.ServerError, 503),
        "408" => ScriptedApi(KnowBe4FailureKind.ServerError, 408),
        "429-rate" => ScriptedApi(KnowBe4FailureKind.RateLimited, 429, TimeSpan.FromSeconds(42)),
        "timeout" => ScriptedApi(KnowBe4FailureKind.Timeout, null),
        "reset" => ScriptedApi(KnowBe4FailureKind.Network, null),
        "malformed" => ScriptedApi(KnowBe4FailureKind.MalformedBody, 200),
        "404" => ScriptedApi(KnowBe4FailureKind.NotFound, 404),
        "400" => ScriptedApi(KnowBe4FailureKind.BadRequest, 400),
        "quota" => ScriptedApi(KnowBe4FailureKind.QuotaExhausted, 429, TimeSpan.FromSeconds(42)),
        "sink" => new SinkException("https://sink.example/receiver", 503, "POST answered 503", TimeSpan.FromSeconds(42)),
        "litedb" => new LiteException(0, "database is locked"),
        "io" => new IOException("disk full"),
        "unexpected" => new InvalidOperationException("bug"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
