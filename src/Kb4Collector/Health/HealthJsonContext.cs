using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kb4Collector.Health;

/// <summary>Sumo's JSON for health events: camelCase, enum names as strings, times as ISO-8601 UTC with milliseconds.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(UtcMillisecondsConverter)])]
[JsonSerializable(typeof(HealthEvent))]
[JsonSerializable(typeof(IReadOnlyList<HealthEvent>))]
public sealed partial class HealthJsonContext : JsonSerializerContext;

/// <summary>Writes <c>2020-01-20T16:10:27.085Z</c>, the form of Sumo's <c>eventTime</c>.</summary>
public sealed class UtcMillisecondsConverter : JsonConverter<DateTimeOffset>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString() ?? throw new JsonException("A time must be a string."), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
    }
}
