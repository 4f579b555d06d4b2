using Microsoft.Extensions.Logging;

namespace Kb4Collector.Reporting;

internal static partial class Log
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Source {DataType}: {Created} new and {Updated} changed records delivered, {Calls} Reporting calls; next poll in {NextPoll}")]
    public static partial void PollSummary(ILogger logger, string dataType, int created, int updated, int calls, string nextPoll);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "Source {DataType}: the Reporting burst limit ({PerBurst} calls a minute) is reached; the pass resumes in {Wait}")]
    public static partial void BurstPause(ILogger logger, string dataType, int perBurst, string wait);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Source {DataType}: KnowBe4 answered 429 on {Endpoint}; the data type is parked until {Until} ({Limit} window)")]
    public static partial void Parked(ILogger logger, string dataType, string endpoint, DateTimeOffset until, ReportingLimit limit);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Information, Message = "Source {DataType}: phishing test {PstId} is closed and quiet since {QuietSince}; its recipients are no longer read")]
    public static partial void TestRetired(ILogger logger, string dataType, string pstId, DateTimeOffset quietSince);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Information, Message = "Source {DataType}: the Reporting key's daily budget is {Budget} calls ({Seats} seats)")]
    public static partial void BudgetSet(ILogger logger, string dataType, int budget, int seats);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Warning, Message = "Source {DataType}: the sink refused {Count} records one by one; they are kept as dead letters")]
    public static partial void DeadLettered(ILogger logger, string dataType, int count);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Information, Message = "Source {DataType}: retrying {Endpoint} after {Failure} (attempt {Attempt})")]
    public static partial void Retrying(ILogger logger, string dataType, string endpoint, string failure, int attempt);

    [LoggerMessage(EventId = 9008, Level = LogLevel.Information, Message = "Source {DataType}: {Endpoint} refused the saved cursor ({Failure}); the list starts over from its beginning")]
    public static partial void CursorRefused(ILogger logger, string dataType, string endpoint, string failure);

    [LoggerMessage(EventId = 9009, Level = LogLevel.Warning, Message = "Source {DataType}: the Reporting key's daily budget ({Scheduled} scheduled calls, {Left} left in the window) does not pay for every data type's schedule on the key; this one polls every {Effective} instead of {Configured}")]
    public static partial void ScheduleStretched(ILogger logger, string dataType, string effective, string configured, int scheduled, int left);

    [LoggerMessage(EventId = 9010, Level = LogLevel.Information, Message = "Source {DataType}: the Reporting key's budget pays for the configured schedule again; polls every {Configured}")]
    public static partial void ScheduleRestored(ILogger logger, string dataType, string configured);

    [LoggerMessage(EventId = 9011, Level = LogLevel.Information, Message = "Source {DataType}: {Records} records the sink had accepted before a failed write are now stored")]
    public static partial void HeldCommitted(ILogger logger, string dataType, int records);

    [LoggerMessage(EventId = 9012, Level = LogLevel.Warning, Message = "Source {DataType}: {Records} records the sink accepted could not be stored before the stop (the data folder refuses writes); they will be sent again at the next start")]
    public static partial void HeldLostAtStop(ILogger logger, string dataType, int records);
}
