using System.Text.Json.Nodes;
using Kb4Collector.Emulator;

namespace Kb4Collector.Demo;

/// <summary>
/// What the demo runs: one emulated account with a backlog and live arrivals behind KnowBe4's real limits, and the
/// one source that collects it.
/// </summary>
public static class DemoScenario
{
    public const string AccountName = "Acme Corporation";
    public const string SourceName = "KnowBe4 Demo";
    public const string SourceCategory = "knowbe4/demo";
    public const string CollectorName = "kb4collector-demo";

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// A large enterprise account. Its budget (10 calls per seat per day) is what lets a source poll every couple of
    /// seconds all day: with a few hundred seats the collector would spread the day's calls to one poll a minute or
    /// more, and the demo would show one poll.
    /// </summary>
    public const int Seats = 25_000;

    public const int BacklogEvents = 2_400;
    public const int BacklogDays = 3;
    public const double ArrivalsPerMinute = 150;
    public const int BackdatedMaxDays = 3;

    /// <summary>Below the 60 s the loader warns about: a demo setting (the default is 300 s, like Sumo).</summary>
    public static readonly TimeSpan PollingInterval = TimeSpan.FromSeconds(2);

    /// <summary>Covers the backlog and every backdated arrival, so the whole account is the collected window.</summary>
    public const string InitialLookback = "4d";

    public static EmulatorScenario Emulator { get; } = new()
    {
        Accounts = [new EmulatorAccountSpec { Name = AccountName, Seats = Seats }],
        Backlog = new EmulatorBacklog { Events = BacklogEvents, Days = BacklogDays },
        Arrivals = new EmulatorArrivals
        {
            PerMinute = ArrivalsPerMinute,
            BackdatedFraction = 0.05,
            BackdatedMaxDays = BackdatedMaxDays,
            SameMillisecondFraction = 0.1,
        },
        // KnowBe4's own limits: 4 requests/s and 10 calls per seat per day.
        Limits = new EmulatorLimits { RequestsPerSecond = 4, CallsPerSeatPerDay = 10 },
        // Phishing tests on a demo's time scale: one starts every 30 s and tracks results for 40 s, so recipients open,
        // click and report while the demo runs (the Reporting API's own limits stay on).
        Reporting = new EmulatorReporting
        {
            PhishingTestEvery = TimeSpan.FromSeconds(30),
            PhishingTestDuration = TimeSpan.FromSeconds(40),
            RecipientsPerTest = 25,
            History = TimeSpan.FromSeconds(45),
        },
        Seed = 6,
    };

    /// <summary>How often the demo's source polls phishing results (Sumo's minimum is an hour; accepted with a warning).</summary>
    public const string PhishingPollInterval = "3s";

    /// <summary>
    /// The source file in Sumo's KB4-v3 JSON format ("KnowBe4 KMSAT": external events and phishing tests, each on its own
    /// key). It holds the emulator's generated demo keys: never print it.
    /// </summary>
    public static string SourceFile(Uri emulatorBaseUrl, string demoKey, string reportingKey) => new JsonObject
    {
        ["api.version"] = "v1",
        ["source"] = new JsonObject
        {
            ["schemaRef"] = new JsonObject { ["type"] = "KnowBe4 KMSAT" },
            ["sourceType"] = "Universal",
            ["config"] = new JsonObject
            {
                ["name"] = SourceName,
                ["description"] = "Written by kb4collector demo: the emulated account of this run.",
                ["category"] = SourceCategory,
                ["fields"] = new JsonObject { ["environment"] = "demo" },
                ["baseURL"] = emulatorBaseUrl.AbsoluteUri,
                ["collectExternalEvents"] = true,
                ["apiKeyEvent"] = demoKey,
                ["collectPhishingTests"] = true,
                ["apiKeyPhishing"] = reportingKey,
                ["phishingPollInterval"] = PhishingPollInterval,
                ["licensedUsers"] = Seats,
                ["pollingInterval"] = (int)PollingInterval.TotalSeconds,
                ["initialLookback"] = InitialLookback,
            },
        },
    }.ToJsonString(Indented);
}
