using System.Threading.RateLimiting;

namespace Kb4Collector.Quota;

/// <summary>
/// Waits for a permit of <paramref name="limiter"/> before each request, so every call through the HttpClient is paced
/// without the caller knowing. A refused permit (queue full or limiter disposed) fails the request with
/// <see cref="HttpRequestException"/>, like a network failure, without reaching the server.
/// </summary>
public sealed class RateLimitingHandler(RateLimiter limiter) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (var lease = await limiter.AcquireAsync(1, cancellationToken))
        {
            if (!lease.IsAcquired)
            {
                throw new HttpRequestException("The API key's request pacing refused the request (too many waiting).");
            }
        }
        return await base.SendAsync(request, cancellationToken);
    }
}
