using Microsoft.Extensions.Logging;

namespace Kb4Collector.Lifecycle;

internal static partial class Log
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Source {SourceName} moved from {From} to {To}")]
    public static partial void Transitioned(this ILogger logger, string sourceName, SourceState from, SourceState to);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Source {SourceName} failed ({ErrorClass}), retry {RetryCount} at {NextAttemptAt:o}: {Reason}")]
    public static partial void WillRetry(this ILogger logger, string sourceName, ErrorClass errorClass, int retryCount, DateTimeOffset nextAttemptAt, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Source {SourceName} failed ({ErrorClass}) and will not retry until its configuration changes or it is restarted: {Reason}")]
    public static partial void ConfigurationFailure(this ILogger logger, string sourceName, ErrorClass errorClass, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Source {SourceName} stopped retrying: the retry window that opened at {FirstFailureAt:o} closed at {WindowEndsAt:o} ({ErrorClass}): {Reason}")]
    public static partial void RetriesStopped(this ILogger logger, string sourceName, ErrorClass errorClass, DateTimeOffset firstFailureAt, DateTimeOffset windowEndsAt, string reason);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Source {SourceName} recovered after {RetryCount} retries since {FirstFailureAt:o}")]
    public static partial void Recovered(this ILogger logger, string sourceName, int retryCount, DateTimeOffset firstFailureAt);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Source {SourceName} waits for the KnowBe4 daily quota to reset at {ResumeAt:o}: {Reason}")]
    public static partial void QuotaWait(this ILogger logger, string sourceName, DateTimeOffset resumeAt, string reason);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Source {SourceName}: {Command} applied")]
    public static partial void CommandApplied(this ILogger logger, string sourceName, string command);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "Source {SourceName}: could not store {What} ({Reason}); the source keeps running and stores it again on its next step")]
    public static partial void StoreFailed(this ILogger logger, string sourceName, string what, string reason);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "Source {SourceName} resumed from storage in {State} (error class {ErrorClass}, first failure {FirstFailureAt:o})")]
    public static partial void Resumed(this ILogger logger, string sourceName, SourceState state, ErrorClass? errorClass, DateTimeOffset? firstFailureAt);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Source {SourceName}: its retry window ({ErrorClass}) ran out at {WindowEndsAt:o} while the daemon was down; trying again now, with a new window if it fails")]
    public static partial void WindowRanOutWhileDown(this ILogger logger, string sourceName, DateTimeOffset windowEndsAt, ErrorClass errorClass);
}
