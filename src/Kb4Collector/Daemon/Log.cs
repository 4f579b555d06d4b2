using Microsoft.Extensions.Logging;

namespace Kb4Collector.Daemon;

internal static partial class Log
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Source \"{SourceName}\" ({SourceId}) started")]
    public static partial void SourceStarted(ILogger logger, string sourceName, string sourceId);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Source \"{SourceName}\" was edited (query changed: {QueryChanged}); it goes back to Pending")]
    public static partial void SourceUpdated(ILogger logger, string sourceName, bool queryChanged);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Source \"{SourceName}\" was removed from its file; it stopped and its state was deleted")]
    public static partial void SourceDeleted(ILogger logger, string sourceName);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Restart of source \"{SourceName}\" requested")]
    public static partial void RestartRequested(ILogger logger, string sourceName);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Shutdown: {Count} sources did not finish their batch in time and were aborted; the next start sends that batch again")]
    public static partial void StopAborted(ILogger logger, int count);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "The admin endpoint listens on {Listen}, which is not a loopback address: anyone who can reach it and holds the token can restart sources")]
    public static partial void AdminExposed(ILogger logger, string listen);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Error, Message = "No source collects: {Problem}")]
    public static partial void StorageUnavailable(ILogger logger, string problem);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Error, Message = "Local storage failed ({ErrorType}: {Reason}); every source stops until it is recovered")]
    public static partial void StorageFailed(ILogger logger, string errorType, string reason);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Warning, Message = "{Problem}")]
    public static partial void TokenFileTightened(ILogger logger, string problem);

    [LoggerMessage(EventId = 7090, Level = LogLevel.Information, Message = "Source \"{PreviousName}\" was renamed to \"{SourceName}\" (same host and key): its checkpoint and seen ids carry over")]
    public static partial void SourceRenamed(ILogger logger, string previousName, string sourceName);

    [LoggerMessage(EventId = 7091, Level = LogLevel.Information, Message = "Source \"{SourceName}\" took over the checkpoint of {PreviousId}, a source of the same host and key no longer configured (renamed while the daemon was down)")]
    public static partial void SourceAdoptedCheckpoint(ILogger logger, string sourceName, string previousId);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "This collector is shard {Shard}: it collects only the sources whose API key hashes to it")]
    public static partial void ShardAssigned(ILogger logger, Sharding.ShardAssignment shard);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Information, Message = "SIGHUP: reading the source files again")]
    public static partial void ReloadSignalled(ILogger logger);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Debug, Message = "The daemon could not start")]
    public static partial void StartupFailed(ILogger logger, Exception exception);
}
