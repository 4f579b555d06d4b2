using Microsoft.Extensions.Logging;

namespace Kb4Collector.Collection;

internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Source {SourceId}: day {Day} changed from {Known} to {Count} events; reading it again")]
    public static partial void DayChanged(ILogger logger, string sourceId, DateOnly day, long known, long count);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Source {SourceId}: day {Day} shifted since the last read; reading it in full")]
    public static partial void DayShifted(ILogger logger, string sourceId, DateOnly day);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Source {SourceId}: day {Day} changed while read (attempt {Attempt}: {Distinct} distinct events, {Total} reported)")]
    public static partial void DayChangedWhileRead(ILogger logger, string sourceId, DateOnly day, int attempt, int distinct, long total);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Source {SourceId}: the account's event count moved by {Change} outside the tracked days (events older than the backdate horizon created or deleted, or the first run's count catching up with arrivals during its reads)")]
    public static partial void ChangeOutsideHorizon(ILogger logger, string sourceId, long change);

    [LoggerMessage(EventId = 3017, Level = LogLevel.Information, Message = "Source {SourceId}: {Change} events changed on past days; counting the {Days} tracked days to find them waits for a poll today's budget pays for")]
    public static partial void DayWalkDeferred(ILogger logger, string sourceId, long change, int days);

    [LoggerMessage(EventId = 3018, Level = LogLevel.Warning, Message = "Source {SourceId}: {Events} events the sink accepted could not be committed before the stop (the data directory still refuses writes); they will be sent again at the next start")]
    public static partial void HeldLostAtStop(ILogger logger, string sourceId, int events);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Source {SourceId}: stored checkpoint (version {Version}) was for another query; starting cleanly")]
    public static partial void CheckpointVoided(ILogger logger, string sourceId, int version);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Source {SourceId}: the daily call budget is spent; collection resumes at {ResetsAt}")]
    public static partial void BudgetExhausted(ILogger logger, string sourceId, DateTimeOffset resetsAt);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Source {SourceId}: the sink refused {Count} events one by one; they are kept as dead letters")]
    public static partial void DeadLettered(ILogger logger, string sourceId, int count);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "Source {SourceId}: first run's scan done: {Days} days tracked holding {Events} events, {Calls} calls")]
    public static partial void InitialScanDone(ILogger logger, string sourceId, int days, long events, int calls);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "Source {SourceId}: the sink took {Settled} of {Total} events before refusing; those are committed and only the rest will be sent again")]
    public static partial void PartlyDelivered(ILogger logger, string sourceId, int settled, int total);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Source {SourceId}: the commit of {Events} accepted events that had failed is now stored")]
    public static partial void HeldCommitted(ILogger logger, string sourceId, int events);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Source {SourceId}: delivering what was read before the failure did not complete ({ErrorType}: {Reason}); it will be read again")]
    public static partial void SalvageFailed(ILogger logger, string sourceId, string errorType, string reason);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "Source {SourceId}: checkpoint of version 1 carried over (days and seen ids kept)")]
    public static partial void CheckpointMigrated(ILogger logger, string sourceId);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Information, Message = "Source {SourceName}: collection plan: {Plan}")]
    public static partial void PlanChanged(ILogger logger, string sourceName, string plan);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "Source {SourceName}: KnowBe4 {Endpoint} failed ({Reason}); retry {Attempt} in {DelayMilliseconds} ms")]
    public static partial void RetryingCall(ILogger logger, string sourceName, string endpoint, string reason, int attempt, long delayMilliseconds);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "Source {SourceName}: poll delivered {Events} events with {Calls} calls; next poll in {NextPoll}")]
    public static partial void PollSummary(ILogger logger, string sourceName, int events, int calls, string nextPoll);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Information, Message = "Source {SourceName}: idle, {Polls} polls since the last summary; next poll in {NextPoll}")]
    public static partial void IdleHeartbeat(ILogger logger, string sourceName, int polls, string nextPoll);
}
