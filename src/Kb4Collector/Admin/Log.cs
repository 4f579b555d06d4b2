using Microsoft.Extensions.Logging;

namespace Kb4Collector.Admin;

internal static partial class Log
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Replay of the dead letters of source \"{SourceName}\" stopped: {Reason}")]
    public static partial void ReplayFailed(ILogger logger, string sourceName, string reason);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Console sign-in from {RemoteAddress}")]
    public static partial void SignedIn(ILogger logger, System.Net.IPAddress? remoteAddress);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Console sign-in refused from {RemoteAddress}: wrong admin token")]
    public static partial void SignInRefused(ILogger logger, System.Net.IPAddress? remoteAddress);
}
