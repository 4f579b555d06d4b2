using System.Text.Json;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Configuration;

/// <summary>What a "KnowBe4 KMSAT" config says beyond a "KnowBe4" one: whether User Events run (and on which key), and the Reporting side.</summary>
internal readonly record struct KmsatConfig(bool CollectUserEvents, (string Key, string Reference)? UserEventKey, ReportingSettings? Reporting);

/// <summary>
/// Sumo's "KnowBe4 KMSAT" schema in both documented shapes: KB4-v2 (<c>region</c>, one <c>apiKey</c>,
/// <c>dataTypes</c>, <c>phishingPollInterval</c>) and KB4-v3 (<c>collectPhishingTests</c>, <c>collectExternalEvents</c>,
/// <c>apiKeyPhishing</c>, <c>apiKeyEvent</c>, <c>phishingPollInterval</c>), plus this collector's training and
/// risk-score data types, their intervals, <c>reportingBaseURL</c>, <c>phishingQuietPeriod</c> and <c>reportingDailyCallBudget</c>.
/// </summary>
internal sealed partial class SourceEntryValidator
{
    public const string KmsatSchema = "KnowBe4 KMSAT";

    /// <summary>Sumo's <c>phishingPollInterval</c> is whole hours from 1 to 24; a duration string below an hour is accepted with a warning.</summary>
    public static readonly TimeSpan MaxReportingPollInterval = TimeSpan.FromHours(24);
    public static readonly TimeSpan MaxQuietPeriod = TimeSpan.FromDays(365);

    private static readonly string[] Switches = ["collectPhishingTests", "collectExternalEvents", "collectTrainingEnrollments", "collectUserRiskScores"];

    private static readonly string[] ReportingOnlyKeys =
    [
        "dataTypes", "collectPhishingTests", "collectExternalEvents", "collectTrainingEnrollments", "collectUserRiskScores",
        "apiKeyPhishing", "apiKeyEvent", "phishingPollInterval", "trainingPollInterval", "riskScorePollInterval",
        "phishingQuietPeriod", "reportingBaseURL", "reportingDailyCallBudget",
    ];

    /// <summary>A "KnowBe4" (User Event) source with Reporting keys: a warning that says where they belong (the source runs as before).</summary>
    private static KmsatConfig RefuseKmsatKeys(JsonObjectScope scope, ProblemSink sink)
    {
        foreach (var key in ReportingOnlyKeys.Where(key => scope.TryGet(key, out _)))
        {
            sink.Warning(scope.PathOf(key), $"ignored: it belongs to Sumo's \"{KmsatSchema}\" schema (Reporting API data types); set \"schemaRef\": {{\"type\": \"{KmsatSchema}\"}} to use it");
        }
        return new KmsatConfig(true, null, null);
    }

    private KmsatConfig ReadKmsat(string file, JsonObjectScope scope, Uri? userEventBaseUrl, ProblemSink sink)
    {
        var types = new List<ReportingDataType>();
        bool collectUserEvents;
        if (scope.TryGet("dataTypes", out var dataTypes))
        {
            // KB4-v2: the data types listed, every one on the one apiKey.
            collectUserEvents = ReadDataTypes(scope, dataTypes, types, sink);
            foreach (var switchKey in Switches.Where(switchKey => scope.TryGet(switchKey, out _)))
            {
                sink.Error(scope.PathOf(switchKey), "give the data types either as \"dataTypes\" (KB4-v2) or as \"collect…\" switches (KB4-v3), not both");
            }
        }
        else
        {
            // KB4-v3: switches, phishing tests on by default, external events off by default (as in Sumo's table).
            if (ReadSwitch(scope, "collectPhishingTests", true, sink))
            {
                types.Add(ReportingDataType.PhishingTests);
            }
            if (ReadSwitch(scope, "collectTrainingEnrollments", false, sink))
            {
                types.Add(ReportingDataType.TrainingEnrollments);
            }
            if (ReadSwitch(scope, "collectUserRiskScores", false, sink))
            {
                types.Add(ReportingDataType.UserRiskScores);
            }
            collectUserEvents = ReadSwitch(scope, "collectExternalEvents", false, sink);
        }
        if (types.Count == 0 && !collectUserEvents)
        {
            sink.Error(scope.PathOf(scope.TryGet("dataTypes", out _) ? "dataTypes" : "collectPhishingTests"), "the source collects nothing: turn on at least one data type");
        }

        var sharedKey = scope.TryGet("apiKey", out _) ? ReadKey(file, scope, "apiKey", sink) : null;
        var reportingKey = scope.TryGet("apiKeyPhishing", out _) ? ReadKey(file, scope, "apiKeyPhishing", sink) : sharedKey;
        var eventKey = scope.TryGet("apiKeyEvent", out _) ? ReadKey(file, scope, "apiKeyEvent", sink) : sharedKey;
        if (types.Count > 0 && reportingKey is null && !scope.TryGet("apiKeyPhishing", out _) && !scope.TryGet("apiKey", out _))
        {
            sink.Error("config.apiKeyPhishing", "missing: give the KnowBe4 Reporting API key (Reporting and User Event keys differ), or a reference to it (env:NAME or file:/path)");
        }
        if (collectUserEvents && eventKey is null && !scope.TryGet("apiKeyEvent", out _) && !scope.TryGet("apiKey", out _))
        {
            sink.Error("config.apiKeyEvent", "missing: give the KnowBe4 User Event API key for external events, or a reference to it (env:NAME or file:/path)");
        }

        var phishing = ReadReportingInterval(scope, "phishingPollInterval", ReportingSettings.DefaultPhishingPollInterval, sink);
        var training = ReadReportingInterval(scope, "trainingPollInterval", ReportingSettings.DefaultTrainingPollInterval, sink);
        var risk = ReadReportingInterval(scope, "riskScorePollInterval", ReportingSettings.DefaultRiskScorePollInterval, sink);
        var quiet = ReadDuration(scope, "phishingQuietPeriod", ReportingSettings.DefaultQuietPeriod, TimeSpan.FromSeconds(1), MaxQuietPeriod, sink);
        var budget = ReadPositiveInteger(scope, "reportingDailyCallBudget", sink);
        var reportingUrl = ReadReportingBaseUrl(scope, userEventBaseUrl, sink);

        ReportingSettings? reporting = null;
        if (types.Count > 0 && reportingKey is { } key && reportingUrl is not null)
        {
            reporting = new ReportingSettings
            {
                BaseUrl = reportingUrl,
                ApiKey = key.Key,
                ApiKeyReference = key.Reference,
                DataTypes = types,
                PhishingPollInterval = phishing,
                TrainingPollInterval = training,
                RiskScorePollInterval = risk,
                QuietPeriod = quiet,
                DailyCallBudget = budget,
            };
        }
        // A source without User Events still needs a key to be known by (sharding, renames): its Reporting key.
        return new KmsatConfig(collectUserEvents, collectUserEvents ? eventKey : reportingKey, reporting);
    }

    /// <summary>Reads <c>dataTypes</c> into <paramref name="types"/>; true when it lists <c>externalEvents</c> (User Events).</summary>
    private static bool ReadDataTypes(JsonObjectScope scope, JsonElement element, List<ReportingDataType> types, ProblemSink sink)
    {
        var field = scope.PathOf("dataTypes");
        if (element.ValueKind != JsonValueKind.Array)
        {
            sink.Error(field, $"must be an array like [\"phishingTests\"], not {Text.Describe(element.ValueKind)}");
            return false;
        }
        var userEvents = false;
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var itemField = $"{field}[{index++}]";
            if (item.ValueKind != JsonValueKind.String)
            {
                sink.Error(itemField, $"must be a string, not {Text.Describe(item.ValueKind)}");
                continue;
            }
            var text = item.GetString()!;
            if (text == ReportingDataTypes.ExternalEvents)
            {
                userEvents = true;
            }
            else if (ReportingDataTypes.TryParse(text, out var type))
            {
                if (!types.Contains(type))
                {
                    types.Add(type);
                }
            }
            else
            {
                var close = ReportingDataTypes.Accepted.FirstOrDefault(known => string.Equals(known, text, StringComparison.OrdinalIgnoreCase));
                sink.Error(itemField, close is not null
                    ? $"values are case-sensitive: write {Text.Quote(close)}, not {Text.Quote(text)}"
                    : $"unknown data type {Text.Quote(text)}; expected one of {string.Join(", ", ReportingDataTypes.Accepted)}");
            }
        }
        return userEvents;
    }

    private static bool ReadSwitch(JsonObjectScope scope, string key, bool defaultValue, ProblemSink sink)
    {
        if (!scope.TryGet(key, out var element))
        {
            return defaultValue;
        }
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return element.GetBoolean();
        }
        sink.Error(scope.PathOf(key), $"must be true or false, not {Text.Describe(element.ValueKind)}");
        return defaultValue;
    }

    private (string Key, string Reference)? ReadKey(string file, JsonObjectScope scope, string key, ProblemSink sink)
    {
        var field = scope.PathOf(key);
        if (!scope.TryGet(key, out var element))
        {
            return null;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            sink.Error(field, $"must be a string, not {Text.Describe(element.ValueKind)}");
            return null;
        }
        return _keyResolver.Resolve(element.GetString()!, file, sink, field);
    }

    /// <summary>Sumo's whole hours (1–24), or a duration string such as <c>"10s"</c> (below an hour: a warning, for tests and demos).</summary>
    private static TimeSpan ReadReportingInterval(JsonObjectScope scope, string key, TimeSpan defaultValue, ProblemSink sink)
    {
        var field = scope.PathOf(key);
        if (!scope.TryGet(key, out var element))
        {
            return defaultValue;
        }
        TimeSpan value;
        if (element.ValueKind == JsonValueKind.Number)
        {
            if (!element.TryGetInt32(out var hours) || hours < 1 || hours > 24)
            {
                sink.Error(field, $"must be a whole number of hours from 1 to 24 (as in Sumo), or a duration like \"30m\", not {element.GetRawText()}");
                return defaultValue;
            }
            return TimeSpan.FromHours(hours);
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            sink.Error(field, $"must be a number of hours (1 to 24) or a duration string like \"30m\", not {Text.Describe(element.ValueKind)}");
            return defaultValue;
        }
        var text = element.GetString()!;
        if (!DurationParser.TryParse(text, out value) || value < TimeSpan.FromSeconds(1))
        {
            sink.Error(field, $"{Text.Quote(text)} is not {DurationParser.ExpectedFormat} of at least 1s");
            return defaultValue;
        }
        if (value > MaxReportingPollInterval)
        {
            sink.Error(field, $"must be at most 24h, not {Text.Quote(text)}");
            return defaultValue;
        }
        if (value < TimeSpan.FromHours(1))
        {
            sink.Warning(field, $"{Text.Quote(text)} is below Sumo's one hour: meant for tests and demos; the Reporting limits (50 calls a minute, the daily budget) still cap the real rate");
        }
        return value;
    }

    /// <summary>
    /// <c>reportingBaseURL</c> when given (any KnowBe4 host maps to the region's Reporting host; loopback for the
    /// emulator); else the region's Reporting host (from <c>region</c>, or from the host <c>baseURL</c> names); else, for
    /// the emulator or an allowed host, the same URL as the User Event API.
    /// </summary>
    private Uri? ReadReportingBaseUrl(JsonObjectScope scope, Uri? userEventBaseUrl, ProblemSink sink)
    {
        const string Field = "config.reportingBaseURL";
        if (scope.TryGet("reportingBaseURL", out var element))
        {
            if (element.ValueKind != JsonValueKind.String)
            {
                sink.Error(Field, $"must be a string, not {Text.Describe(element.ValueKind)}");
                return null;
            }
            return ValidateBaseUrl(element.GetString()!, sink, Field, KnowBe4Regions.ReportingBaseUrl);
        }
        if (scope.TryGet("region", out var region) && region.ValueKind == JsonValueKind.String && KnowBe4Regions.TryParse(region.GetString(), out var parsed))
        {
            return options.KnowBe4HostOverride ?? KnowBe4Regions.ReportingBaseUrl(parsed);
        }
        if (userEventBaseUrl is not null && KnowBe4Regions.RegionOf(userEventBaseUrl) is { } fromHost)
        {
            return KnowBe4Regions.ReportingBaseUrl(fromHost);
        }
        return userEventBaseUrl;
    }
}
