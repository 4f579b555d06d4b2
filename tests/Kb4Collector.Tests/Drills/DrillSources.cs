using Kb4Collector.Emulator;

namespace Kb4Collector.Tests.Drills;

/// <summary>The emulator, source files and daemon settings the drills share.</summary>
internal static class DrillSources
{
    /// <summary>An emulated account on loopback Kestrel, on the real clock, without KnowBe4's limits.</summary>
    public static Task<KnowBe4Emulator> StartEmulatorAsync(string key, int backlog, int days, double arrivalsPerMinute, int seed, int seats = 50_000, IReadOnlyList<EmulatorFault>? faults = null) =>
        KnowBe4Emulator.StartAsync(
            new EmulatorOptions
            {
                Scenario = new EmulatorScenario
                {
                    Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = seats, ApiKeys = [key] }],
                    Backlog = new EmulatorBacklog { Events = backlog, Days = days },
                    Arrivals = new EmulatorArrivals { PerMinute = arrivalsPerMinute },
                    Limits = EmulatorLimits.Off,
                    Faults = faults ?? [],
                    Seed = seed,
                },
            },
            TestContext.Current.CancellationToken);

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
