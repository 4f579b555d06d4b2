namespace Kb4Collector.KnowBe4;

/// <summary>
/// A failed User Event API call. <see cref="Exception.Message"/> names the endpoint and the status and never contains the API key.
/// </summary>
public sealed class KnowBe4ApiException : Exception
{
    public KnowBe4ApiException(KnowBe4FailureKind kind, string endpoint, int? statusCode, string message, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Endpoint = endpoint;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public KnowBe4FailureKind Kind { get; }

    /// <summary>Method and path, for example <c>GET /events</c>; never a query string holding secrets, never the key.</summary>
    public string Endpoint { get; }

    /// <summary>The HTTP status, when an HTTP answer arrived.</summary>
    public int? StatusCode { get; }

    /// <summary>The server's <c>Retry-After</c> (seconds or a date, turned into a delay), when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }
}
