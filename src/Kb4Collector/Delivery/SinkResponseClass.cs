namespace Kb4Collector.Delivery;

/// <summary>What an HTTP status from the log endpoint means for the events in the request.</summary>
internal enum SinkResponseClass
{
    /// <summary>2xx: delivered.</summary>
    Accepted,

    /// <summary>400/413/422: the content was refused; split the batch, and dead-letter a single event.</summary>
    Refused,

    /// <summary>Everything else (408, 429, 5xx, 401/403/404, 3xx redirects, which are never followed): the endpoint is not taking data now; the caller retries.</summary>
    Retry,
}

internal static class SinkResponseClassifier
{
    public static SinkResponseClass Classify(int statusCode) => statusCode switch
    {
        >= 200 and < 300 => SinkResponseClass.Accepted,
        400 or 413 or 422 => SinkResponseClass.Refused,
        _ => SinkResponseClass.Retry,
    };
}
