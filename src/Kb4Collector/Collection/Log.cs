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

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Source {SourceId}: stored checkpoint (version {Version}) was for another query; starting cleanly")]
    public static partial void CheckpointVoided(ILogger logger, string sourceId, int version);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Source {SourceId}: the daily call budget is spent; collection resumes at {ResetsAt}")]
    public static partial void BudgetExhausted(ILogger logger, string sourceId, DateTimeOffset resetsAt);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Source {SourceId}: the sink refused {Count} events one by one; they are kept as dead letters")]
    public static partial void DeadLettered(ILogger logger, string sourceId, int count);
}
