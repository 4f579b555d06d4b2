using Kb4Collector.Delivery;

namespace Kb4Collector.Tests.Delivery;

public sealed class SinkEndpointTests
{
    /// <summary>Found by the secrets drill: a sink answer echoing the request's query showed its token in the log and health events.</summary>
    [Fact]
    public void AnAnswerEchoingTheQueryShowsNoneOfItsValues()
    {
        var url = new Uri("https://logs.example.com/receiver/v1/http/CODE-123456?token=Q%2BSECRET-77&channel=chan-0042");

        var redacted = SinkEndpoint.Redact("refused /receiver/v1/http/CODE-123456?token=Q%2BSECRET-77&channel=chan-0042 (Q+SECRET-77)", url, token: null);

        Assert.DoesNotContain("SECRET", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("chan-0042", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("CODE-123456", redacted, StringComparison.Ordinal);
        Assert.Equal("https://logs.example.com/receiver/v1/http/********", SinkEndpoint.Describe(url));
    }
}
