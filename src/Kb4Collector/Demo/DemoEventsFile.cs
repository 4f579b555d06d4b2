using System.Text.Json;

namespace Kb4Collector.Demo;

/// <summary>
/// What the receiver's NDJSON file holds: its User Event lines, the distinct event ids, repeated ids and lines that are
/// not an event; and the Reporting records (phishing results, each a line with a <c>_kb4</c> envelope).
/// </summary>
public sealed record DemoEventsFile(long Lines, IReadOnlySet<string> Ids, long Duplicates, long Invalid)
{
    /// <summary>Reporting lines (<c>_kb4</c> envelope), all data types.</summary>
    public long ReportingRecords { get; init; }

    /// <summary>Reporting lines whose change is <c>updated</c> (a record seen before, with new content).</summary>
    public long ReportingUpdated { get; init; }

    /// <summary>Reporting lines that repeat an earlier line exactly (the same record in the same version).</summary>
    public long ReportingRepeats { get; init; }

    public static async Task<DemoEventsFile> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long lines = 0, duplicates = 0, invalid = 0, reporting = 0, updated = 0, repeats = 0;
        var versions = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return new DemoEventsFile(0, ids, 0, 0);
        }
        await foreach (var line in File.ReadLinesAsync(path, cancellationToken))
        {
            if (ReportingChange(line) is { } change)
            {
                reporting++;
                updated += change == "updated" ? 1 : 0;
                repeats += versions.Add(Reporting.ReportingEnvelope.Unwrap(line)) ? 0 : 1;
                continue;
            }
            lines++;
            if (IdOf(line) is not { } id)
            {
                invalid++;
            }
            else if (!ids.Add(id))
            {
                duplicates++;
            }
        }
        return new DemoEventsFile(lines, ids, duplicates, invalid) { ReportingRecords = reporting, ReportingUpdated = updated, ReportingRepeats = repeats };
    }

    /// <summary>The <c>_kb4.change</c> of a Reporting line; null for any other line.</summary>
    public static string? ReportingChange(string line)
    {
        if (!line.Contains("\"" + Reporting.ReportingEnvelope.Field + "\":", StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty(Reporting.ReportingEnvelope.Field, out var envelope) && envelope.TryGetProperty("change", out var change)
                ? change.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The <c>id</c> of a line that is a JSON object with a string id; null otherwise.</summary>
    public static string? IdOf(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("id", out var id)
                && id.ValueKind == JsonValueKind.String
                && id.GetString() is { Length: > 0 } value
                ? value
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
