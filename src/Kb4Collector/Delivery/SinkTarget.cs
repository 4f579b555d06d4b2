using System.Text;

namespace Kb4Collector.Delivery;

/// <summary>
/// Per-source metadata sent with every request: Sumo's <c>_sourceName</c>, <c>_sourceCategory</c>, <c>_sourceHost</c>
/// (the collector's name) and custom fields. Check <see cref="Validate"/> when the source config is loaded.
/// </summary>
public sealed record SinkTarget(string SourceName, string Category, string Host, IReadOnlyDictionary<string, string> Fields, bool SiemForward)
{
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

    /// <summary>
    /// Every reason this target cannot be sent; empty when it can. The rules are <see cref="MetadataRules"/>, the same the
    /// source validator applies when a file is loaded, so a loaded source never fails here. <paramref name="format"/> does
    /// not relax them: a source stays deliverable whichever format the sink is switched to.
    /// </summary>
    public IReadOnlyList<SinkValidationError> Validate(SinkFormat format)
    {
        _ = format;
        var errors = new List<SinkValidationError>();
        if (Fields is null)
        {
            errors.Add(new("fields", "must be an object (it may be empty)"));
            return errors;
        }

        AddBroken(errors, "name", MetadataPart.Name, SourceName ?? "");
        AddBroken(errors, "category", MetadataPart.Category, Category ?? "");
        AddBroken(errors, "host", MetadataPart.Host, Host ?? "");
        var count = 0;
        foreach (var (key, value) in SentFields())
        {
            count++;
            AddBroken(errors, $"fields.{key}", MetadataPart.FieldName, key);
            AddBroken(errors, $"fields.{key}", MetadataPart.FieldValue, value ?? "");
        }
        if (MetadataRules.CheckFieldCount(count, SiemForward) is { } tooMany)
        {
            errors.Add(new("fields", tooMany));
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

    private static void AddBroken(List<SinkValidationError> errors, string field, MetadataPart part, string value)
    {
        foreach (var reason in MetadataRules.Check(part, value))
        {
            errors.Add(new(field, reason));
        }
    }
}
