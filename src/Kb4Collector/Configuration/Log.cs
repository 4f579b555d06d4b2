using Microsoft.Extensions.Logging;

namespace Kb4Collector.Configuration;

internal static partial class Log
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Sources reloaded ({Trigger}) from {SourcesPath}: {SourceCount} sources, {ErrorCount} errors, {WarningCount} warnings")]
    public static partial void Reloaded(ILogger logger, ReloadTrigger trigger, string sourcesPath, int sourceCount, int errorCount, int warningCount);

    [LoggerMessage(EventId = 601, Level = LogLevel.Error, Message = "Source configuration error: {Problem}")]
    public static partial void ConfigError(ILogger logger, string problem);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Source configuration warning: {Problem}")]
    public static partial void ConfigWarning(ILogger logger, string problem);

    [LoggerMessage(EventId = 603, Level = LogLevel.Information, Message = "Source {SourceName} ({SourceId}) added from {SourceFile}")]
    public static partial void SourceAdded(ILogger logger, string sourceName, string sourceId, string sourceFile);

    [LoggerMessage(EventId = 604, Level = LogLevel.Information, Message = "Source {SourceName} ({SourceId}) updated; query changed: {QueryChanged}")]
    public static partial void SourceUpdated(ILogger logger, string sourceName, string sourceId, bool queryChanged);

    [LoggerMessage(EventId = 605, Level = LogLevel.Information, Message = "Source {SourceName} ({SourceId}) removed")]
    public static partial void SourceRemoved(ILogger logger, string sourceName, string sourceId);

    [LoggerMessage(EventId = 606, Level = LogLevel.Warning, Message = "Source {SourceName} ({SourceId}) keeps its last good definition: {SourceFile} or its entry is currently broken")]
    public static partial void SourceRetained(ILogger logger, string sourceName, string sourceId, string sourceFile);

    [LoggerMessage(EventId = 607, Level = LogLevel.Warning, Message = "Not watching {SourcesPath} for changes ({Reason}); the periodic rescan still applies them")]
    public static partial void WatchUnavailable(ILogger logger, string sourcesPath, string reason);

    [LoggerMessage(EventId = 608, Level = LogLevel.Warning, Message = "File watcher for {SourcesPath} failed; rescanning and starting a new watcher")]
    public static partial void WatchError(ILogger logger, Exception exception, string sourcesPath);

    [LoggerMessage(EventId = 609, Level = LogLevel.Error, Message = "Reloading sources from {SourcesPath} failed; the current sources stay in force")]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string sourcesPath);
}
