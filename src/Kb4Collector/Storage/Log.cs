using Microsoft.Extensions.Logging;

namespace Kb4Collector.Storage;

internal static partial class Log
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Retention: deleted {CallHistory} call-history entries, {HealthEvents} resolved health events and {DeadLetters} dead letters past their retention")]
    public static partial void Pruned(ILogger logger, int callHistory, int healthEvents, int deadLetters);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Retention: pruning the database failed ({ErrorType}: {Reason}); it is tried again in an hour")]
    public static partial void PruneFailed(ILogger logger, string errorType, string reason);
}
