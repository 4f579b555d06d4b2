using System.Text.Json.Serialization;

namespace Kb4Collector.Admin;

/// <summary>Sumo's error body shape (<c>{"status":401,"code":"unauthorized","message":"…"}</c>).</summary>
public sealed record AdminError(int Status, string Code, string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AdminError))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
