using System.Net.Http.Headers;
using System.Text;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Tests.KnowBe4;

public sealed class KnowBe4FailuresTests
{
    [Theory]
    [InlineData(401, "Unauthorized", true, KnowBe4FailureKind.Unauthorized)]
    [InlineData(403, "Forbidden", false, KnowBe4FailureKind.Unauthorized)]
    [InlineData(404, "Not Found", true, KnowBe4FailureKind.NotFound)]
    [InlineData(400, "", true, KnowBe4FailureKind.BadRequest)]
    [InlineData(422, "target_user is missing", true, KnowBe4FailureKind.BadRequest)]
    [InlineData(408, "", true, KnowBe4FailureKind.ServerError)]
    [InlineData(429, "Limit Exceeded", true, KnowBe4FailureKind.QuotaExhausted)]
    [InlineData(429, "limit exceeded", false, KnowBe4FailureKind.QuotaExhausted)]
    [InlineData(429, "Too Many Requests", true, KnowBe4FailureKind.RateLimited)]
    [InlineData(429, "", true, KnowBe4FailureKind.RateLimited)]
    [InlineData(500, "Internal Server Error", false, KnowBe4FailureKind.Unauthorized)]
    [InlineData(500, "Internal Server Error", true, KnowBe4FailureKind.ServerError)]
    [InlineData(502, "", false, KnowBe4FailureKind.ServerError)]
    [InlineData(503, "", true, KnowBe4FailureKind.ServerError)]
    [InlineData(302, "", true, KnowBe4FailureKind.Redirected)]
    public void StatusCodesMapToFailureKinds(int statusCode, string serverText, bool hasAuthenticated, KnowBe4FailureKind expected)
    {
        Assert.Equal(expected, KnowBe4Failures.Classify(statusCode, serverText, hasAuthenticated));
    }

    [Fact]
    public void ServerTextPrefersTheJsonMessage()
    {
        Assert.Equal("Limit Exceeded", KnowBe4Failures.ServerText("""{"message":"Limit Exceeded"}"""u8, "k"));
        Assert.Equal("bad", KnowBe4Failures.ServerText("""{"error":"bad"}"""u8, "k"));
        Assert.Equal("<html>oops</html>", KnowBe4Failures.ServerText("<html>oops</html>"u8, "k"));
        Assert.Equal("", KnowBe4Failures.ServerText(""u8, "k"));
    }

    [Fact]
    public void ExcerptIsOneShortLineWithTheKeyMasked()
    {
        const string key = "SECRET-KEY-123";
        var text = "line one\r\n\tline two with " + key + " inside\u001b[31m " + new string('x', 500);

        var excerpt = KnowBe4Failures.Excerpt(text, key);

        Assert.DoesNotContain(key, excerpt, StringComparison.Ordinal);
        Assert.Contains("********", excerpt, StringComparison.Ordinal);
        Assert.StartsWith("line one line two with ******** inside", excerpt, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', excerpt);
        Assert.DoesNotContain('\u001b', excerpt);
        Assert.True(excerpt.Length <= KnowBe4Failures.MaxExcerptChars + 1, $"length {excerpt.Length}");
        Assert.EndsWith("…", excerpt, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyIsMaskedBeforeTheExcerptIsCutSoNoPrefixSurvives()
    {
        const string key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var text = new string('y', KnowBe4Failures.MaxExcerptChars - 10) + key;

        var excerpt = KnowBe4Failures.Excerpt(KnowBe4Failures.ServerText(Encoding.UTF8.GetBytes(text), key), key);

        Assert.DoesNotContain("ABCDEFGHIJ", excerpt, StringComparison.Ordinal);
    }

    [Fact]
    public void DescribeNamesEndpointStatusMeaningAndRetryAfter()
    {
        var message = KnowBe4Failures.Describe("GET /events", 429, KnowBe4FailureKind.RateLimited, TimeSpan.FromSeconds(3), "Too Many Requests");

        Assert.Equal("GET /events: HTTP 429: rate limited (KnowBe4 allows 4 requests per second); retry after 3 s (server said: Too Many Requests)", message);
    }
}
