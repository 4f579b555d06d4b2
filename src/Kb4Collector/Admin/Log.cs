using Microsoft.Extensions.Logging;

namespace Kb4Collector.Admin;

internal static partial class Log
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Replay of the dead letters of source \"{SourceName}\" stopped: {Reason}")]
    public static partial void ReplayFailed(ILogger logger, string sourceName, string reason);
}
