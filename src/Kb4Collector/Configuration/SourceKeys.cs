namespace Kb4Collector.Configuration;

/// <summary>Where a key of a source file comes from.</summary>
public enum KeyOrigin
{
    /// <summary>Documented in Sumo Logic's KnowBe4 source (KB4-v1) or its JSON source format; honoured.</summary>
    Sumo,

    /// <summary>Added by a Sumo export (the Collector Management API's GET) or meaningful only to Sumo's own service; accepted silently and ignored.</summary>
    SumoExport,

    /// <summary>This collector's own addition.</summary>
    Collector,
}

/// <summary>One key a source file may hold, where it comes from and what it does (listed in <c>config/README.md</c>).</summary>
public sealed record SourceKey(string Name, KeyOrigin Origin, string Meaning);

/// <summary>
/// Every key accepted in a source file, per object. Adding a key is one line here (plus the code that reads it);
/// a key not listed draws an "unknown key" warning with a "did you mean" when one is close.
/// </summary>
public static class SourceKeys
{
    /// <summary>
    /// Keys a Sumo export adds (service-assigned, or settings of Sumo's own ingestion that a self-hosted collector has no
    /// use for). Accepted silently at source and config level so an exported file works as is.
    /// </summary>
    public static IReadOnlyList<SourceKey> ExportKeys { get; } =
    [
        new("id", KeyOrigin.SumoExport, "service-assigned id; ignored (the id here is derived from the name)"),
        new("alive", KeyOrigin.SumoExport, "service-assigned; ignored"),
        new("status", KeyOrigin.SumoExport, "service-assigned; ignored"),
        new("state", KeyOrigin.SumoExport, "service-assigned lifecycle state; ignored (the admin endpoint shows the live one)"),
        new("hostName", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored (_sourceHost is Collector:Name)"),
        new("automaticDateParsing", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored"),
        new("multilineProcessingEnabled", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored"),
        new("useAutolineMatching", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored"),
        new("forceTimeZone", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored"),
        new("timeZone", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored"),
        new("defaultDateFormats", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored"),
        new("filters", KeyOrigin.SumoExport, "Sumo processing rules; ignored"),
        new("cutoffTimestamp", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored (use initialLookback)"),
        new("cutoffRelativeTime", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored (use initialLookback)"),
        new("encoding", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored (events are UTF-8 JSON)"),
        new("messagePerRequest", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored"),
        new("contentType", KeyOrigin.SumoExport, "Sumo ingestion setting; ignored"),
    ];

    /// <summary>Keys of the file's top-level object.</summary>
    public static IReadOnlyList<SourceKey> Envelope { get; } =
    [
        new("api.version", KeyOrigin.Sumo, "always \"v1\""),
        new("source", KeyOrigin.Sumo, "one source object"),
        new("sources", KeyOrigin.Sumo, "an array of source objects (instead of \"source\")"),
    ];

    /// <summary>Keys of a source object.</summary>
    public static IReadOnlyList<SourceKey> Source { get; } =
    [
        new("config", KeyOrigin.Sumo, "the source's settings (below)"),
        new("schemaRef", KeyOrigin.Sumo, "{\"type\": \"KnowBe4\"}; \"version\" is accepted and ignored"),
        new("sourceType", KeyOrigin.Sumo, "always \"Universal\""),
        new("fields", KeyOrigin.Sumo, "source-level fields as a Sumo export carries them; merged with config.fields (a key in both with different values is an error)"),
        new("name", KeyOrigin.SumoExport, "source-level copy of config.name in exports; ignored"),
        new("description", KeyOrigin.SumoExport, "source-level copy in exports; ignored"),
        new("category", KeyOrigin.SumoExport, "source-level copy in exports; ignored"),
        .. ExportKeys,
    ];

    /// <summary>Keys of <c>schemaRef</c>.</summary>
    public static IReadOnlyList<SourceKey> SchemaRef { get; } =
    [
        new("type", KeyOrigin.Sumo, "\"KnowBe4\" (User Events), or \"KnowBe4 KMSAT\" (Reporting data types beside User Events, Sumo's KB4-v2/v3)"),
        new("version", KeyOrigin.Sumo, "accepted and ignored"),
    ];

    /// <summary>Keys of <c>config</c>.</summary>
    public static IReadOnlyList<SourceKey> Config { get; } =
    [
        new("name", KeyOrigin.Sumo, "unique name (ignoring case); sent as _sourceName / X-Sumo-Name"),
        new("description", KeyOrigin.Sumo, "free text, at most 1024 characters"),
        new("category", KeyOrigin.Sumo, "sent as _sourceCategory / X-Sumo-Category"),
        new("fields", KeyOrigin.Sumo, "custom fields sent as X-Sumo-Fields; \"_siemForward\": true adds _siemparser"),
        new("baseURL", KeyOrigin.Sumo, "any KnowBe4 host (console, Reporting or User Event API, any region); mapped to the region's User Event API host"),
        new("apiKey", KeyOrigin.Sumo, "the User Event API key, or env:NAME / file:/path"),
        new("region", KeyOrigin.Sumo, "US, EU, CA, UK or DE (instead of, or agreeing with, baseURL)"),
        new("licensedUsers", KeyOrigin.Collector, "seats of the account: the daily budget is 10 calls per seat (optional; a conservative default applies without it)"),
        new("dailyCallBudget", KeyOrigin.Collector, "explicit daily call budget of the key (instead of licensedUsers)"),
        new("pollingInterval", KeyOrigin.Collector, "shortest wait between polls, in seconds (default 300)"),
        new("initialLookback", KeyOrigin.Collector, "history sent at first start, a duration like 24h or 7d, or \"all\" (default 24h)"),
        new("backdateHorizon", KeyOrigin.Collector, "how far back new (backdated) events are looked for, a duration (default 7d)"),
        new("rescanInterval", KeyOrigin.Collector, "how often each tracked day is read again in full, a duration (default 1h)"),
        new("maxQuotaShare", KeyOrigin.Collector, "the share of the key's daily calls the collector may spend (default 0.5)"),
        new("dataTypes", KeyOrigin.Sumo, "KnowBe4 KMSAT (KB4-v2): the data types, of phishingTests, trainingEnrollments, userRiskScores, externalEvents; all on apiKey"),
        new("phishingPollInterval", KeyOrigin.Sumo, "KnowBe4 KMSAT: hours between phishing test polls, 1 to 24 (default 1), or a duration like \"10s\""),
        new("collectPhishingTests", KeyOrigin.Sumo, "KnowBe4 KMSAT (KB4-v3): collect phishing test recipient results (default true)"),
        new("collectExternalEvents", KeyOrigin.Sumo, "KnowBe4 KMSAT (KB4-v3): collect User Events on apiKeyEvent (default false)"),
        new("apiKeyPhishing", KeyOrigin.Sumo, "KnowBe4 KMSAT (KB4-v3): the Reporting API key, or env:NAME / file:/path"),
        new("apiKeyEvent", KeyOrigin.Sumo, "KnowBe4 KMSAT (KB4-v3): the User Event API key, or env:NAME / file:/path"),
        new("collectTrainingEnrollments", KeyOrigin.Collector, "KnowBe4 KMSAT: collect training enrollments (default false)"),
        new("collectUserRiskScores", KeyOrigin.Collector, "KnowBe4 KMSAT: collect each user's risk score once a UTC day (default false)"),
        new("trainingPollInterval", KeyOrigin.Collector, "KnowBe4 KMSAT: hours (1 to 24) or a duration between enrollment polls (default 6h)"),
        new("riskScorePollInterval", KeyOrigin.Collector, "KnowBe4 KMSAT: hours (1 to 24) or a duration between risk score polls (default 24h; one snapshot a UTC day)"),
        new("phishingQuietPeriod", KeyOrigin.Collector, "KnowBe4 KMSAT: a closed test whose results have not changed for this long is no longer read (default 14d)"),
        new("reportingBaseURL", KeyOrigin.Collector, "KnowBe4 KMSAT: the Reporting API host (default: the region's https://{region}.api.knowbe4.com)"),
        new("reportingDailyCallBudget", KeyOrigin.Collector, "KnowBe4 KMSAT: the Reporting key's daily budget (default 1,000 + licensedUsers, or + the account's seats)"),
        .. ExportKeys,
    ];
}
