using System.Text;
using System.Text.Json;

namespace Kb4Collector.Configuration;

/// <summary>Collects the problems found while reading one file, labelled with the source they belong to.</summary>
internal sealed class ProblemSink(string file, List<ConfigProblem> problems)
{
    public string File { get; } = file;

    public int ErrorCount { get; private set; }

    /// <summary>The source name shown in problems, or null while it is unknown.</summary>
    public string? Source { get; set; }

    /// <summary>Prefixed to every field path, e.g. <c>sources[2].</c> for a source without a usable name.</summary>
    public string FieldPrefix { get; set; } = "";

    public void Error(string field, string message)
    {
        ErrorCount++;
        problems.Add(new ConfigProblem(File, Source, FieldPrefix + field, message, ConfigSeverity.Error));
    }

    /// <summary>The file is not JSON: the position is one-based.</summary>
    public void SyntaxError(int line, int column, string message)
    {
        ErrorCount++;
        problems.Add(new ConfigProblem(File, null, "$", message, ConfigSeverity.Error, line, column));
    }

    public void Warning(string field, string message) =>
        problems.Add(new ConfigProblem(File, Source, FieldPrefix + field, message, ConfigSeverity.Warning));
}

/// <summary>
/// The properties of one JSON object, checked against the keys that object may hold (<see cref="SourceKeys"/>). Keys are
/// case-sensitive as in Sumo: a known key in the wrong case is an error naming the expected spelling; a key seen twice
/// is an error; a key a Sumo export adds is accepted silently; any other key is a warning, with a "did you mean" when a
/// known key is close.
/// </summary>
internal sealed class JsonObjectScope
{
    private const int MaxSuggestionDistance = 2;

    private readonly Dictionary<string, JsonElement> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _miscased = new(StringComparer.Ordinal);
    private readonly string _path;

    public JsonObjectScope(JsonElement jsonObject, string path, ProblemSink problems, IReadOnlyList<SourceKey> knownKeys)
    {
        _path = path;
        var honoured = knownKeys.Where(known => known.Origin != KeyOrigin.SumoExport).Select(known => known.Name).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in jsonObject.EnumerateObject())
        {
            var key = property.Name;
            var field = PathOf(key);
            if (!seen.Add(key))
            {
                problems.Error(field, "appears more than once in the same object");
                continue;
            }
            if (honoured.Contains(key))
            {
                _values[key] = property.Value;
                continue;
            }
            var intended = honoured.FirstOrDefault(known => string.Equals(known, key, StringComparison.OrdinalIgnoreCase));
            if (intended is not null)
            {
                _miscased.Add(intended);
                problems.Error(field, $"keys are case-sensitive: write {Text.Quote(intended)}, not {Text.Quote(key)}");
                continue;
            }
            if (knownKeys.Any(known => string.Equals(known.Name, key, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            var suggestion = Closest(key, honoured);
            problems.Warning(field, suggestion is null ? "unknown key; ignored" : $"unknown key; ignored (did you mean {Text.Quote(suggestion)}?)");
        }
    }

    /// <summary>The known key nearest to <paramref name="key"/> (ignoring case) within two edits, or null.</summary>
    private static string? Closest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = MaxSuggestionDistance + 1;
        foreach (var candidate in known)
        {
            var distance = EditDistance(key.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int EditDistance(string left, string right)
    {
        var previous = new int[right.Length + 1];
        var current = new int[right.Length + 1];
        for (var j = 0; j <= right.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= left.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= right.Length; j++)
            {
                var substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[right.Length];
    }

    public string PathOf(string key) => _path.Length == 0 ? Text.Printable(key) : $"{_path}.{Text.Printable(key)}";

    /// <summary>The value of <paramref name="key"/>; a JSON <c>null</c> counts as absent.</summary>
    public bool TryGet(string key, out JsonElement value) =>
        _values.TryGetValue(key, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>True when the key was written in another case (already reported; do not also report it missing).</summary>
    public bool IsMiscased(string key) => _miscased.Contains(key);
}

/// <summary>Safe rendering of user text inside problem messages.</summary>
internal static class Text
{
    private const int MaxShownLength = 80;

    /// <summary>The text in double quotes, control characters escaped, cut at 80 characters.</summary>
    public static string Quote(string value) => "\"" + Printable(value) + "\"";

    public static string Printable(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, MaxShownLength) + 2);
        foreach (var character in value)
        {
            if (builder.Length >= MaxShownLength)
            {
                builder.Append('…');
                break;
            }
            if (char.IsControl(character))
            {
                builder.Append(@"\u").Append(((int)character).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(character);
            }
        }
        return builder.ToString();
    }

    public static bool HasControlCharacters(string value) => value.Any(char.IsControl);

    /// <summary>
    /// A path or name fit for one log or output line: control characters (newline, ESC, ...) escaped as <c>\uXXXX</c>, never cut.
    /// A file named with a newline must not forge a second line.
    /// </summary>
    public static string Escape(string value)
    {
        if (!HasControlCharacters(value))
        {
            return value;
        }
        var builder = new StringBuilder(value.Length + 8);
        foreach (var character in value)
        {
            if (char.IsControl(character))
            {
                builder.Append(@"\u").Append(((int)character).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(character);
            }
        }
        return builder.ToString();
    }

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
