using System.Text;
using System.Text.Json;

namespace Kb4Collector.Reporting;

/// <summary>What a record belongs to, carried in the envelope under <paramref name="Name"/> as the JSON value <paramref name="Json"/>.</summary>
public readonly record struct EnvelopeContext(string Name, byte[] Json);

/// <summary>
/// The line forwarded for a Reporting record: the record exactly as KnowBe4 sent it, with one field added at the end,
/// <c>"_kb4": {"dataType", "change", "observedAt", "key"[, "changedFields"][, "test" | "riskHistory"][, "snapshotDay"]}</c>.
/// <c>change</c> is <c>created</c> (first seen), <c>updated</c> (its content differs from what was last forwarded; then
/// <c>changedFields</c> names the top-level fields whose values differ) or <c>snapshot</c> (the day's risk score row);
/// <c>test</c> is the phishing test a recipient row belongs to, <c>riskHistory</c> the account or group a risk history
/// point belongs to.
/// </summary>
public static class ReportingEnvelope
{
    public const string Field = "_kb4";

    public static byte[] Wrap(
        string recordJson, string dataType, string change, DateTimeOffset observedAt, string key,
        IReadOnlyList<string>? changedFields = null, EnvelopeContext? context = null, string? snapshotDay = null)
    {
        using var envelope = new MemoryStream();
        using (var writer = new Utf8JsonWriter(envelope))
        {
            writer.WriteStartObject();
            writer.WriteString("dataType", dataType);
            writer.WriteString("change", change);
            writer.WriteString("observedAt", observedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("key", key);
            if (changedFields is not null)
            {
                writer.WriteStartArray("changedFields");
                foreach (var field in changedFields)
                {
                    writer.WriteStringValue(field);
                }
                writer.WriteEndArray();
            }
            if (context is { } extra)
            {
                writer.WritePropertyName(extra.Name);
                writer.WriteRawValue(extra.Json, skipInputValidation: true);
            }
            if (snapshotDay is not null)
            {
                writer.WriteString("snapshotDay", snapshotDay);
            }
            writer.WriteEndObject();
        }

        var record = recordJson.AsSpan().TrimEnd();
        var body = record[..^1].TrimEnd();
        var empty = body.Length == 1;
        var line = new StringBuilder(record.Length + (int)envelope.Length + 16);
        line.Append(body).Append(empty ? "" : ",").Append("\"" + Field + "\":").Append(Encoding.UTF8.GetString(envelope.GetBuffer(), 0, (int)envelope.Length)).Append('}');
        return Encoding.UTF8.GetBytes(line.ToString());
    }

    /// <summary>The record without its envelope, as KnowBe4 sent it (for comparisons and replays).</summary>
    public static string Unwrap(string line)
    {
        var at = line.LastIndexOf(",\"" + Field + "\":", StringComparison.Ordinal);
        if (at < 0)
        {
            at = line.LastIndexOf("\"" + Field + "\":", StringComparison.Ordinal);
            return at < 0 ? line : line[..at] + "}";
        }
        return line[..at] + "}";
    }
}
