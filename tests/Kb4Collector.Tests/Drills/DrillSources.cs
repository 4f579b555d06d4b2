namespace Kb4Collector.Tests.Drills;

/// <summary>Source files and daemon settings the out-of-process drills share.</summary>
internal static class DrillSources
{
    /// <summary>A KnowBe4 source on the emulator: polled every second, history from ten days back.</summary>
    public static string Json(string name, Uri baseUrl, string key) =>
        "{\"api.version\":\"v1\",\"source\":{\"schemaRef\":{\"type\":\"KnowBe4\"},\"sourceType\":\"Universal\",\"config\":{"
        + $"\"name\":\"{name}\",\"category\":\"security/knowbe4\",\"baseURL\":\"{baseUrl}\",\"apiKey\":\"{key}\","
        + "\"licensedUsers\":50000,\"pollingInterval\":1,\"initialLookback\":\"10d\"}}}";

    /// <summary>The daemon's settings: the receiver, loopback sources allowed, the admin endpoint on a free port.</summary>
    public static Dictionary<string, string> Settings(Uri sink, string? sinkToken = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Collector:Name"] = "drill-collector",
            ["Collector:Admin:Listen"] = "127.0.0.1:0",
            ["Collector:AllowLoopbackBaseUrl"] = "true",
            ["Collector:Sink:Url"] = sink.ToString(),
            ["Collector:SourcesRescanSeconds"] = "1",
        };
        if (sinkToken is not null)
        {
            settings["Collector:Sink:Token"] = sinkToken;
        }
        return settings;
    }
}
