using System.Net.Http.Headers;

namespace Kb4Collector.Quota;

/// <summary>Reads <c>Retry-After</c> (delta seconds or an HTTP date) as a delay measured on an injected clock.</summary>
public static class RetryAfter
{
    /// <summary>Longer answers are capped: no server gets to park a source for more than a day.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(1);

    /// <summary>The response's <c>Retry-After</c> as a delay from now, or null when it has none (or an unreadable one).</summary>
    public static TimeSpan? From(HttpResponseMessage response, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(response);
        return From(response.Headers.RetryAfter, timeProvider);
    }

    /// <summary>Parses a raw header value such as <c>120</c> or <c>Wed, 21 Oct 2026 07:28:00 GMT</c>.</summary>
    public static TimeSpan? Parse(string? value, TimeProvider timeProvider)
        => RetryConditionHeaderValue.TryParse(value?.Trim(), out var parsed) ? From(parsed, timeProvider) : null;

    private static TimeSpan? From(RetryConditionHeaderValue? value, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        TimeSpan? delay = value switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - timeProvider.GetUtcNow(),
            _ => null,
        };
        if (delay is not { } wait)
        {
            return null;
        }
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxDelay ? MaxDelay : wait;
    }
}
