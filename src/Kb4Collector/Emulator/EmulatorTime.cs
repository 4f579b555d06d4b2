using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kb4Collector.Emulator;

/// <summary>
/// A point in emulator time: either an offset from the scenario start (JSON <c>"00:05:00"</c>,
/// <c>"1.00:00:00"</c>) or an absolute instant (JSON <c>"2025-03-01T10:00:00Z"</c>).
/// </summary>
[JsonConverter(typeof(EmulatorTimeJsonConverter))]
public readonly record struct EmulatorTime : IComparable<EmulatorTime>
{
    private EmulatorTime(TimeSpan? offset, DateTimeOffset? absolute)
    {
        Offset = offset;
        Absolute = absolute;
    }

    public TimeSpan? Offset { get; }
    public DateTimeOffset? Absolute { get; }
    public bool IsOffset => Offset is not null;

    public static EmulatorTime AfterStart(TimeSpan offset) => new(offset, null);
    public static EmulatorTime At(DateTimeOffset instant) => new(null, instant);

    public static implicit operator EmulatorTime(TimeSpan offset) => AfterStart(offset);
    public static implicit operator EmulatorTime(DateTimeOffset instant) => At(instant);

    public static EmulatorTime FromTimeSpan(TimeSpan offset) => AfterStart(offset);
    public static EmulatorTime FromDateTimeOffset(DateTimeOffset instant) => At(instant);

    public DateTimeOffset Resolve(DateTimeOffset scenarioStart) => Absolute ?? scenarioStart + Offset.GetValueOrDefault();

    public int CompareTo(EmulatorTime other) =>
        IsOffset && other.IsOffset
            ? Offset.GetValueOrDefault().CompareTo(other.Offset.GetValueOrDefault())
            : Resolve(DateTimeOffset.UnixEpoch).CompareTo(other.Resolve(DateTimeOffset.UnixEpoch));

    public static bool operator <(EmulatorTime left, EmulatorTime right) => left.CompareTo(right) < 0;
    public static bool operator >(EmulatorTime left, EmulatorTime right) => left.CompareTo(right) > 0;
    public static bool operator <=(EmulatorTime left, EmulatorTime right) => left.CompareTo(right) <= 0;
    public static bool operator >=(EmulatorTime left, EmulatorTime right) => left.CompareTo(right) >= 0;

    public static bool TryParse(string? text, out EmulatorTime time)
    {
        time = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        text = text.Trim();
        if (text.Length >= 10 && text[4] == '-' && text[7] == '-')
        {
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
            {
                time = At(instant);
                return true;
            }
            return false;
        }
        if (TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var offset))
        {
            time = AfterStart(offset);
            return true;
        }
        return false;
    }

    public override string ToString() =>
        Absolute is { } instant
            ? instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
            : Offset.GetValueOrDefault().ToString("c", CultureInfo.InvariantCulture);
}

internal sealed class EmulatorTimeJsonConverter : JsonConverter<EmulatorTime>
{
    public override EmulatorTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("expected a string: an offset from the scenario start like \"00:05:00\" or an instant like \"2025-03-01T10:00:00Z\"");
        }
        var text = reader.GetString();
        if (!EmulatorTime.TryParse(text, out var time))
        {
            throw new JsonException($"'{text}' is neither an offset like \"00:05:00\" nor an instant like \"2025-03-01T10:00:00Z\"");
        }
        return time;
    }

    public override void Write(Utf8JsonWriter writer, EmulatorTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
