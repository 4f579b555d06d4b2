using System.Text.RegularExpressions;

namespace Kb4Collector.Delivery;

/// <summary>What a metadata rule checks: a source's name and category, the collector's host name, a field's name or value.</summary>
public enum MetadataPart
{
    Name,
    Category,
    Host,
    FieldName,
    FieldValue,
}

/// <summary>
/// One rule on the metadata sent with every batch (<c>X-Sumo-Name</c>, <c>X-Sumo-Category</c>, <c>X-Sumo-Host</c>,
/// <c>X-Sumo-Fields</c>, the HEC envelope). <see cref="Broken"/> and <see cref="Sample"/> (a value that breaks the rule)
/// let tests generate cases from the table.
/// </summary>
public sealed record MetadataRule(MetadataPart Part, string Reason, Func<string, bool> Broken, string Sample);

/// <summary>
/// The one rule table for source metadata: <c>validate</c>, the loader at run time (both through the source validator)
/// and the sink (<see cref="SinkTarget.Validate"/>) all check these, so a file <c>validate</c> accepts is never refused
/// later for a reason it could have known. The rules are those of the strictest format (Sumo headers), whatever the
/// sink: a source file stays valid when the sink's format changes.
/// </summary>
public static partial class MetadataRules
{
    public const int MaxNameLength = 128;
    public const int MaxCategoryLength = 1024;
    public const int MaxFieldNameLength = 255;
    public const int MaxFieldValueLength = 200;

    /// <summary>Sumo takes at most 30 fields per request in <c>X-Sumo-Fields</c> (including <c>_siemparser</c>).</summary>
    public const int MaxFields = 30;

    public static IReadOnlyList<MetadataRule> All { get; } =
    [
        new(MetadataPart.Name, "must not be empty", string.IsNullOrWhiteSpace, " "),
        new(MetadataPart.Name, $"must be at most {MaxNameLength} characters long", value => value.Length > MaxNameLength, new string('n', MaxNameLength + 1)),
        new(MetadataPart.Name, "must be printable ASCII (it is sent as the X-Sumo-Name header)", value => !HeaderText.IsPrintableAscii(value), "Café source"),
        new(MetadataPart.Name, "must not start or end with spaces", value => value.Length > 0 && value.Trim().Length != value.Length, " padded"),
        new(MetadataPart.Category, $"must be at most {MaxCategoryLength} characters long", value => value.Length > MaxCategoryLength, new string('c', MaxCategoryLength + 1)),
        new(MetadataPart.Category, "must be printable ASCII (it is sent as the X-Sumo-Category header)", value => !HeaderText.IsPrintableAscii(value), "sécurité/knowbe4"),
        new(MetadataPart.Host, "must be printable ASCII (it is sent as the X-Sumo-Host header)", value => !HeaderText.IsPrintableAscii(value), "hôte"),
        new(MetadataPart.FieldName, $"a field name is at most {MaxFieldNameLength} characters long", value => value.Length > MaxFieldNameLength, "f" + new string('x', MaxFieldNameLength)),
        new(MetadataPart.FieldName, "a field name starts with a letter or '_' and holds only ASCII letters, digits, '_', '-' and '.' (X-Sumo-Fields cannot escape anything else)", value => !FieldNamePattern().IsMatch(value), "site name"),
        new(MetadataPart.FieldName, $"is set by the collector from {SinkTarget.SiemForwardField}; remove it", value => string.Equals(value, SinkTarget.SiemParserField, StringComparison.OrdinalIgnoreCase), SinkTarget.SiemParserField),
        new(MetadataPart.FieldValue, $"a field value is at most {MaxFieldValueLength} characters long", value => value.Length > MaxFieldValueLength, new string('v', MaxFieldValueLength + 1)),
        new(MetadataPart.FieldValue, "a field value must be printable ASCII (X-Sumo-Fields is an HTTP header)", value => !HeaderText.IsPrintableAscii(value), "café"),
        new(MetadataPart.FieldValue, "a field value must not contain ',' or '=' (X-Sumo-Fields cannot escape them)", value => value.AsSpan().IndexOfAny(",=") >= 0, "a=b"),
    ];

    /// <summary>The reasons <paramref name="value"/> breaks the rules of <paramref name="part"/>; empty when it keeps them.</summary>
    public static IEnumerable<string> Check(MetadataPart part, string value)
    {
        foreach (var rule in All)
        {
            if (rule.Part == part && rule.Broken(value))
            {
                yield return rule.Reason;
            }
        }
    }

    /// <summary>The reason the number of fields sent is too high, or null. <paramref name="siemForward"/> adds <c>_siemparser</c>.</summary>
    public static string? CheckFieldCount(int fields, bool siemForward)
    {
        var sent = fields + (siemForward ? 1 : 0);
        if (sent <= MaxFields)
        {
            return null;
        }
        var siem = siemForward ? $" (including {SinkTarget.SiemParserField}, added because {SinkTarget.SiemForwardField} is true)" : "";
        return $"{sent} fields would be sent{siem}; Sumo accepts at most {MaxFields} per request";
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldNamePattern();
}
