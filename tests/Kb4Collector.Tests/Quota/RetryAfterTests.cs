using System.Net;
using Kb4Collector.Quota;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Quota;

public sealed class RetryAfterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 10, 21, 7, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData("120", 120)]
    [InlineData(" 0 ", 0)]
    [InlineData("Wed, 21 Oct 2026 07:28:00 GMT", 1_680)]
    [InlineData("Wed, 21 Oct 2026 06:00:00 GMT", 0)]        // a date in the past: go now
    [InlineData("999999999", 86_400)]                       // capped at a day
    [InlineData("Thu, 29 Oct 2026 07:00:00 GMT", 86_400)]
    public void ParsesSecondsAndDatesOnTheInjectedClock(string value, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RetryAfter.Parse(value, _time));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public void UnreadableValuesMeanNoAdvice(string? value)
    {
        Assert.Null(RetryAfter.Parse(value, _time));
    }

    [Fact]
    public void ReadsTheResponseHeader()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("Retry-After", "Wed, 21 Oct 2026 07:01:30 GMT");

        Assert.Equal(TimeSpan.FromSeconds(90), RetryAfter.From(response, _time));
        using var without = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        Assert.Null(RetryAfter.From(without, _time));
    }
}
