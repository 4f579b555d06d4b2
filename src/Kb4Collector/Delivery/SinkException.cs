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

    /// <summary>
    /// What the failed <see cref="HttpLogSink.SendAsync"/> call had settled before it stopped: the first
    /// <see cref="DeliveryReport.Settled"/> events of its input were accepted or dead-lettered; the rest were not delivered
    /// (the failed request itself may have been partly ingested, which is why a retry can duplicate events).
    /// </summary>
    public DeliveryReport Delivered { get; init; }
}
