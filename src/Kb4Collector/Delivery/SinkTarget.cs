using System.Text;

namespace Kb4Collector.Delivery;

/// <summary>
/// Per-source metadata sent with every request: Sumo's <c>_sourceName</c>, <c>_sourceCategory</c>, <c>_sourceHost</c>
/// (the collector's name) and custom fields. Check <see cref="Validate"/> when the source config is loaded.
/// </summary>
public sealed record SinkTarget(string SourceName, string Category, string Host, IReadOnlyDictionary<string, string> Fields, bool SiemForward)
{
    /// <summary>Sumo takes at most 30 fields per request in <c>X-Sumo-Fields</c>.</summary>
    public const int MaxSumoFields = 30;

    /// <summary>The source-config field that turns SIEM forwarding on; it is a switch, not a field that is sent.</summary>
    public const string SiemForwardField = "_siemForward";

    public const string SiemParserField = "_siemparser";

    public const string SiemParser = "/Parsers/System/KnowBe4/KnowBe4 KMSAT";

    /// <summary>Builds a target from a source config's <c>fields</c>, reading <c>_siemForward</c> ("true", any case) from them.</summary>
    public static SinkTarget FromSourceFields(string sourceName, string category, string host, IReadOnlyDictionary<string, string>? fields)
    {
        fields ??= new Dictionary<string, string>();
        var siemForward = fields.TryGetValue(SiemForwardField, out var value) && bool.TryParse(value, out var on) && on;
        return new SinkTarget(sourceName, category, host, fields, siemForward);
    }

    /// <summary>The custom fields that are sent: <see cref="Fields"/> without the <c>_siemForward</c> switch.</summary>
    public IEnumerable<KeyValuePair<string, string>> SentFields()
    {
        foreach (var field in Fields)
        {
            if (!string.Equals(field.Key, SiemForwardField, StringComparison.OrdinalIgnoreCase))
            {
                yield return field;
            }
        }
    }

    /// <summary>Every reason this target cannot be sent in <paramref name="format"/>; empty when it can.</summary>
    public IReadOnlyList<SinkValidationError> Validate(SinkFormat format)
    {
        var errors = new List<SinkValidationError>();
        if (string.IsNullOrWhiteSpace(SourceName))
        {
            errors.Add(new("name", "is required"));
        }
        if (Fields is null)
        {
            errors.Add(new("fields", "must be an object (it may be empty)"));
            return errors;
        }
        if (format != SinkFormat.Sumo)
        {
            return errors;
        }

        CheckHeaderValue(errors, "name", SourceName);
        CheckHeaderValue(errors, "category", Category);
        CheckHeaderValue(errors, "host", Host);

        var count = SiemForward ? 1 : 0;
        foreach (var (key, value) in SentFields())
        {
            count++;
            if (key.Length == 0 || !HeaderText.IsPrintableAscii(key) || key.AsSpan().IndexOfAny(" ,=") >= 0)
            {
                errors.Add(new($"fields.{key}", "a field name must be printable ASCII without spaces, ',' or '='"));
            }
            if (string.Equals(key, SiemParserField, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(new($"fields.{key}", $"is set by the collector from {SiemForwardField}; remove it"));
            }
            if (value is null || !HeaderText.IsPrintableAscii(value) || value.AsSpan().IndexOfAny(",=") >= 0)
            {
                // X-Sumo-Fields has no escaping: a ',' or '=' would silently split the value into other fields.
                errors.Add(new($"fields.{key}", "a field value must be printable ASCII without ',' or '=' (X-Sumo-Fields cannot escape them)"));
            }
        }
        if (count > MaxSumoFields)
        {
            var siem = SiemForward ? $" (including {SiemParserField}, added because {SiemForwardField} is true)" : "";
            errors.Add(new("fields", $"{count} fields would be sent{siem}; Sumo accepts at most {MaxSumoFields} per request"));
        }
        return errors;
    }

    /// <summary>The <c>X-Sumo-Fields</c> value (<c>k=v,k2=v2</c>), or null when there is nothing to send.</summary>
    internal string? SumoFieldsHeader()
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in SentFields())
        {
            AppendField(builder, key, value);
        }
        if (SiemForward)
        {
            AppendField(builder, SiemParserField, SiemParser);
        }
        return builder.Length == 0 ? null : builder.ToString();
    }

    private static void AppendField(StringBuilder builder, string key, string value)
    {
        if (builder.Length > 0)
        {
            builder.Append(',');
        }
        builder.Append(key).Append('=').Append(value);
    }

    private static void CheckHeaderValue(List<SinkValidationError> errors, string field, string? value)
    {
        if (!HeaderText.IsPrintableAscii(value))
        {
            errors.Add(new(field, "must be printable ASCII for the X-Sumo headers (no line breaks or non-ASCII characters)"));
        }
    }
}
