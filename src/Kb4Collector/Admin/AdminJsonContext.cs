using System.Text.Json;
using System.Text.Json.Serialization;
using Kb4Collector.Health;

namespace Kb4Collector.Admin;

/// <summary>Sumo's error body shape (<c>{"status":401,"code":"unauthorized","message":"…"}</c>).</summary>
public sealed record AdminError(int Status, string Code, string Message);

/// <summary>
/// The admin endpoint's JSON: camelCase, enums by name, times as ISO-8601 UTC with milliseconds (like health events),
/// nulls left out. The CLI verbs read the same types back.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(UtcMillisecondsConverter)])]
[JsonSerializable(typeof(AdminError))]
[JsonSerializable(typeof(CollectorResponse))]
[JsonSerializable(typeof(SourcesResponse))]
[JsonSerializable(typeof(SourceResponse))]
[JsonSerializable(typeof(SourceFileJson))]
[JsonSerializable(typeof(RestartResponse))]
[JsonSerializable(typeof(HealthEventsResponse))]
[JsonSerializable(typeof(CallsResponse))]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(DeadLettersResponse))]
[JsonSerializable(typeof(ReplayResponse))]
[JsonSerializable(typeof(ShardResponse))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
