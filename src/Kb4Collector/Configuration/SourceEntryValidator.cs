using System.Text.Json;
using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;
using Kb4Collector.Quota;

namespace Kb4Collector.Configuration;

/// <summary>Validates one source object of a file and builds its <see cref="SourceDefinition"/> (DESIGN §7).</summary>
internal sealed partial class SourceEntryValidator(SourceConfigLoaderOptions options)
{
    public const int MaxDescriptionLength = 1024;
    public const int MaxPollingIntervalSeconds = 86_400;
    public const int FastPollingWarningBelowSeconds = 60;
    public static readonly TimeSpan MaxInitialLookback = TimeSpan.FromDays(3650);
    public static readonly TimeSpan MaxRescanInterval = TimeSpan.FromDays(7);
    public static readonly TimeSpan MaxBackdateHorizon = TimeSpan.FromDays(31);

    private const string SiemForwardField = SinkTarget.SiemForwardField;

    private readonly ApiKeyResolver _keyResolver = new(options);

    public SourceEntry Validate(string file, JsonElement source, string location, ProblemSink sink)
    {
        sink.Source = null;
        sink.FieldPrefix = location + ".";
        if (source.ValueKind != JsonValueKind.Object)
        {
            sink.FieldPrefix = "";
            sink.Error(location, $"a source must be an object, not {Text.Describe(source.ValueKind)}");
            return new SourceEntry(null, null, location);
        }

        var errorsBefore = sink.ErrorCount;
        var name = ReadName(source, sink);
        if (name is not null)
        {
            sink.Source = name;
            sink.FieldPrefix = "";
        }

        var sourceScope = new JsonObjectScope(source, "", sink, SourceKeys.Source);
        var kmsat = CheckSchemaRef(sourceScope, sink);
        CheckSourceType(sourceScope, sink);

        SourceDefinition? definition = null;
        if (!sourceScope.TryGet("config", out var config))
        {
            if (!sourceScope.IsMiscased("config"))
            {
                sink.Error("config", "missing: the source's settings go in a \"config\" object");
            }
        }
        else if (config.ValueKind != JsonValueKind.Object)
        {
            sink.Error("config", $"must be an object, not {Text.Describe(config.ValueKind)}");
        }
        else
        {
            definition = ReadConfig(file, config, sourceScope, name, sink, kmsat);
        }

        var valid = sink.ErrorCount == errorsBefore && definition is not null;
        sink.Source = null;
        sink.FieldPrefix = "";
        return new SourceEntry(name, valid ? definition : null, location);
    }

    /// <summary>The name when it is usable as the source's identity (reported as the problems' source label); null otherwise.</summary>
    private static string? ReadName(JsonElement source, ProblemSink sink)
    {
        if (!source.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (!config.TryGetProperty("name", out var nameElement) || nameElement.ValueKind == JsonValueKind.Null)
        {
            // A miscased "Name" is reported by the config scope; only a truly absent name is "missing" here.
            if (!config.EnumerateObject().Any(property => string.Equals(property.Name, "name", StringComparison.OrdinalIgnoreCase)))
            {
                sink.Error("config.name", "missing: every source needs a unique \"name\"");
            }
            return null;
        }
        if (nameElement.ValueKind != JsonValueKind.String)
        {
            sink.Error("config.name", $"must be a string, not {Text.Describe(nameElement.ValueKind)}");
            return null;
        }

        var name = nameElement.GetString()!;
        var broken = false;
        foreach (var reason in MetadataRules.Check(MetadataPart.Name, name))
        {
            sink.Error("config.name", $"{Text.Quote(name)} {reason}");
            broken = true;
        }
        return broken ? null : name;
    }

    /// <summary>Checks <c>schemaRef</c>; true for Sumo's "KnowBe4 KMSAT" schema (KB4-v2/v3: Reporting data types beside User Events).</summary>
    private static bool CheckSchemaRef(JsonObjectScope sourceScope, ProblemSink sink)
    {
        if (!sourceScope.TryGet("schemaRef", out var schemaRef))
        {
            if (!sourceScope.IsMiscased("schemaRef"))
            {
                sink.Error("schemaRef", "missing: expected \"schemaRef\": {\"type\": \"KnowBe4\"}");
            }
            return false;
        }
        if (schemaRef.ValueKind != JsonValueKind.Object)
        {
            sink.Error("schemaRef", $"must be an object like {{\"type\": \"KnowBe4\"}}, not {Text.Describe(schemaRef.ValueKind)}");
            return false;
        }

        var scope = new JsonObjectScope(schemaRef, "schemaRef", sink, SourceKeys.SchemaRef);
        if (!scope.TryGet("type", out var type))
        {
            if (!scope.IsMiscased("type"))
            {
                sink.Error("schemaRef.type", "missing: expected \"KnowBe4\"");
            }
            return false;
        }
        if (type.ValueKind != JsonValueKind.String)
        {
            sink.Error("schemaRef.type", $"must be the string \"KnowBe4\", not {Text.Describe(type.ValueKind)}");
            return false;
        }

        var value = type.GetString()!;
        if (value is "KnowBe4" or KmsatSchema)
        {
            return value == KmsatSchema;
        }
        if (string.Equals(value, "KnowBe4", StringComparison.OrdinalIgnoreCase))
        {
            sink.Error("schemaRef.type", $"values are case-sensitive: write \"KnowBe4\", not {Text.Quote(value)}");
        }
        else if (string.Equals(value, KmsatSchema, StringComparison.OrdinalIgnoreCase))
        {
            sink.Error("schemaRef.type", $"values are case-sensitive: write \"{KmsatSchema}\", not {Text.Quote(value)}");
        }
        else
        {
            sink.Error("schemaRef.type", $"unsupported integration {Text.Quote(value)}; this collector handles \"KnowBe4\" and \"{KmsatSchema}\"");
        }
        return false;
    }

    private static void CheckSourceType(JsonObjectScope sourceScope, ProblemSink sink)
    {
        if (!sourceScope.TryGet("sourceType", out var sourceType))
        {
            if (!sourceScope.IsMiscased("sourceType"))
            {
                sink.Error("sourceType", "missing: expected \"Universal\" (Cloud-to-Cloud sources)");
            }
            return;
        }
        if (sourceType.ValueKind != JsonValueKind.String)
        {
            sink.Error("sourceType", $"must be the string \"Universal\", not {Text.Describe(sourceType.ValueKind)}");
            return;
        }

        var value = sourceType.GetString()!;
        if (value == "Universal")
        {
            return;
        }
        sink.Error("sourceType", string.Equals(value, "Universal", StringComparison.OrdinalIgnoreCase)
            ? $"values are case-sensitive: write \"Universal\", not {Text.Quote(value)}"
            : $"invalid source type {Text.Quote(value)}; Cloud-to-Cloud sources are \"Universal\"");
    }

    private SourceDefinition? ReadConfig(string file, JsonElement config, JsonObjectScope sourceScope, string? name, ProblemSink sink, bool kmsatSchema)
    {
        var scope = new JsonObjectScope(config, "config", sink, SourceKeys.Config);
        var errorsBefore = sink.ErrorCount;

        var description = ReadText(scope, "description", sink);
        var category = ReadText(scope, "category", sink);
        var (fields, siemForward) = ReadAllFields(scope, sourceScope, sink);
        var (baseUrl, baseUrlGiven) = ReadBaseUrlOrRegion(scope, sink);
        if (baseUrl is not null && !baseUrl.IsLoopback && options.KnowBe4RequestsPerSecond > ApiKeyRateLimiters.RequestsPerSecond)
        {
            sink.Error(baseUrlGiven is null ? "config.region" : "config.baseURL", $"{Authority(baseUrl)} is not a loopback address, and Collector:KnowBe4:RequestsPerSecond is {options.KnowBe4RequestsPerSecond}: "
                + $"a pace above KnowBe4's {ApiKeyRateLimiters.RequestsPerSecond} requests/s is only for the emulator on loopback; set it back to {ApiKeyRateLimiters.RequestsPerSecond} to collect from this host");
            baseUrl = null;
        }
        var kmsat = kmsatSchema ? ReadKmsat(file, scope, baseUrl, sink) : RefuseKmsatKeys(scope, sink);
        var apiKey = kmsatSchema ? kmsat.UserEventKey : ReadApiKey(file, scope, sink);
        var licensedUsers = ReadPositiveInteger(scope, "licensedUsers", sink);
        var dailyCallBudget = ReadPositiveInteger(scope, "dailyCallBudget", sink);
        if (kmsat.CollectUserEvents && !scope.TryGet("licensedUsers", out _) && !scope.TryGet("dailyCallBudget", out _)
            && !scope.IsMiscased("licensedUsers") && !scope.IsMiscased("dailyCallBudget"))
        {
            sink.Warning("config.licensedUsers", $"not given: the key's daily call budget is the conservative default of {DailyBudget.DefaultDailyCallBudget} calls "
                + $"(a {DailyBudget.DefaultDailyCallBudget / DailyBudget.CallsPerLicensedUser}-seat account's quota), so the source polls seldom; "
                + "add \"licensedUsers\": <seats of the KnowBe4 account> to config (10 calls per seat per day)");
        }
        var pollingInterval = ReadPollingInterval(scope, sink);
        var initialLookback = ReadInitialLookback(scope, sink);
        var backdateHorizon = ReadDuration(scope, "backdateHorizon", SourceDefinition.DefaultBackdateHorizon, TimeSpan.FromSeconds(1), MaxBackdateHorizon, sink);
        var rescanInterval = ReadDuration(scope, "rescanInterval", SourceDefinition.DefaultRescanInterval, TimeSpan.FromSeconds(1), MaxRescanInterval, sink);
        var maxQuotaShare = ReadQuotaShare(scope, sink);

        if (name is null || baseUrl is null || apiKey is null || sink.ErrorCount > errorsBefore)
        {
            return null;
        }
        var reporting = kmsat.Reporting is { } settings ? settings with { Seats = licensedUsers } : null;
        return new SourceDefinition
        {
            Name = name,
            Description = description,
            Category = category,
            Fields = fields,
            SiemForward = siemForward,
            BaseUrl = baseUrl,
            BaseUrlAsWritten = baseUrlGiven,
            ApiKey = apiKey.Value.Key,
            ApiKeyReference = apiKey.Value.Reference,
            LicensedUsers = licensedUsers,
            DailyCallBudget = dailyCallBudget,
            PollingInterval = pollingInterval,
            InitialLookback = initialLookback,
            BackdateHorizon = backdateHorizon,
            RescanInterval = rescanInterval,
            MaxQuotaShare = maxQuotaShare,
            SourceFile = file,
            CollectUserEvents = kmsat.CollectUserEvents,
            Reporting = reporting,
        };
    }

    private static string? ReadText(JsonObjectScope scope, string key, ProblemSink sink)
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
        var value = element.GetString()!;
        var reasons = key == "category"
            ? MetadataRules.Check(MetadataPart.Category, value).ToList()
            : value.Length > MaxDescriptionLength ? [$"must be at most {MaxDescriptionLength} characters long"] : [];
        foreach (var reason in reasons)
        {
            sink.Error(field, $"{reason}, not {Text.Quote(value)}");
        }
        return reasons.Count == 0 ? value : null;
    }

    /// <summary>
    /// <c>config.fields</c> and the source-level <c>fields</c> a Sumo export carries, merged: a key in both must have the
    /// same value. <c>_siemForward</c> is the SIEM switch, not a field.
    /// </summary>
    private static (IReadOnlyDictionary<string, string> Fields, bool SiemForward) ReadAllFields(JsonObjectScope configScope, JsonObjectScope sourceScope, ProblemSink sink)
    {
        var fromConfig = ReadFields(configScope, sink);
        var fromSource = ReadFields(sourceScope, sink);
        var merged = new Dictionary<string, string>(fromConfig, StringComparer.Ordinal);
        foreach (var (key, value) in fromSource)
        {
            if (merged.TryGetValue(key, out var other) && other != value)
            {
                sink.Error(configScope.PathOf("fields") + "." + Text.Printable(key),
                    $"{Text.Quote(other)} conflicts with {sourceScope.PathOf("fields")}.{Text.Printable(key)} = {Text.Quote(value)}; keep one of them, or make them agree");
                continue;
            }
            merged[key] = value;
        }

        var siemForward = false;
        if (merged.Remove(SiemForwardField, out var switchValue))
        {
            siemForward = switchValue == "true";
        }
        if (MetadataRules.CheckFieldCount(merged.Count, siemForward) is { } tooMany)
        {
            sink.Error(configScope.PathOf("fields"), tooMany);
        }
        return (merged, siemForward);
    }

    /// <summary>The valid fields of one <c>fields</c> object (booleans as "true"/"false"); every broken one is reported.</summary>
    private static Dictionary<string, string> ReadFields(JsonObjectScope scope, ProblemSink sink)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = scope.PathOf("fields");
        if (!scope.TryGet("fields", out var element))
        {
            return fields;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            sink.Error(path, $"must be an object of names to strings or booleans, not {Text.Describe(element.ValueKind)}");
            return fields;
        }

        foreach (var property in element.EnumerateObject())
        {
            var key = property.Name;
            var field = path + "." + Text.Printable(key);
            if (fields.ContainsKey(key))
            {
                sink.Error(field, "appears more than once in the same object");
                continue;
            }
            if (key != SiemForwardField && string.Equals(key, SiemForwardField, StringComparison.OrdinalIgnoreCase))
            {
                sink.Error(field, $"keys are case-sensitive: write \"{SiemForwardField}\", not {Text.Quote(key)}");
                continue;
            }

            string value;
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String when key != SiemForwardField:
                    value = property.Value.GetString()!;
                    break;
                case JsonValueKind.True:
                case JsonValueKind.False:
                    value = property.Value.GetBoolean() ? "true" : "false";
                    break;
                default:
                    sink.Error(field, key == SiemForwardField
                        ? $"must be true or false, not {Text.Describe(property.Value.ValueKind)}"
                        : $"must be a string or a boolean, not {Text.Describe(property.Value.ValueKind)}");
                    continue;
            }

            var broken = false;
            if (key != SiemForwardField)
            {
                foreach (var reason in MetadataRules.Check(MetadataPart.FieldName, key).Concat(MetadataRules.Check(MetadataPart.FieldValue, value)))
                {
                    sink.Error(field, reason);
                    broken = true;
                }
            }
            if (!broken)
            {
                fields[key] = value;
            }
        }
        return fields;
    }

    private (Uri? BaseUrl, string? AsWritten) ReadBaseUrlOrRegion(JsonObjectScope scope, ProblemSink sink)
    {
        var baseUrlGiven = scope.TryGet("baseURL", out var baseUrlElement);
        var regionGiven = scope.TryGet("region", out var regionElement);
        if (!baseUrlGiven && !regionGiven)
        {
            if (!scope.IsMiscased("baseURL") && !scope.IsMiscased("region"))
            {
                sink.Error("config.baseURL", $"missing: give \"baseURL\" (a KnowBe4 regional URL) or \"region\" ({KnowBe4Regions.RegionList})");
            }
            return (null, null);
        }

        Uri? fromBaseUrl = null;
        string? asWritten = null;
        if (baseUrlGiven)
        {
            if (baseUrlElement.ValueKind != JsonValueKind.String)
            {
                sink.Error("config.baseURL", $"must be a string, not {Text.Describe(baseUrlElement.ValueKind)}");
                return (null, null);
            }
            asWritten = baseUrlElement.GetString()!;
            fromBaseUrl = ValidateBaseUrl(asWritten, sink);
            if (fromBaseUrl is null)
            {
                return (null, null);
            }
        }

        if (!regionGiven)
        {
            return (fromBaseUrl, asWritten);
        }
        if (regionElement.ValueKind != JsonValueKind.String)
        {
            sink.Error("config.region", $"must be a string ({KnowBe4Regions.RegionList}), not {Text.Describe(regionElement.ValueKind)}");
            return (null, null);
        }
        var region = regionElement.GetString()!.Trim();
        if (!KnowBe4Regions.TryParse(region, out var parsedRegion))
        {
            sink.Error("config.region", $"unknown region {Text.Quote(region)}; expected one of {KnowBe4Regions.RegionList}");
            return (null, null);
        }
        var fromRegion = options.KnowBe4HostOverride ?? KnowBe4Regions.BaseUrl(parsedRegion);
        if (fromBaseUrl is not null && fromBaseUrl != fromRegion)
        {
            sink.Error("config.region", $"region {Text.Quote(region.ToUpperInvariant())} means {Authority(fromRegion)}, but baseURL is {Authority(fromBaseUrl)}; give one of them, or make them agree");
            return (null, null);
        }
        return (fromRegion, asWritten);
    }

    private Uri? ValidateBaseUrl(string text, ProblemSink sink, string field = "config.baseURL", Func<KnowBe4Region, Uri>? map = null)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            sink.Error(field, $"{Text.Quote(text)} is not an absolute http(s) URL; expected one of {AcceptedHosts()}");
            return null;
        }
        if (uri.UserInfo.Length > 0)
        {
            sink.Error(field, "must not contain a user name or password");
            return null;
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            sink.Error(field, $"{Authority(uri)}: must not have a query or fragment");
            return null;
        }

        // Any host the KnowBe4 or Sumo docs show (console, Reporting API, User Event API), with any path: the region's User Event API.
        if (KnowBe4Regions.RegionOfDocumentedHost(uri) is { } region)
        {
            if (uri.Scheme != Uri.UriSchemeHttps || !uri.IsDefaultPort)
            {
                sink.Error(field, $"a KnowBe4 host is reached over https on the default port: write https://{uri.IdnHost}");
                return null;
            }
            return options.KnowBe4HostOverride ?? (map ?? KnowBe4Regions.BaseUrl)(region);
        }

        if (uri.IsLoopback)
        {
            if (!options.AllowLoopbackBaseUrl)
            {
                sink.Error(field, $"{Authority(uri)} is a loopback address, where any local user can listen and receive the API key; the daemon accepts it only with Collector:AllowLoopbackBaseUrl=true (the emulator, tests)");
                return null;
            }
            return WithTrailingSlash(uri);
        }
        if (options.AllowAnyBaseUrl)
        {
            if (uri.Scheme == Uri.UriSchemeHttp)
            {
                sink.Warning(field, $"{Authority(uri)} uses plain http: the API key travels unencrypted");
            }
            return WithTrailingSlash(uri);
        }

        sink.Error(field, $"not a KnowBe4 host ({Authority(uri)}); expected one of {AcceptedHosts()}. Loopback http(s) is accepted for the emulator; any other host needs Collector:AllowAnyBaseUrl=true (validate --allow-any-base-url)");
        return null;
    }

    private static string AcceptedHosts() => string.Join(", ", KnowBe4Regions.DocumentedHosts.Select(host => "https://" + host));

    private (string Key, string Reference)? ReadApiKey(string file, JsonObjectScope scope, ProblemSink sink)
    {
        if (!scope.TryGet("apiKey", out var element))
        {
            if (!scope.IsMiscased("apiKey"))
            {
                sink.Error("config.apiKey", "missing: give the KnowBe4 User Event API key, or a reference to it (env:NAME or file:/path)");
            }
            return null;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            sink.Error("config.apiKey", $"must be a string, not {Text.Describe(element.ValueKind)}");
            return null;
        }
        return _keyResolver.Resolve(element.GetString()!, file, sink);
    }

    private static int? ReadPositiveInteger(JsonObjectScope scope, string key, ProblemSink sink)
    {
        var field = scope.PathOf(key);
        if (!scope.TryGet(key, out var element))
        {
            return null;
        }
        if (!TryReadInteger(element, field, sink, out var value))
        {
            return null;
        }
        if (value < 1)
        {
            sink.Error(field, $"must be greater than 0, not {value}");
            return null;
        }
        return (int)value;
    }

    private static TimeSpan ReadPollingInterval(JsonObjectScope scope, ProblemSink sink)
    {
        const string Field = "config.pollingInterval";
        if (!scope.TryGet("pollingInterval", out var element))
        {
            return SourceDefinition.DefaultPollingInterval;
        }
        if (element.ValueKind == JsonValueKind.String)
        {
            sink.Error(Field, "must be a number of seconds (e.g. 300), not a string");
            return SourceDefinition.DefaultPollingInterval;
        }
        if (!TryReadInteger(element, Field, sink, out var seconds))
        {
            return SourceDefinition.DefaultPollingInterval;
        }
        if (seconds < 1)
        {
            sink.Error(Field, $"must be at least 1 second, not {seconds}");
            return SourceDefinition.DefaultPollingInterval;
        }
        if (seconds > MaxPollingIntervalSeconds)
        {
            sink.Error(Field, $"must be at most {MaxPollingIntervalSeconds} seconds (one day), not {seconds}");
            return SourceDefinition.DefaultPollingInterval;
        }
        if (seconds < FastPollingWarningBelowSeconds)
        {
            sink.Warning(Field, $"{seconds} seconds is below 60: meant for tests and demos (the default is 300, like Sumo); the daily call budget still caps the real rate");
        }
        return TimeSpan.FromSeconds(seconds);
    }

    private static bool TryReadInteger(JsonElement element, string field, ProblemSink sink, out long value)
    {
        value = 0;
        if (element.ValueKind != JsonValueKind.Number)
        {
            sink.Error(field, $"must be a whole number, not {Text.Describe(element.ValueKind)}");
            return false;
        }
        if (!element.TryGetInt64(out value) || value > int.MaxValue || value < int.MinValue)
        {
            sink.Error(field, $"must be a whole number between 1 and {int.MaxValue}, not {Text.Printable(element.GetRawText())}");
            return false;
        }
        return true;
    }

    /// <summary><c>"all"</c> reads everything the API still holds on the first run; otherwise a duration.</summary>
    private static TimeSpan ReadInitialLookback(JsonObjectScope scope, ProblemSink sink)
    {
        if (scope.TryGet("initialLookback", out var element) && element.ValueKind == JsonValueKind.String
            && string.Equals(element.GetString(), SourceDefinition.AllHistoryText, StringComparison.OrdinalIgnoreCase))
        {
            return SourceDefinition.AllHistory;
        }
        return ReadDuration(scope, "initialLookback", SourceDefinition.DefaultInitialLookback, TimeSpan.Zero, MaxInitialLookback, sink);
    }

    private static double ReadQuotaShare(JsonObjectScope scope, ProblemSink sink)
    {
        var field = scope.PathOf("maxQuotaShare");
        if (!scope.TryGet("maxQuotaShare", out var element))
        {
            return SourceDefinition.DefaultMaxQuotaShare;
        }
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var share))
        {
            sink.Error(field, $"must be a number between 0 and 1 (the share of the key's daily calls the collector may spend), not {Text.Describe(element.ValueKind)}");
            return SourceDefinition.DefaultMaxQuotaShare;
        }
        if (share <= 0 || share > 1)
        {
            sink.Error(field, $"must be greater than 0 and at most 1, not {share.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            return SourceDefinition.DefaultMaxQuotaShare;
        }
        return share;
    }

    private static TimeSpan ReadDuration(JsonObjectScope scope, string key, TimeSpan defaultValue, TimeSpan minimum, TimeSpan maximum, ProblemSink sink)
    {
        var field = scope.PathOf(key);
        if (!scope.TryGet(key, out var element))
        {
            return defaultValue;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            sink.Error(field, $"must be {DurationParser.ExpectedFormat} as a string, not {Text.Describe(element.ValueKind)}");
            return defaultValue;
        }
        var text = element.GetString()!;
        if (!DurationParser.TryParse(text, out var value))
        {
            sink.Error(field, $"{Text.Quote(text)} is not {DurationParser.ExpectedFormat}");
            return defaultValue;
        }
        if (value < minimum)
        {
            sink.Error(field, $"must be at least {DurationParser.Format(minimum)}, not {Text.Quote(text)}");
            return defaultValue;
        }
        if (value > maximum)
        {
            sink.Error(field, $"must be at most {DurationParser.Format(maximum)}, not {Text.Quote(text)}");
            return defaultValue;
        }
        return value;
    }

    private static Uri WithTrailingSlash(Uri uri)
    {
        var builder = new UriBuilder(uri) { Query = string.Empty, Fragment = string.Empty };
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }
        return builder.Uri;
    }

    private static string Authority(Uri uri) => $"{uri.Scheme}://{uri.Authority}";
}
