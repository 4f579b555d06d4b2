using System.Text.Json;

namespace Kb4Collector.Demo;

/// <summary>What the receiver's NDJSON file holds: its lines, the distinct event ids, repeated ids and lines that are not an event.</summary>
public sealed record DemoEventsFile(long Lines, IReadOnlySet<string> Ids, long Duplicates, long Invalid)
{
    public static async Task<DemoEventsFile> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long lines = 0, duplicates = 0, invalid = 0;
        if (!File.Exists(path))
        {
            return new DemoEventsFile(0, ids, 0, 0);
        }
        await foreach (var line in File.ReadLinesAsync(path, cancellationToken))
        {
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
        return new DemoEventsFile(lines, ids, duplicates, invalid);
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
