namespace Kb4Collector.Delivery;

/// <summary>
/// The HTTP log endpoint did not accept a batch (refused, 5xx, 429, 408, timeout or network failure).
/// A first-party failure: the events stay undelivered and the checkpoint does not move.
/// </summary>
public sealed class SinkException : Exception
{
    public SinkException(string endpoint, int? statusCode, string message, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Endpoint = endpoint;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    /// <summary>The sink's URL without credentials or query string.</summary>
    public string Endpoint { get; }

    public int? StatusCode { get; }

    public TimeSpan? RetryAfter { get; }
}
