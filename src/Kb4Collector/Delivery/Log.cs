using Microsoft.Extensions.Logging;

namespace Kb4Collector.Delivery;

internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Sent {EventCount} events ({BodyBytes} bytes) for {SourceId} to {Endpoint}: {StatusCode}")]
    public static partial void BatchSent(ILogger logger, string sourceId, int eventCount, int bodyBytes, string endpoint, int statusCode);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "The sink {Endpoint} refused a batch of {EventCount} events for {SourceId} with {StatusCode}; splitting it")]
    public static partial void BatchSplit(ILogger logger, string endpoint, int eventCount, string sourceId, int statusCode);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "The sink {Endpoint} refused event {EventId} of {SourceId} with {StatusCode} ({Reason}); kept as a dead letter")]
    public static partial void EventDeadLettered(ILogger logger, string endpoint, string eventId, string sourceId, int statusCode, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Replayed dead letters of {SourceId}: {Accepted} accepted and removed, {StillRefused} still refused")]
    public static partial void DeadLettersReplayed(ILogger logger, string sourceId, int accepted, int stillRefused);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Deleted {Count} dead letters of {SourceId} not retried for {RetentionDays} days (the dead-letter retention)")]
    public static partial void DeadLettersExpired(ILogger logger, string sourceId, int count, int retentionDays);
}
