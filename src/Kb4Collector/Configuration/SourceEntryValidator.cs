using System.Text.Json;
using System.Text.RegularExpressions;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Configuration;

/// <summary>Validates one source object of a file and builds its <see cref="SourceDefinition"/> (DESIGN §7).</summary>
internal sealed partial class SourceEntryValidator(SourceConfigLoaderOptions options)
{
    public const int MaxNameLength = 128;
    public const int MaxDescriptionLength = 1024;
    public const int MaxCategoryLength = 1024;
    public const int MaxFields = 30;
    public const int MaxFieldKeyLength = 255;
    public const int MaxFieldValueLength = 200;
    public const int MaxPollingIntervalSeconds = 86_400;
    public const int FastPollingWarningBelowSeconds = 60;
    public static readonly TimeSpan MaxInitialLookback = TimeSpan.FromDays(3650);
    public static readonly TimeSpan MaxRescanInterval = TimeSpan.FromDays(7);
    public static readonly TimeSpan MaxBackdateHorizon = TimeSpan.FromDays(31);

    private const string SiemForwardField = "_siemForward";

    private static readonly string[] SourceKeys = ["config", "schemaRef", "sourceType"];
    private static readonly string[] SchemaRefKeys = ["type", "version"];
    private static readonly string[] ConfigKeys =
    [
        "name", "description", "category", "fields", "baseURL", "region", "apiKey",
        "licensedUsers", "dailyCallBudget", "pollingInterval", "initialLookback", "backdateHorizon",
        "rescanInterval", "maxQuotaShare",
    ];

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

        var sourceScope = new JsonObjectScope(source, "", sink, SourceKeys, serviceAssignedKeysAllowed: true);
        CheckSchemaRef(sourceScope, sink);
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
            definition = ReadConfig(file, config, name, sink);
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
        if (string.IsNullOrWhiteSpace(name))
        {
            sink.Error("config.name", "must not be empty");
            return null;
        }
        if (name.Length > MaxNameLength)
        {
            sink.Error("config.name", $"is {name.Length} characters long; at most {MaxNameLength} are allowed");
            return null;
        }
        if (Text.HasControlCharacters(name))
        {
            sink.Error("config.name", "must not contain control characters");
            return null;
        }
        if (name.Trim().Length != name.Length)
        {
            sink.Error("config.name", $"{Text.Quote(name)} must not start or end with spaces");
            return null;
        }
        return name;
    }

    private static void CheckSchemaRef(JsonObjectScope sourceScope, ProblemSink sink)
    {
        if (!sourceScope.TryGet("schemaRef", out var schemaRef))
        {
            if (!sourceScope.IsMiscased("schemaRef"))
            {
                sink.Error("schemaRef", "missing: expected \"schemaRef\": {\"type\": \"KnowBe4\"}");
            }
            return;
        }
        if (schemaRef.ValueKind != JsonValueKind.Object)
        {
            sink.Error("schemaRef", $"must be an object like {{\"type\": \"KnowBe4\"}}, not {Text.Describe(schemaRef.ValueKind)}");
            return;
        }

        var scope = new JsonObjectScope(schemaRef, "schemaRef", sink, SchemaRefKeys, serviceAssignedKeysAllowed: false);
        if (!scope.TryGet("type", out var type))
        {
            if (!scope.IsMiscased("type"))
            {
                sink.Error("schemaRef.type", "missing: expected \"KnowBe4\"");
            }
            return;
        }
        if (type.ValueKind != JsonValueKind.String)
        {
            sink.Error("schemaRef.type", $"must be the string \"KnowBe4\", not {Text.Describe(type.ValueKind)}");
            return;
        }

        var value = type.GetString()!;
        if (value == "KnowBe4")
        {
            return;
        }
        if (string.Equals(value, "KnowBe4", StringComparison.OrdinalIgnoreCase))
        {
            sink.Error("schemaRef.type", $"values are case-sensitive: write \"KnowBe4\", not {Text.Quote(value)}");
        }
        else if (string.Equals(value, "KnowBe4 KMSAT", StringComparison.OrdinalIgnoreCase))
        {
            sink.Error("schemaRef.type", "\"KnowBe4 KMSAT\" is Sumo's phishing-test integration (KB4-v2/v3); this collector reads User Events: use \"KnowBe4\"");
        }
        else
        {
            sink.Error("schemaRef.type", $"unsupported integration {Text.Quote(value)}; this collector handles \"KnowBe4\" only");
        }
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

    private SourceDefinition? ReadConfig(string file, JsonElement config, string? name, ProblemSink sink)
    {
        var scope = new JsonObjectScope(config, "config", sink, ConfigKeys, serviceAssignedKeysAllowed: true);
        var errorsBefore = sink.ErrorCount;

        var description = ReadText(scope, "description", MaxDescriptionLength, sink);
        var category = ReadText(scope, "category", MaxCategoryLength, sink);
        var (fields, siemForward) = ReadFields(scope, sink);
        var baseUrl = ReadBaseUrlOrRegion(scope, sink);
        var apiKey = ReadApiKey(file, scope, sink);
        var licensedUsers = ReadPositiveInteger(scope, "licensedUsers", sink);
        var dailyCallBudget = ReadPositiveInteger(scope, "dailyCallBudget", sink);
        if (licensedUsers is null && dailyCallBudget is null
            && !scope.TryGet("licensedUsers", out _) && !scope.TryGet("dailyCallBudget", out _)
            && !scope.IsMiscased("licensedUsers") && !scope.IsMiscased("dailyCallBudget"))
        {
            sink.Error("config.licensedUsers", "missing: give \"licensedUsers\" (the daily call budget is 10 calls per licensed user) or an explicit \"dailyCallBudget\"");
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
        return new SourceDefinition
        {
            Name = name,
            Description = description,
            Category = category,
            Fields = fields,
            SiemForward = siemForward,
            BaseUrl = baseUrl,
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
        };
    }

    private static string? ReadText(JsonObjectScope scope, string key, int maxLength, ProblemSink sink)
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
        if (value.Length > maxLength)
        {
            sink.Error(field, $"is {value.Length} characters long; at most {maxLength} are allowed");
            return null;
        }
        if (key == "category" && Text.HasControlCharacters(value))
        {
            sink.Error(field, "must not contain control characters (it is sent as an HTTP header)");
            return null;
        }
        return value;
    }

    private static (IReadOnlyDictionary<string, string> Fields, bool SiemForward) ReadFields(JsonObjectScope scope, ProblemSink sink)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!scope.TryGet("fields", out var element))
        {
            return (fields, false);
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            sink.Error("config.fields", $"must be an object of names to strings or booleans, not {Text.Describe(element.ValueKind)}");
            return (fields, false);
        }

        var count = element.EnumerateObject().Count();
        if (count > MaxFields)
        {
            sink.Error("config.fields", $"has {count} fields; at most {MaxFields} are allowed");
        }

        var siemForward = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var key = property.Name;
            var field = "config.fields." + Text.Printable(key);
            if (!seen.Add(key))
            {
                sink.Error(field, "appears more than once in the same object");
                continue;
            }
            if (key == SiemForwardField)
            {
                if (property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    siemForward = property.Value.GetBoolean();
                }
                else
                {
                    sink.Error(field, $"must be true or false, not {Text.Describe(property.Value.ValueKind)}");
                }
                continue;
            }
            if (string.Equals(key, SiemForwardField, StringComparison.OrdinalIgnoreCase))
            {
                sink.Error(field, $"keys are case-sensitive: write \"{SiemForwardField}\", not {Text.Quote(key)}");
                continue;
            }
            if (key.Length > MaxFieldKeyLength)
            {
                sink.Error(field, $"the field name is {key.Length} characters long; at most {MaxFieldKeyLength} are allowed");
                continue;
            }
            if (!FieldNamePattern().IsMatch(key))
            {
                sink.Error(field, "a field name starts with a letter or '_' and holds only letters, digits, '_', '-' and '.'");
                continue;
            }

            string value;
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String:
                    value = property.Value.GetString()!;
                    break;
                case JsonValueKind.True:
                case JsonValueKind.False:
                    value = property.Value.GetBoolean() ? "true" : "false";
                    break;
                default:
                    sink.Error(field, $"must be a string or a boolean, not {Text.Describe(property.Value.ValueKind)}");
                    continue;
            }
            if (value.Length > MaxFieldValueLength)
            {
                sink.Error(field, $"the value is {value.Length} characters long; at most {MaxFieldValueLength} are allowed");
                continue;
            }
            if (Text.HasControlCharacters(value) || value.Contains(',', StringComparison.Ordinal))
            {
                sink.Error(field, "the value must not contain commas or control characters (fields are sent as an X-Sumo-Fields header)");
                continue;
            }
            fields[key] = value;
        }
        return (fields, siemForward);
    }

    private Uri? ReadBaseUrlOrRegion(JsonObjectScope scope, ProblemSink sink)
    {
        var baseUrlGiven = scope.TryGet("baseURL", out var baseUrlElement);
        var regionGiven = scope.TryGet("region", out var regionElement);
        if (!baseUrlGiven && !regionGiven)
        {
            if (!scope.IsMiscased("baseURL") && !scope.IsMiscased("region"))
            {
                sink.Error("config.baseURL", $"missing: give \"baseURL\" (a KnowBe4 regional URL) or \"region\" ({KnowBe4Regions.RegionList})");
            }
            return null;
        }

        Uri? fromBaseUrl = null;
        if (baseUrlGiven)
        {
            if (baseUrlElement.ValueKind != JsonValueKind.String)
            {
                sink.Error("config.baseURL", $"must be a string, not {Text.Describe(baseUrlElement.ValueKind)}");
                return null;
            }
            fromBaseUrl = ValidateBaseUrl(baseUrlElement.GetString()!, sink);
            if (fromBaseUrl is null)
            {
                return null;
            }
        }

        if (!regionGiven)
        {
            return fromBaseUrl;
        }
        if (regionElement.ValueKind != JsonValueKind.String)
        {
            sink.Error("config.region", $"must be a string ({KnowBe4Regions.RegionList}), not {Text.Describe(regionElement.ValueKind)}");
            return null;
        }
        var region = regionElement.GetString()!.Trim();
        if (!KnowBe4Regions.TryParse(region, out var parsedRegion))
        {
            sink.Error("config.region", $"unknown region {Text.Quote(region)}; expected one of {KnowBe4Regions.RegionList}");
            return null;
        }
        var fromRegion = KnowBe4Regions.BaseUrl(parsedRegion);
        if (fromBaseUrl is not null && fromBaseUrl != fromRegion)
        {
            sink.Error("config.region", $"region {Text.Quote(region.ToUpperInvariant())} means {Authority(fromRegion)}, but baseURL is {Authority(fromBaseUrl)}; give one of them, or make them agree");
            return null;
        }
        return fromRegion;
    }

    private Uri? ValidateBaseUrl(string text, ProblemSink sink)
    {
        const string Field = "config.baseURL";
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            sink.Error(Field, "is not an absolute http(s) URL");
            return null;
        }
        if (uri.UserInfo.Length > 0)
        {
            sink.Error(Field, "must not contain a user name or password");
            return null;
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            sink.Error(Field, $"{Authority(uri)}: must not have a query or fragment");
            return null;
        }

        var region = KnowBe4Regions.RegionOf(uri);
        if (region is not null)
        {
            var canonical = KnowBe4Regions.BaseUrl(region.Value);
            if (uri.Scheme != Uri.UriSchemeHttps || !uri.IsDefaultPort || uri.AbsolutePath != "/")
            {
                sink.Error(Field, $"a KnowBe4 base URL is just the host, with https and no port or path: {Authority(canonical)}");
                return null;
            }
            return canonical;
        }

        if (uri.IsLoopback)
        {
            if (!options.AllowLoopbackBaseUrl)
            {
                sink.Error(Field, $"{Authority(uri)} is a loopback address, where any local user can listen and receive the API key; the daemon accepts it only with Collector:AllowLoopbackBaseUrl=true (the emulator, tests)");
                return null;
            }
            return WithTrailingSlash(uri);
        }
        if (options.AllowAnyBaseUrl)
        {
            if (uri.Scheme == Uri.UriSchemeHttp)
            {
                sink.Warning(Field, $"{Authority(uri)} uses plain http: the API key travels unencrypted");
            }
            return WithTrailingSlash(uri);
        }

        var hosts = string.Join(", ", KnowBe4Regions.BaseUrls.Select(Authority));
        sink.Error(Field, $"not a KnowBe4 host ({Authority(uri)}); expected one of {hosts}. Loopback http(s) is accepted for the emulator; any other host needs Collector:AllowAnyBaseUrl=true (validate --allow-any-base-url)");
        return null;
    }

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
            sink.Error(field, $"must be a whole number between 1 and {int.MaxValue}, not {element.GetRawText()}");
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

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldNamePattern();
}
